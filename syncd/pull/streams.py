"""Streams other than invoices: reference data, customers (timestamp cursor), credit notes.

Reference data (company information, chart of accounts, fiscal years, tag groups) rarely
changes, so it is read on full sweeps or when never read, and costs nothing otherwise. Tag
groups and company information have no mirror table yet: their last payload and hash live in
the stream's ``sync_state.cursor`` (a table for tag groups is a schema change to ask for).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.bokio import models as bm
from syncd.bokio.paths import C
from syncd.bokio.query import modified_since
from syncd.clock import parse_timestamp
from syncd.mirror import mapping, repo
from syncd.mirror.derive import refresh_derived
from syncd.mirror.syncstate import peek_state, set_cursor, state
from syncd.mirror.tables import Account, Company, CreditNote, Customer, FiscalYear, SyncState
from syncd.pull import cursors
from syncd.pull.run import Run, Writer


def _snapshot(run: Run, stream: str, models: Sequence[BaseModel], payload: Any) -> None:
    """Keep a payload without a table in the stream's cursor; write only when it changed."""
    digest = mapping.content_hash(models)
    with run.txn() as session:
        row = state(session, run.company_pk, stream)
        if (row.cursor or {}).get("hash") != digest:
            set_cursor(row, hash=digest, payload=payload)
            run.report.rows_for(stream).updated += 1
        else:
            run.report.rows_for(stream).unchanged += 1
        _stamp(row, run)


def _rename(run: Run, info: bm.CompanyInformation) -> None:
    """The company row takes the name Bokio shows."""
    if not info.name:
        return
    with run.txn() as session:
        company = session.get(Company, run.company_pk)
        if company is not None and company.name != info.name:
            company.name = info.name


def _stamp(row: SyncState, run: Run) -> None:
    row.last_run_at = run.now
    row.last_success_at = run.now
    row.last_full_sweep_at = run.now
    row.last_error = None


def pull_company_info(run: Run) -> None:
    with run.counting("company"):
        info = run.client.get_company_information()
    _snapshot(run, "company", [info], dict(info.raw))
    _rename(run, info)


def pull_tag_groups(run: Run) -> None:
    with run.counting("tag_groups"):
        groups = sorted(run.client.iter_tag_groups(on_skip=run.on_skip), key=lambda group: group.id)
    _snapshot(run, "tag_groups", groups, [dict(group.raw) for group in groups])


def pull_accounts(run: Run) -> None:
    with run.counting("accounts"):
        accounts = list(run.client.list_accounts())
    seen = {repo.bokio_id_of(account) for account in accounts}
    with run.txn() as session:
        counts = repo.upsert(session, Account, run.company_pk, accounts)
        gone = repo.soft_delete_missing(session, Account, run.company_pk, seen, now=run.now)
        run.report.rows_for("accounts").add(counts, gone)
        _stamp(state(session, run.company_pk, "accounts"), run)


def pull_fiscal_years(run: Run) -> None:
    with run.counting("fiscal_years"):
        years = list(run.client.iter_fiscal_years(on_skip=run.on_skip))
    seen = {year.id for year in years} | set(run.skipped)
    with run.txn() as session:
        counts = repo.upsert(session, FiscalYear, run.company_pk, years)
        gone = repo.soft_delete_missing(session, FiscalYear, run.company_pk, seen, now=run.now)
        run.report.rows_for("fiscal_years").add(counts, gone)
        _stamp(state(session, run.company_pk, "fiscal_years"), run)


def pull_customers(run: Run, *, full: bool) -> None:
    """Customers by ``modifiedDateTime >= cursor - lag`` (or all, on a full sweep)."""
    with run.read() as session:
        row = peek_state(session, run.company_pk, "customers")
        cursor = cursors.TimestampCursor.from_json((row.cursor or {}).get("modified") if row else None)
    start = cursors.query_start(cursor, run.config.customer_lag)
    query = None if full or start is None else modified_since(start)
    kind = "full" if full else "incremental"

    def prepare(customers: list[bm.Customer]) -> Writer:
        rows = [(customer.id, parse_timestamp(customer.modified_date_time)) for customer in customers]
        keep = {rid for rid, _ in cursors.drop_seen(cursor, rows)}
        fresh = [customer for customer in customers if customer.id in keep]

        def write(session: Session) -> None:
            counts = repo.upsert(session, Customer, run.company_pk, fresh)
            run.report.rows_for("customers").add(counts)
            run.report.rows_for("customers").unchanged += len(customers) - len(fresh)

        return write

    with run.counting("customers"):
        progress = run.scan(
            "customers",
            kind=kind,
            query=query,
            model=bm.Customer,
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
        row = state(session, run.company_pk, "customers")
        if advanced != cursor:
            set_cursor(row, modified=advanced.to_json())
        if full:
            gone = repo.soft_delete_missing(
                session, Customer, run.company_pk, set(progress.seen), now=run.now
            )
            run.report.rows_for("customers").deleted += gone
        run.finish_scan(session, "customers", kind, full=full)


def pull_credit_notes_full(run: Run) -> None:
    """Every credit note; soft-delete those a completed listing no longer has."""

    def prepare(notes: list[bm.CreditNote]) -> Writer:
        def write(session: Session) -> None:
            run.report.rows_for("credit_notes").add(repo.upsert(session, CreditNote, run.company_pk, notes))

        return write

    with run.counting("credit_notes"):
        progress = run.scan(
            "credit_notes",
            kind="full",
            query=None,
            model=bm.CreditNote,
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
            refresh_derived(
                session,
                run.company_pk,
                [i for i in invoices if i],
                sign=run.config.settlement_sign,
                paid_includes_settlements=run.config.paid_includes_settlements,
            )
        )
        run.finish_scan(session, "credit_notes", "full", full=True)
