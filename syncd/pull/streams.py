"""Streams other than invoices: reference data, customers (timestamp cursor), credit notes.

Reference data (company information, chart of accounts, fiscal years, tag groups) rarely
changes, so it is read on full sweeps or when never read, and costs nothing otherwise. Tag
groups and company information have no mirror table yet: their last payload and hash live in
the stream's ``sync_state.cursor`` (a table for tag groups is a schema change to ask for).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from syncd.bokio import F
from syncd.bokio.client import C
from syncd.clock import parse_timestamp
from syncd.bokio.models import CreditNote as CreditNoteModel
from syncd.bokio.models import Customer as CustomerModel
from syncd.mirror import mapping, repo
from syncd.mirror.tables import Account, Company, CreditNote, Customer, FiscalYear
from syncd.pull import cursors, store
from syncd.pull.run import Run


def _snapshot(run: Run, stream: str, payload: Any) -> None:
    """Keep a payload without a table in the stream's cursor; write only when it changed."""
    digest = mapping.content_hash({"payload": payload})
    with run.txn() as session:
        row = store.state(session, run.company_pk, stream)
        if (row.cursor or {}).get("hash") != digest:
            store.set_cursor(row, hash=digest, payload=payload)
            run.report.rows_for(stream).updated += 1
        else:
            run.report.rows_for(stream).unchanged += 1
        _stamp(row, run)
        if stream == "company" and isinstance(payload, dict) and payload.get("name"):
            company = session.get(Company, run.company_pk)
            if company is not None and company.name != payload["name"]:
                company.name = str(payload["name"])


def _stamp(row: Any, run: Run) -> None:
    row.last_run_at = run.now
    row.last_success_at = run.now
    row.last_full_sweep_at = run.now
    row.last_error = None


def pull_company_info(run: Run) -> None:
    with run.counting("company"):
        info = run.client.get_company_information()
    _snapshot(run, "company", dict(info.raw))


def pull_tag_groups(run: Run) -> None:
    with run.counting("tag_groups"):
        groups = [dict(group.raw) for group in run.client.iter_tag_groups(on_skip=run.on_skip)]
    _snapshot(run, "tag_groups", sorted(groups, key=lambda g: str(g.get("id"))))


def pull_accounts(run: Run) -> None:
    with run.counting("accounts"):
        raws = [dict(account.raw) for account in run.client.list_accounts()]
    seen = {repo.bokio_id_of(Account, raw) for raw in raws}
    with run.txn() as session:
        counts = repo.upsert(session, Account, run.company_pk, raws)
        gone = repo.soft_delete_missing(session, Account, run.company_pk, seen, now=run.now)
        run.report.rows_for("accounts").add(counts, gone)
        _stamp(store.state(session, run.company_pk, "accounts"), run)


def pull_fiscal_years(run: Run) -> None:
    with run.counting("fiscal_years"):
        raws = [dict(year.raw) for year in run.client.iter_fiscal_years(on_skip=run.on_skip)]
    seen = {str(raw["id"]) for raw in raws} | set(run.skipped)
    with run.txn() as session:
        counts = repo.upsert(session, FiscalYear, run.company_pk, raws)
        gone = repo.soft_delete_missing(session, FiscalYear, run.company_pk, seen, now=run.now)
        run.report.rows_for("fiscal_years").add(counts, gone)
        _stamp(store.state(session, run.company_pk, "fiscal_years"), run)


def pull_customers(run: Run, *, full: bool) -> None:
    """Customers by ``modifiedDateTime >= cursor - lag`` (or all, on a full sweep)."""
    with run.read() as session:
        row = store.peek_state(session, run.company_pk, "customers")
        cursor = cursors.TimestampCursor.from_json((row.cursor or {}).get("modified") if row else None)
    start = cursors.query_start(cursor, run.config.customer_lag)
    query = None if full or start is None else str(F("modifiedDateTime") >= start)
    kind = "full" if full else "incremental"

    def prepare(raws: list[dict[str, Any]]) -> Any:
        rows = [(str(raw["id"]), parse_timestamp(raw.get("modifiedDateTime"))) for raw in raws]
        keep = {rid for rid, _ in cursors.drop_seen(cursor, rows)}
        fresh = [raw for raw in raws if str(raw["id"]) in keep]

        def write(session: Any) -> None:
            counts = repo.upsert(session, Customer, run.company_pk, fresh)
            run.report.rows_for("customers").add(counts)
            run.report.rows_for("customers").unchanged += len(raws) - len(fresh)

        return write

    with run.counting("customers"):
        progress = run.scan(
            "customers",
            kind=kind,
            query=query,
            model=CustomerModel,
            template=C + "/customers",
            prepare=prepare,
        )
    with run.txn() as session:
        seen_rows = session.execute(
            select(Customer.bokio_id, Customer.modified_at).where(
                Customer.company_id == run.company_pk, Customer.bokio_id.in_(sorted(progress.seen))
            )
        ).all()
        advanced = cursors.advance(
            cursor, [(r.bokio_id, r.modified_at) for r in seen_rows], progress.started_at
        )
        row = store.state(session, run.company_pk, "customers")
        if advanced != cursor:
            store.set_cursor(row, modified=advanced.to_json())
        if full:
            gone = repo.soft_delete_missing(
                session, Customer, run.company_pk, set(progress.seen), now=run.now
            )
            run.report.rows_for("customers").deleted += gone
        run.finish_scan(session, "customers", kind, full=full)


def pull_credit_notes_full(run: Run) -> None:
    """Every credit note; soft-delete those a completed listing no longer has."""

    def prepare(raws: list[dict[str, Any]]) -> Any:
        def write(session: Any) -> None:
            run.report.rows_for("credit_notes").add(repo.upsert(session, CreditNote, run.company_pk, raws))

        return write

    with run.counting("credit_notes"):
        progress = run.scan(
            "credit_notes",
            kind="full",
            query=None,
            model=CreditNoteModel,
            template=C + "/credit-notes",
            prepare=prepare,
        )
    with run.txn() as session:
        gone = repo.soft_delete_missing(session, CreditNote, run.company_pk, set(progress.seen), now=run.now)
        run.report.rows_for("credit_notes").deleted += gone
        invoices = session.scalars(
            select(CreditNote.invoice_bokio_id).where(CreditNote.company_id == run.company_pk)
        ).all()
        run.report.problems.extend(
            store.refresh_derived(
                session,
                run.company_pk,
                [i for i in invoices if i],
                sign=run.config.settlement_sign,
                paid_includes_settlements=run.config.paid_includes_settlements,
            )
        )
        run.finish_scan(session, "credit_notes", "full", full=True)
