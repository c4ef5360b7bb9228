"""The invoice stream: open-invoice scan, recent window, vanished re-fetch, children on change.

Bokio has no change feed for invoices (design §2.2). An incremental pull lists the *open*
invoices (status filter) and, when worth it, a recent ``invoiceDate`` window; upserts compare
content hashes. Payments and settlements are read only for invoices whose paid amount,
credit-note references or journal entry changed, whose status left or entered the open set,
or that syncd itself wrote to (:func:`syncd.mirror.dirty.mark_dirty`); each time, the outbox's
duplicate detector (:mod:`syncd.outbox.duplicates`) compares them with what syncd sent. Invoices the mirror
holds as open that the open scan no longer lists (paid, credited) are re-read so the mirror never
keeps them open: by one ``status==paid`` listing from the right ``invoiceDate`` when that costs
fewer requests than reading them by id (:func:`settled_from`), the rest by id.

A credit note published on an invoice that is already ``underPaid`` or ``overdue`` changes
neither the invoice's status nor its refs; the sweep's credit-note listing
(:mod:`syncd.pull.sweep`) sees it before the next bank day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.bokio import models as bm
from syncd.bokio.errors import NotFoundError
from syncd.bokio.paths import C
from syncd.bokio.query import invoice_dated_from, paid_dated_from, status_is_one_of
from syncd.clock import business_date
from syncd.domain import invoice_math as im
from syncd.domain.money import ZERO
from syncd.mirror import dirty as marks
from syncd.mirror import mapping, repo
from syncd.mirror.derive import refresh_derived
from syncd.mirror.syncstate import peek_state, state
from syncd.mirror.tables import CreditNote, Invoice, InvoicePayment, InvoiceSettlement
from syncd.outbox import duplicates
from syncd.pull import store
from syncd.pull.cursors import pages_for, window_start
from syncd.pull.run import Run, Writer

TEMPLATE = C + "/invoices"
OPEN = frozenset(store.OPEN)
PAID = im.Status.PAID.value
BATCH = 25


def open_query() -> str:
    """Invoices in an open status (invoice_math.OPEN_STATUSES)."""
    return status_is_one_of(store.OPEN)


def window_query(run: Run) -> str:
    return invoice_dated_from(window_start(business_date(run.now), run.config.window_days))


def _ref_id(ref: bm.Ref | None) -> str | None:
    return ref.id if ref is not None else None


def credit_note_ids(invoice: bm.Invoice) -> list[str]:
    """The ids of the credit notes an invoice refers to."""
    return [ref.id for ref in invoice.credit_note_refs or [] if ref.id]


def needs_children(old: bm.Invoice | None, new: bm.Invoice) -> bool:
    """Whether an invoice's payments/settlements may have changed since the mirror saw it.

    A status move inside the open set with nothing else changed is time (published →
    overdue), not money, so it costs nothing.
    """
    if old is None:
        return _paid(new) != 0
    if (
        _paid(old) != _paid(new)
        or credit_note_ids(old) != credit_note_ids(new)
        or _ref_id(old.journal_entry_ref) != _ref_id(new.journal_entry_ref)
    ):
        return True
    before, after = _status(old), _status(new)
    return before != after and not (before in OPEN and after in OPEN)


def _paid(invoice: bm.Invoice) -> Decimal:
    return ZERO if invoice.paid_amount is None else invoice.paid_amount


def _status(invoice: bm.Invoice) -> str:
    """As the mirror's column holds it (none is a draft)."""
    return str(invoice.status or "draft")


@dataclass(frozen=True, slots=True)
class Known:
    """What the mirror holds for one page of invoices."""

    invoices: Mapping[str, repo.MirroredInvoice]
    dirty: frozenset[str]
    published_notes: frozenset[str]
    """Referenced credit notes the mirror already holds as published (never re-read)."""


@dataclass(slots=True)
class PageWrite:
    """Everything read from Bokio for one page of invoices, to be written in one transaction."""

    invoices: list[bm.Invoice]
    children: list[str]
    forced: set[str]
    refs_now: dict[str, set[str]]
    payments: dict[str, list[bm.InvoicePayment]] = field(default_factory=dict)
    settlements: dict[str, list[bm.InvoiceSettlement]] = field(default_factory=dict)
    notes: list[bm.CreditNote] = field(default_factory=list)


def _known(run: Run, invoices: list[bm.Invoice]) -> Known:
    refs = sorted({ref for invoice in invoices for ref in credit_note_ids(invoice)})
    with run.read() as session:
        mirrored = repo.mirrored_invoices(session, run.company_pk, [invoice.id for invoice in invoices])
        dirty = marks.dirty_ids(peek_state(session, run.company_pk, marks.STREAM))
        published = session.scalars(
            select(CreditNote.bokio_id).where(
                CreditNote.company_id == run.company_pk,
                CreditNote.bokio_id.in_(refs),
                CreditNote.deleted_at.is_(None),
                CreditNote.status == "published",
            )
        ).all()
    return Known(mirrored, frozenset(dirty), frozenset(published))


def _changed(invoices: list[bm.Invoice], known: Known) -> set[str]:
    """Invoices new to the mirror or whose content differs from what it holds."""
    return {
        invoice.id
        for invoice in invoices
        if (held := known.invoices.get(invoice.id)) is None
        or held.content_hash != mapping.content_hash(invoice)
    }


def _needing_children(invoices: list[bm.Invoice], known: Known, forced: set[str]) -> list[str]:
    def old(invoice_id: str) -> bm.Invoice | None:
        held = known.invoices.get(invoice_id)
        return held.invoice if held is not None else None

    return [i.id for i in invoices if i.id in forced or needs_children(old(i.id), i)]


def _wanted_notes(page: PageWrite, changed: set[str], known: Known) -> list[str]:
    """Credit notes to read by id: those of changed invoices not yet mirrored as published."""
    touched = changed | set(page.children)
    return sorted(
        {
            ref
            for invoice in page.invoices
            if invoice.id in touched
            for ref in credit_note_ids(invoice)
            if ref not in known.published_notes
        }
    )


def _read_children(run: Run, page: PageWrite) -> None:
    for invoice_id in page.children:
        with run.counting("payments"):
            page.payments[invoice_id] = list(run.client.iter_payments(invoice_id, on_skip=run.on_skip))
        with run.counting("settlements"):
            page.settlements[invoice_id] = list(run.client.iter_settlements(invoice_id, on_skip=run.on_skip))


def _read_notes(run: Run, page: PageWrite, note_ids: list[str]) -> None:
    with run.counting("credit_notes"):
        for note_id in note_ids:
            try:
                page.notes.append(run.client.get_credit_note(note_id))
            except NotFoundError:
                continue


def prepare(run: Run, invoices: list[bm.Invoice], *, force: Iterable[str] = ()) -> Writer:
    """Read what changed for these invoices from Bokio; return the page's database writer."""
    known = _known(run, invoices)
    forced = set(force) | known.dirty
    changed = _changed(invoices, known)
    page = PageWrite(
        invoices=invoices,
        children=_needing_children(invoices, known, forced),
        forced=forced,
        refs_now={i.id: set(credit_note_ids(i)) for i in invoices if i.id in changed},
    )
    _read_children(run, page)
    _read_notes(run, page, _wanted_notes(page, changed, known) if run.notes_by_id else [])
    return partial(_write, run, page)


def _write_children(session: Session, run: Run, page: PageWrite) -> None:
    for invoice_id in page.children:
        found: tuple[
            tuple[type[InvoicePayment], str, list[bm.InvoicePayment]],
            tuple[type[InvoiceSettlement], str, list[bm.InvoiceSettlement]],
        ] = (
            (InvoicePayment, "payments", page.payments[invoice_id]),
            (InvoiceSettlement, "settlements", page.settlements[invoice_id]),
        )
        for model, stream, records in found:
            counts = repo.upsert(session, model, run.company_pk, records, invoice_id=invoice_id)
            keep = {record.id for record in records}
            gone = store.soft_delete_children(
                session, model, run.company_pk, invoice_id, keep=keep, now=run.now
            )
            run.report.rows_for(stream).add(counts, gone)


def _write(run: Run, page: PageWrite, session: Session) -> None:
    ids = [invoice.id for invoice in page.invoices]
    run.report.rows_for("invoices").add(repo.upsert(session, Invoice, run.company_pk, page.invoices))
    _write_children(session, run, page)
    duplicates.detect(session, run.company_pk, page.children, now=run.now)  # a copy that landed anyway
    run.report.rows_for("credit_notes").add(repo.upsert(session, CreditNote, run.company_pk, page.notes))
    _drop_unreferenced_notes(session, run, page.refs_now)
    run.report.problems.extend(
        refresh_derived(
            session,
            run.company_pk,
            ids,
            sign=run.config.settlement_sign,
            paid_includes_settlements=run.config.paid_includes_settlements,
        )
    )
    marks.clear_dirty(state(session, run.company_pk, marks.STREAM), set(ids) & page.forced)


def _drop_unreferenced_notes(session: Session, run: Run, refs_now: Mapping[str, set[str]]) -> None:
    """A draft credit note deleted in Bokio disappears from its invoice's refs."""
    for invoice_id, refs in refs_now.items():
        stale = session.scalars(
            select(CreditNote.bokio_id).where(
                CreditNote.company_id == run.company_pk,
                CreditNote.invoice_bokio_id == invoice_id,
                CreditNote.deleted_at.is_(None),
            )
        ).all()
        gone = [note for note in stale if note not in refs]
        store.soft_delete_ids(session, CreditNote, run.company_pk, gone, run.now)
        run.report.rows_for("credit_notes").deleted += len(gone)


def fetch_by_ids(run: Run, invoice_ids: Iterable[str], *, force: bool) -> None:
    """GET invoices one by one (vanished from the open scan, or just pushed to), in batches."""
    ids = sorted(set(invoice_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        run.check_cap(3 * len(batch))
        before = run.report.total_requests
        found: list[bm.Invoice] = []
        gone: list[str] = []
        with run.counting("invoices"):
            for invoice_id in batch:
                try:
                    found.append(run.client.get_invoice(invoice_id))
                except NotFoundError:
                    gone.append(invoice_id)
        writer = prepare(run, found, force=batch if force else ())
        with run.txn() as session:
            writer(session)
            store.soft_delete_ids(session, Invoice, run.company_pk, gone, run.now)
            marks.clear_dirty(state(session, run.company_pk, marks.STREAM), gone)
            run.report.rows_for("invoices").deleted += len(gone)
        run.stepped(before)
        run.progress("invoices", "by id", start + len(batch), len(ids))


def _scan(run: Run, kind: str, query: str | None) -> frozenset[str]:
    with run.counting("invoices"):
        progress = run.scan(
            "invoices",
            kind=kind,
            query=query,
            model=bm.Invoice,
            template=TEMPLATE,
            prepare=lambda invoices: prepare(run, invoices),
        )
    return progress.seen


def pull_full(run: Run) -> None:
    """List every invoice; soft-delete what a *completed* listing no longer has."""
    seen = _scan(run, "full", None)
    with run.txn() as session:
        live = set(
            session.scalars(
                select(Invoice.bokio_id).where(
                    Invoice.company_id == run.company_pk, Invoice.deleted_at.is_(None)
                )
            )
        )
        gone = sorted(live - seen)
        store.soft_delete_ids(session, Invoice, run.company_pk, gone, run.now)
        run.report.rows_for("invoices").deleted += len(gone)
        run.finish_scan(session, "invoices", "full", full=True)
    _dirty_leftovers(run)


def pull_incremental(run: Run, *, window: bool | None = None) -> None:
    """Open scan, the recent window (always, or when cheaper than GETs if ``window`` is None),
    then a GET for every invoice still open in the mirror that the open scan did not list."""
    seen_open = _scan(run, "open", open_query())
    query = window_query(run)
    with run.read() as session:
        vanished = store.open_invoice_ids(session, run.company_pk) - seen_open
        start = window_start(business_date(run.now), run.config.window_days)
        in_window = (
            select(func.count())
            .select_from(Invoice)
            .where(
                Invoice.company_id == run.company_pk,
                Invoice.deleted_at.is_(None),
                Invoice.invoice_date >= start,
            )
        )
        window_rows = int(session.scalar(in_window) or 0)
        vanished_in_window = int(session.scalar(in_window.where(Invoice.bokio_id.in_(sorted(vanished)))) or 0)
    if window if window is not None else pages_for(window_rows, run.config.page_size) < vanished_in_window:
        _scan(run, "window", query)
    _list_settled(run, seen_open)
    with run.read() as session:
        vanished = store.open_invoice_ids(session, run.company_pk) - seen_open
    fetch_by_ids(run, vanished, force=False)
    with run.txn() as session:
        run.finish_scan(session, "invoices", "open")
        run.finish_scan(session, "invoices", "window")
    _dirty_leftovers(run)


def settled_from(vanished: list[dt.date], paid: list[dt.date], page_size: int) -> dt.date | None:
    """The ``invoiceDate`` from which listing paid invoices costs less than reading the invoices
    that left the open set by id (None: by id is cheapest).

    Those invoices are paid now, mostly: listing ``status==paid&&invoiceDate>=d`` returns them
    with the paid invoices the mirror already holds from ``d`` on; the ones dated before ``d`` (or
    not paid after all) are still read by id.

    >>> d = dt.date(2026, 3, 1)
    >>> settled_from([d] * 9, [d] * 150, 100)
    datetime.date(2026, 3, 1)
    >>> settled_from([d, d], [d] * 150, 100) is None
    True
    """
    best, cost = None, len(vanished)
    for start in sorted(set(vanished)):
        listed = sum(1 for day in paid if day >= start) + sum(1 for day in vanished if day >= start)
        here = pages_for(listed, page_size) + sum(1 for day in vanished if day < start)
        if here < cost:
            best, cost = start, here
    return best


def _list_settled(run: Run, seen_open: frozenset[str]) -> None:
    """Invoices that left the open set: by one ``status==paid`` listing when that is cheaper."""
    with run.read() as session:
        vanished = sorted(store.open_invoice_ids(session, run.company_pk) - seen_open)
        if len(vanished) < 2:
            return
        dates = list(
            session.scalars(
                select(Invoice.invoice_date).where(
                    Invoice.company_id == run.company_pk, Invoice.bokio_id.in_(vanished)
                )
            )
        )
        paid = list(
            session.scalars(
                select(Invoice.invoice_date).where(
                    Invoice.company_id == run.company_pk,
                    Invoice.deleted_at.is_(None),
                    Invoice.status == PAID,
                    Invoice.invoice_date >= min(dates),
                )
            )
        )
    start = settled_from(dates, paid, run.config.page_size)
    if start is not None:
        _scan(run, "settled", paid_dated_from(start))
        with run.txn() as session:
            run.finish_scan(session, "invoices", "settled")


def _dirty_leftovers(run: Run) -> None:
    with run.read() as session:
        dirty = marks.dirty_ids(peek_state(session, run.company_pk, marks.STREAM))
    fetch_by_ids(run, dirty, force=True)
