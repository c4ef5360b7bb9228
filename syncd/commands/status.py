"""``syncd status``: where each company stands, from the database alone (no Bokio calls).

The database in use (password redacted) first; per company: a pause (kind, reason, until, fix)
and tagging turned off, last successful sync, this month's Bokio budget, open invoices, bank money not yet
allocated, the review queue, the outbox, and copies of syncd's own Bokio objects the duplicate
detector found (:mod:`syncd.outbox.duplicates`), and the last audit against Bokio's ledger.
"""

from __future__ import annotations

import argparse
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from syncd import migrate
from syncd.allocations import inputs, reversals
from syncd.allocations.tables import Allocation, AllocationState
from syncd.app import App
from syncd.audit import store as audit_store
from syncd.budget import usage
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.domain.invoice_math import OPEN_STATUSES
from syncd.ingest import duplicates as held_lines
from syncd.ingest.linking import unlinked_batches
from syncd.mirror import pauses
from syncd.mirror.tables import Company, Invoice, SyncState
from syncd.outbox import duplicates, tagging
from syncd.outbox.tables import OutboxCommand
from syncd.pull import spread as first_pull
from syncd.settings import describe_database


def register(subparsers: Any) -> None:
    """Add the ``status`` command."""
    status = subparsers.add_parser(
        "status", help="per company: last sync, budget, open invoices, unmatched money, review queue, outbox"
    )
    add_json_flag(status)
    status.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        try:
            current, head = migrate.current_revision(app.engine), migrate.head_revision()
        except OperationalError as exc:
            print(f"database {describe_database(app.database_url)} unreachable: {exc.orig}")
            return 3
        report: dict[str, Any] = {
            "database": describe_database(app.database_url),
            "schema": {"current": current, "head": head},
            "companies": [],
        }
        if current != head:
            report["schema"]["hint"] = "run `syncd db upgrade`"
            report["companies"] = configured_only(app)
        else:
            try:
                report["companies"] = company_status(app)
            except (OperationalError, ProgrammingError) as exc:  # pragma: no cover - raced a migration
                print(f"database not ready: {exc.orig}")
                return 3
    if args.json:
        emit_json(report)
    else:
        _print(report)
    return 0 if current == head else 3


def company_status(app: App) -> list[dict[str, Any]]:
    """The status of every configured (or previously seen) company."""
    configured = [str(c.id) for c in app.settings.companies]
    now = app.clock()
    rows = []
    with app.sessions() as session:
        known = {c.bokio_company_id: c for c in session.scalars(select(Company))}
        for key in dict.fromkeys([*configured, *known]):
            company = known.get(key)
            entry: dict[str, Any] = {"company": key, "configured": key in configured}
            if company is None:
                entry.update(synced=False, open_invoices=0, budget=None)
            else:
                entry.update(_one(session, company, now, app.settings.budget.monthly_quota))
                entry["auto_booking_stopped"] = _stopped(session, company.id, app)
            rows.append(entry)
    return rows


def _stopped(session: Session, company_pk: int, app: App) -> str | None:
    """Why nothing is booked automatically: the books contradict a configured rule (or None)."""
    from syncd.calibration.evidence import calibrate

    return calibrate(session, company_pk, app.settings.bokio.readings()).stop_reason()


def configured_only(app: App) -> list[dict[str, Any]]:
    """The configured companies when the database cannot say more (empty or not migrated)."""
    return [
        {"company": str(c.id), "name": c.name, "configured": True, "synced": False, "budget": None}
        for c in app.settings.companies
    ]


def _one(session: Session, company: Company, now: Any, quota: int) -> dict[str, Any]:
    pk = company.id
    used = usage(session, pk, company.bokio_company_id, quota=quota, now=now)
    open_invoices = session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(Invoice.company_id == pk, Invoice.status.in_(OPEN_STATUSES), Invoice.deleted_at.is_(None))
    )
    lines = [line for line in inputs.bank_lines(session, pk, "") if line.direction.value == "credit"]
    proposed = session.scalar(
        select(func.count(func.distinct(Allocation.group_id))).where(
            Allocation.company_id == pk, Allocation.state == AllocationState.PROPOSED
        )
    )
    outbox = Counter(
        dict(
            session.execute(
                select(OutboxCommand.state, func.count())
                .where(OutboxCommand.company_id == pk)
                .group_by(OutboxCommand.state)
            ).all()
        )
    )
    last = session.scalar(select(func.max(SyncState.last_success_at)).where(SyncState.company_id == pk))
    batches = unlinked_batches(session, pk)
    spread = first_pull.load(session, company.bokio_company_id)
    return {
        "name": company.name,
        "last_sync": last.isoformat() if last else None,
        "paused_until": company.paused_until.isoformat() if company.paused_until else None,
        **_pause_and_tagging(session, company, now),
        "budget": {
            "quota": quota,
            "used": used.used,
            "remaining": used.remaining,
            "projected_month_end": used.projected_month_end,
        },
        "first_pull": spread.describe() if spread else None,
        "open_invoices": open_invoices,
        "unmatched_bank_money": {
            "lines": len(lines),
            "amount": sum((line.amount for line in lines), Decimal(0)),
            "batches_without_details": len(batches),
        },
        "review_queue": proposed,
        "reversals_waiting": len(reversals.proposed_undos(session, pk)),
        "possible_duplicate_lines": len(held_lines.possible_duplicates(session, pk)),
        "outbox": {
            state: outbox.get(state, 0) for state in ("pending", "sending", "unknown", "failed", "done")
        },
        "duplicates": duplicates.counts(session, pk)[pk],
        "last_audit": audit_store.summary(session, pk),
    }


def _pause_and_tagging(session: Session, company: Company, now: Any) -> dict[str, Any]:
    """Why the company is paused (kind, reason, until, fix) and whether tagging was turned off."""
    pause = pauses.current(company, now)
    tag = tagging.current(session, company.id)
    return {
        "pause": pause.to_json(company.bokio_company_id) if pause is not None else None,
        "tagging": {"on": tag.disabled_reason is None, "off_reason": tag.disabled_reason},
    }


def _print(report: dict[str, Any]) -> None:
    schema = report["schema"]
    hint = f" - {schema['hint']}" if "hint" in schema else ""
    print(f"database: {report['database']}")
    print(f"schema: {schema['current'] or 'empty'} (head {schema['head']}){hint}")
    if not report["companies"]:
        print("no companies configured (set SYNCD_COMPANY_ID and SYNCD_BOKIO_TOKEN, or [[companies]])")
    for entry in report["companies"]:
        print(f"{entry['company']} {entry.get('name', '')}".rstrip())
        if entry.get("budget") is None:
            print("  never synced" + ("" if "hint" not in schema else " (the database is not migrated)"))
            continue
        _print_pause(entry)
        budget, money, outbox = entry["budget"], entry["unmatched_bank_money"], entry["outbox"]
        from syncd.match.plan import format_amount  # only text output needs it (fast start)

        print(
            f"  last sync        {entry['last_sync'] or 'never'}"
            + (f" (paused until {entry['paused_until']})" if entry["paused_until"] else "")
        )
        print(
            f"  Bokio budget     {budget['used']} of {budget['quota']} used this month, "
            f"{budget['remaining']} left, projected {budget['projected_month_end']}"
        )
        if entry.get("first_pull"):
            print(f"  mirror           {entry['first_pull']}")
        print(f"  open invoices    {entry['open_invoices']}")
        print(
            f"  unmatched money  {format_amount(Decimal(money['amount']))} SEK"
            f" on {money['lines']} bank line(s)"
            + (
                f", {money['batches_without_details']} batch(es) without details"
                if money["batches_without_details"]
                else ""
            )
        )
        print(
            f"  review queue     {entry['review_queue']} proposal(s), "
            f"{entry['reversals_waiting']} reversal(s)  (`syncd review list`)"
        )
        if entry["possible_duplicate_lines"]:
            print(
                f"  held lines       {entry['possible_duplicate_lines']} possible duplicate(s) of earlier "
                "deliveries, never booked until decided  (`syncd review duplicates`)"
            )
        print("  outbox           " + ", ".join(f"{state} {count}" for state, count in outbox.items()))
        print("  duplicates       " + _duplicates_line(entry["duplicates"]))
        print("  last audit       " + audit_store.summary_line(entry.get("last_audit")))


def _print_pause(entry: dict[str, Any]) -> None:
    pause, tag = entry.get("pause"), entry.get("tagging") or {}
    if entry.get("auto_booking_stopped"):
        print(f"  AUTO-BOOKING STOPPED: {entry['auto_booking_stopped']}")
        print("                   fix: set [bokio] to what the books show (`syncd calibrate`)")
    if pause:
        print(f"  PAUSED           {pause['kind']} until {pause['until']}: {pause['reason']}")
        print(f"                   fix: {pause['fix']}")
    if tag and not tag.get("on", True):
        print(f"  tagging          off: {tag['off_reason']}")


def _duplicates_line(found: dict[str, int]) -> str:
    total = sum(found.values())
    if not total:
        return "none found"
    parts = [f"{found['deleted']} deleted", f"{found['repairing']} being deleted"]
    if found["review"]:
        parts.append(f"{found['review']} recorded, for a person (`syncd outbox list --state failed`)")
    if found["kept"]:
        parts.append(f"{found['kept']} kept by a person")
    return f"{total} found: " + ", ".join(parts)
