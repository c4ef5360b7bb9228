"""The invoice stream: open-invoice scan, recent window, vanished re-fetch, children on change.

Bokio has no change feed for invoices (design §2.2). An incremental pull lists the *open*
invoices (status filter) and, when worth it, a recent ``invoiceDate`` window; upserts compare
content hashes. Payments and settlements are read only for invoices whose ``paidAmount``,
``creditNoteRefs`` or ``journalEntryRef`` changed, whose status left or entered the open set,
or that syncd itself wrote to (:func:`syncd.pull.store.mark_dirty`); each time, the outbox's
duplicate detector (:mod:`syncd.outbox.duplicates`) compares them with what syncd sent. An invoice the mirror
holds as open that the open scan no longer lists (paid, credited) is read once by id so the
mirror never keeps it open.

Known gap: a partial credit note published on an invoice that is already ``underPaid`` or
``overdue`` changes neither the invoice's status nor its refs; the next full sweep sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.bokio import F, NotFoundError
from syncd.bokio.client import C
from syncd.bokio.models import Invoice as InvoiceModel
from syncd.clock import business_date
from syncd.mirror import mapping, repo
from syncd.mirror.tables import CreditNote, Invoice, InvoicePayment, InvoiceSettlement
from syncd.outbox import duplicates
from syncd.pull import store
from syncd.pull.cursors import pages_for, window_start
from syncd.pull.run import Run, Writer

TEMPLATE = C + "/invoices"
SIGNALS = ("paidAmount", "creditNoteRefs", "journalEntryRef")
OPEN = frozenset(store.OPEN)
BATCH = 25


def open_query() -> str:
    """``status==published||status==underPaid||status==overdue`` (from invoice_math.OPEN_STATUSES)."""
    first, *rest = store.OPEN
    query = F("status") == first
    for status in rest:
        query = query | (F("status") == status)  # type: ignore[assignment]
    return str(query)


def window_query(run: Run) -> str:
    return str(F("invoiceDate") >= window_start(business_date(run.now), run.config.window_days))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return Decimal(a) == Decimal(b)
    return bool(a == b)


def needs_children(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    """Whether an invoice's payments/settlements may have changed since the mirror saw it.

    A status move inside the open set with nothing else changed is time (published →
    overdue), not money, so it costs nothing.
    """
    if old is None:
        return not _same(new.get("paidAmount") or 0, 0)
    if any(not _same(old.get(key), new.get(key)) for key in SIGNALS):
        return True
    return old.get("status") != new.get("status") and not (
        old.get("status") in OPEN and new.get("status") in OPEN
    )


def _refs(raw: Mapping[str, Any]) -> list[str]:
    return [str(ref["id"]) for ref in raw.get("creditNoteRefs") or [] if ref and ref.get("id")]


def prepare(run: Run, raws: list[dict[str, Any]], *, force: Iterable[str] = ()) -> Writer:
    """Read what changed for these invoices from Bokio; return the page's database writer."""
    ids = [str(raw["id"]) for raw in raws]
    with run.read() as session:
        known: dict[str, dict[str, Any]] = dict(
            session.execute(
                select(Invoice.bokio_id, Invoice.raw).where(
                    Invoice.company_id == run.company_pk,
                    Invoice.bokio_id.in_(ids),
                    Invoice.deleted_at.is_(None),
                )
            ).all()
        )
        dirty = store.dirty_ids(store.peek_state(session, run.company_pk, "invoices"))
        all_refs = {ref for raw in raws for ref in _refs(raw)}
        note_status = dict(
            session.execute(
                select(CreditNote.bokio_id, CreditNote.status).where(
                    CreditNote.company_id == run.company_pk,
                    CreditNote.bokio_id.in_(sorted(all_refs)),
                    CreditNote.deleted_at.is_(None),
                )
            ).all()
        )
    forced = set(force) | dirty
    children = [
        i for i, raw in zip(ids, raws, strict=True) if i in forced or needs_children(known.get(i), raw)
    ]
    changed = {
        i
        for i, raw in zip(ids, raws, strict=True)
        if known.get(i) is None or mapping.content_hash(known[i]) != mapping.content_hash(raw)
    }
    payments: dict[str, list[dict[str, Any]]] = {}
    settlements: dict[str, list[dict[str, Any]]] = {}
    for invoice_id in children:
        with run.counting("payments"):
            payments[invoice_id] = [
                dict(p.raw) for p in run.client.iter_payments(invoice_id, on_skip=run.on_skip)
            ]
        with run.counting("settlements"):
            settlements[invoice_id] = [
                dict(s.raw) for s in run.client.iter_settlements(invoice_id, on_skip=run.on_skip)
            ]
    wanted = (
        sorted(
            {
                ref
                for invoice_id, raw in zip(ids, raws, strict=True)
                if invoice_id in changed or invoice_id in children
                for ref in _refs(raw)
                if note_status.get(ref) != "published"
            }
        )
        if run.notes_by_id
        else []
    )
    notes: list[dict[str, Any]] = []
    with run.counting("credit_notes"):
        for note_id in wanted:
            try:
                notes.append(dict(run.client.get_credit_note(note_id).raw))
            except NotFoundError:
                continue
    refs_now = {i: set(_refs(raw)) for i, raw in zip(ids, raws, strict=True) if i in changed}

    def write(session: Session) -> None:
        rows = run.report.rows_for("invoices")
        rows.add(repo.upsert(session, Invoice, run.company_pk, raws))
        for invoice_id in children:
            for model, stream, found in (
                (InvoicePayment, "payments", payments[invoice_id]),
                (InvoiceSettlement, "settlements", settlements[invoice_id]),
            ):
                for raw in found:
                    raw.setdefault("invoiceId", invoice_id)
                counts = repo.upsert(session, model, run.company_pk, found)
                gone = store.soft_delete_children(
                    session,
                    model,
                    run.company_pk,
                    invoice_id,
                    keep={str(r["id"]) for r in found},
                    now=run.now,
                )
                run.report.rows_for(stream).add(counts, gone)
        duplicates.detect(session, run.company_pk, children, now=run.now)  # a copy that landed anyway
        run.report.rows_for("credit_notes").add(repo.upsert(session, CreditNote, run.company_pk, notes))
        _drop_unreferenced_notes(session, run, refs_now)
        run.report.problems.extend(
            store.refresh_derived(
                session,
                run.company_pk,
                ids,
                sign=run.config.settlement_sign,
                paid_includes_settlements=run.config.paid_includes_settlements,
            )
        )
        store.clear_dirty(store.state(session, run.company_pk, "invoices"), set(ids) & forced)

    return write


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
        store.soft_delete_ids(session, CreditNote, run.company_pk, gone, run.now)  # type: ignore[arg-type]
        run.report.rows_for("credit_notes").deleted += len(gone)


def fetch_by_ids(run: Run, invoice_ids: Iterable[str], *, force: bool) -> None:
    """GET invoices one by one (vanished from the open scan, or just pushed to), in batches."""
    ids = sorted(set(invoice_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        run.check_cap(3 * len(batch))
        before = run.report.total_requests
        raws: list[dict[str, Any]] = []
        gone: list[str] = []
        with run.counting("invoices"):
            for invoice_id in batch:
                try:
                    raws.append(dict(run.client.get_invoice(invoice_id).raw))
                except NotFoundError:
                    gone.append(invoice_id)
        writer = prepare(run, raws, force=batch if force else ())
        with run.txn() as session:
            writer(session)
            store.soft_delete_ids(session, Invoice, run.company_pk, gone, run.now)
            store.clear_dirty(store.state(session, run.company_pk, "invoices"), gone)
            run.report.rows_for("invoices").deleted += len(gone)
        run.stepped(before)
        run.progress("invoices", "by id", start + len(batch), len(ids))


def _scan(run: Run, kind: str, query: str | None) -> frozenset[str]:
    with run.counting("invoices"):
        progress = run.scan(
            "invoices",
            kind=kind,
            query=query,
            model=InvoiceModel,
            template=TEMPLATE,
            prepare=lambda raws: prepare(run, raws),
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
    with run.read() as session:
        vanished = store.open_invoice_ids(session, run.company_pk) - seen_open
    fetch_by_ids(run, vanished, force=False)
    with run.txn() as session:
        run.finish_scan(session, "invoices", "open")
        run.finish_scan(session, "invoices", "window")
    _dirty_leftovers(run)


def _dirty_leftovers(run: Run) -> None:
    with run.read() as session:
        dirty = store.dirty_ids(store.peek_state(session, run.company_pk, "invoices"))
    fetch_by_ids(run, dirty, force=True)
