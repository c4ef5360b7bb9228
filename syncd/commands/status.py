"""``syncd status``: where each company stands, from the database alone (no Bokio calls)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from syncd import migrate
from syncd.clock import month_bounds
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.db import utcnow
from syncd.mirror import repo
from syncd.mirror.tables import Company, Invoice, SyncState

OPEN_STATUSES = ("published", "underPaid", "overdue")


def register(subparsers: Any) -> None:
    """Add the ``status`` command."""
    status = subparsers.add_parser("status", help="per company: last sync, budget, open invoices")
    add_json_flag(status)
    status.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        try:
            current, head = migrate.current_revision(app.engine), migrate.head_revision()
        except OperationalError as exc:
            print(f"database unreachable: {exc.orig}")
            return 3
        report: dict[str, Any] = {"schema": {"current": current, "head": head}, "companies": []}
        if current != head:
            report["schema"]["hint"] = "run `syncd db upgrade`"
        else:
            try:
                report["companies"] = _companies(app, [str(c.id) for c in app.settings.companies])
            except (OperationalError, ProgrammingError) as exc:  # pragma: no cover - raced a migration
                print(f"database not ready: {exc.orig}")
                return 3
        if args.json:
            emit_json(report)
        else:
            _print(report)
        return 0 if current == head else 3


def _companies(app: Any, configured: list[str]) -> list[dict[str, Any]]:
    month_start, month_end = month_bounds(utcnow())
    rows = []
    with app.sessions() as session:
        known = {c.bokio_company_id: c for c in session.scalars(select(Company))}
        for bokio_id in dict.fromkeys([*configured, *known]):
            company = known.get(bokio_id)
            entry: dict[str, Any] = {"company": bokio_id, "configured": bokio_id in configured}
            if company is None:
                entry.update(synced=False, requests_this_month=0, open_invoices=0)
            else:
                entry["name"] = company.name
                entry["requests_this_month"] = repo.requests_between(
                    session, company.id, month_start, month_end
                )
                entry["open_invoices"] = session.scalar(
                    select(func.count())
                    .select_from(Invoice)
                    .where(
                        Invoice.company_id == company.id,
                        Invoice.status.in_(OPEN_STATUSES),
                        Invoice.deleted_at.is_(None),
                    )
                )
                last = session.scalar(
                    select(func.max(SyncState.last_success_at)).where(SyncState.company_id == company.id)
                )
                entry["last_sync"] = last.isoformat() if last else None
                entry["paused_until"] = company.paused_until.isoformat() if company.paused_until else None
            rows.append(entry)
    return rows


def _print(report: dict[str, Any]) -> None:
    schema = report["schema"]
    print(
        f"schema: {schema['current'] or 'empty'} (head {schema['head']})"
        + (f" - {schema['hint']}" if "hint" in schema else "")
    )
    if not report["companies"]:
        print("no companies configured (set SYNCD_COMPANY_ID and SYNCD_BOKIO_TOKEN, or [[companies]])")
    for entry in report["companies"]:
        print(
            f"{entry['company']} {entry.get('name', '')}: open invoices {entry['open_invoices']}, "
            f"Bokio requests this month {entry['requests_this_month']}, "
            f"last sync {entry.get('last_sync') or 'never'}"
        )
