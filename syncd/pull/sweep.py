"""The daemon's nightly sweep: what the open scans cannot see, at a cost that does not grow nightly.

Bank-data refreshes and polls list the *open* invoices; a closed invoice (paid, credited) can
still change in Bokio. Listing every invoice every night would cost a page per 100 invoices ever
issued, each night. Instead each sweep:

- lists the credit notes dated in the last :data:`NOTE_LAG` days before the previous sweep
  (usually one page) and re-reads the invoices of new or changed ones by id: a paid invoice a
  person credits is in the mirror by the next morning;
- lists one slice of all invoices by ``invoiceDate`` when the pace is due: over
  ``[pull] sweep_cycle_days`` the slices cover every invoice once, so any other change to a
  closed invoice (a payment added to a paid one, a deleted draft) is seen within that cycle;
  an invoice a slice no longer lists is read by id before it is marked deleted;
- when the slices wrap around, also re-reads the reference data, every customer and every
  credit note (deletions show only in complete listings).

A payment deleted from a paid invoice re-opens it, so the next open scan sees that change.
Invoices without an ``invoiceDate`` (drafts) are only seen by ``syncd pull --full``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from syncd.bokio import models as bm
from syncd.bokio.paths import C
from syncd.bokio.query import credited_from, invoice_dated_between
from syncd.clock import business_date, parse_timestamp
from syncd.logging import get_logger
from syncd.mirror import mapping, repo
from syncd.mirror.dirty import STREAM
from syncd.mirror.syncstate import peek_state, set_cursor, state
from syncd.mirror.tables import CreditNote, Invoice
from syncd.pull import invoices, streams
from syncd.pull.cursors import pages_for
from syncd.pull.run import Run, Writer

log = get_logger(__name__)

NOTE_LAG = 7
"""Days before the previous sweep the credit-note listing starts (a draft published later)."""
NOTES = "credit_notes"


@dataclass(frozen=True, slots=True)
class Rolling:
    """Where the slices are: the next ``invoiceDate`` to list from, and how far the pace is paid."""

    start: dt.date | None = None
    """None: from the earliest invoice."""
    paced_to: dt.datetime | None = None
    """The slices listed so far keep the cycle's pace up to this instant."""

    def to_json(self) -> dict[str, str | None]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "paced_to": self.paced_to.astimezone(dt.UTC).isoformat() if self.paced_to else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, str | None] | None) -> Rolling:
        data = data or {}
        start = data.get("start")
        return cls(dt.date.fromisoformat(start) if start else None, parse_timestamp(data.get("paced_to")))


def pages_due(rolling: Rolling, now: dt.datetime, total_pages: int, cycle: dt.timedelta) -> int:
    """Pages the sweep owes now so that ``total_pages`` are listed once per ``cycle``.

    >>> t, cycle = dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.timedelta(days=28)
    >>> [pages_due(Rolling(None, t), t + dt.timedelta(days=d), 7, cycle) for d in (3, 4, 9, 99)]
    [0, 1, 2, 7]
    >>> pages_due(Rolling(), t, 7, dt.timedelta(days=28))
    0
    """
    if rolling.paced_to is None:
        return 0
    per_page = cycle / max(total_pages, 1)
    return min(total_pages, math.floor((now - rolling.paced_to) / per_page))


def paced(
    rolling: Rolling, now: dt.datetime, pages: int, total_pages: int, cycle: dt.timedelta
) -> dt.datetime:
    """The pace after listing ``pages``: never ahead of now, never more than a cycle behind."""
    if rolling.paced_to is None:
        return now
    moved = rolling.paced_to + pages * (cycle / max(total_pages, 1))
    return min(max(moved, now - cycle), now)


def slice_end(session: Session, company_pk: int, start: dt.date | None, rows: int) -> dt.date | None:
    """The exclusive end date of a slice from ``start`` holding about ``rows`` mirrored invoices;
    None: to the last invoice (the slice wraps around after it)."""
    query = select(Invoice.invoice_date).where(Invoice.company_id == company_pk, Invoice.deleted_at.is_(None))
    if start is not None:
        query = query.where(Invoice.invoice_date >= start)
    end = session.scalar(query.order_by(Invoice.invoice_date).offset(rows).limit(1))
    if end is None:
        return None
    return end if start is None or end > start else start + dt.timedelta(days=1)


SWEPT_LATELY = dt.timedelta(hours=6)
"""A sweep this soon after the previous one reads nothing: every replica schedules every company's
sweep at the same hour, and the one that comes second (after the first released the lock) would
only spend requests on what the first just read."""


def sweep(run: Run) -> None:
    """One nightly sweep (see the module docstring), unless one ran within :data:`SWEPT_LATELY`."""
    last = last_sweep(run)
    if last is not None and run.now - last < SWEPT_LATELY:
        log.info(
            "pull.sweep_skipped", company=run.client.company_id, reason="swept lately", at=last.isoformat()
        )
        return
    recent_credit_notes(run)
    if rolling_slice(run):
        for fn in (
            streams.pull_company_info,
            streams.pull_accounts,
            streams.pull_fiscal_years,
            streams.pull_tag_groups,
            lambda r: streams.pull_customers(r, full=True),
            streams.pull_credit_notes_full,
        ):
            fn(run)


def last_sweep(run: Run) -> dt.datetime | None:
    """When the previous sweep listed the recent credit notes (None before the first)."""
    with run.read() as session:
        row = peek_state(session, run.company_pk, NOTES)
        return (
            parse_timestamp((row.cursor or {}).get("recent_at")) if row is not None and row.cursor else None
        )


def recent_credit_notes(run: Run) -> None:
    """List credit notes dated since the previous sweep (less a lag); re-read their invoices."""
    last = last_sweep(run)
    since = business_date(last or run.now) - dt.timedelta(days=NOTE_LAG)
    changed: set[str] = set()

    def prepare(notes: list[bm.CreditNote]) -> Writer:
        def write(session: Session) -> None:
            rows = session.execute(
                select(CreditNote.bokio_id, CreditNote.content_hash).where(
                    CreditNote.company_id == run.company_pk,
                    CreditNote.bokio_id.in_([n.id for n in notes]),
                    CreditNote.deleted_at.is_(None),
                )
            )
            held = {row.bokio_id: row.content_hash for row in rows}
            changed.update(
                n.invoice_ref.id
                for n in notes
                if n.invoice_ref and n.invoice_ref.id and held.get(n.id) != mapping.content_hash(n)
            )
            run.report.rows_for(NOTES).add(repo.upsert(session, CreditNote, run.company_pk, notes))

        return write

    with run.counting(NOTES):
        run.scan(
            NOTES,
            kind="recent",
            query=credited_from(since),
            model=bm.CreditNote,
            template=C + "/credit-notes",
            prepare=prepare,
        )
    invoices.fetch_by_ids(run, changed, force=False)
    with run.txn() as session:
        row = state(session, run.company_pk, NOTES)
        scans = dict((row.cursor or {}).get("scans", {}))
        scans.pop("recent", None)
        set_cursor(row, scans=scans or None, recent_at=run.now.astimezone(dt.UTC).isoformat())


def rolling_slice(run: Run) -> bool:
    """List the invoice slice the pace owes (if any); True when the slices wrapped around."""
    cycle = run.config.sweep_cycle
    with run.read() as session:
        row = peek_state(session, run.company_pk, STREAM)
        rolling = Rolling.from_json(
            (row.cursor or {}).get("rolling") if row is not None and row.cursor else None
        )
        live = session.scalar(
            select(func.count()).select_from(_in_slice(run.company_pk, None, None).subquery())
        )
        total = pages_for(int(live or 0), run.config.page_size)
        due = pages_due(rolling, run.now, total, cycle)
        end = slice_end(session, run.company_pk, rolling.start, due * run.config.page_size) if due else None
    if not due:
        if rolling.paced_to is None:
            _keep(run, Rolling(rolling.start, run.now))
        return False
    query = invoice_dated_between(rolling.start, end)
    seen = set(
        run.scan(
            STREAM,
            kind="rolling",
            query=query,
            model=bm.Invoice,
            template=invoices.TEMPLATE,
            prepare=lambda found: invoices.prepare(run, found),
        ).seen
    )
    with run.read() as session:
        held = session.scalars(_in_slice(run.company_pk, rolling.start, end)).all()
    invoices.fetch_by_ids(run, set(held) - seen, force=False)  # gone, or its date moved: ask
    _keep(run, Rolling(end, paced(rolling, run.now, due, total, cycle)), finish=True)
    return end is None


def _in_slice(company_pk: int, start: dt.date | None, end: dt.date | None) -> Select[str]:
    query = select(Invoice.bokio_id).where(Invoice.company_id == company_pk, Invoice.deleted_at.is_(None))
    if start is not None:
        query = query.where(Invoice.invoice_date >= start)
    if end is not None:
        query = query.where(Invoice.invoice_date < end)
    return query


def _keep(run: Run, rolling: Rolling, *, finish: bool = False) -> None:
    with run.txn() as session:
        row = state(session, run.company_pk, STREAM)
        if finish:
            scans = dict((row.cursor or {}).get("scans", {}))
            scans.pop("rolling", None)
            set_cursor(row, scans=scans or None)
        set_cursor(row, rolling=rolling.to_json())
