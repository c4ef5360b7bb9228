"""Database side of the puller: sync state, dirty marks, derived columns (pauses: ``pauses``).

Functions take the caller's Session and never commit (style practice 11): the puller's job
opens one transaction per page so a page's rows and its progress land together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syncd.domain import invoice_math as im
from syncd.mirror.tables import CreditNote, Invoice, InvoicePayment, InvoiceSettlement, SyncState
from syncd.pull.cursors import ScanProgress
from syncd.pull.derive import Derived, derive

OPEN = sorted(status.value for status in im.OPEN_STATUSES)


def state(session: Session, company_pk: int, stream: str) -> SyncState:
    """The (company, stream) sync-state row, created on first use."""
    row = session.scalar(
        select(SyncState).where(SyncState.company_id == company_pk, SyncState.stream == stream)
    )
    if row is None:
        row = SyncState(company_id=company_pk, stream=stream, cursor={})
        session.add(row)
        session.flush()
    return row


def peek_state(session: Session, company_pk: int, stream: str) -> SyncState | None:
    """The sync-state row if it exists (read-only callers: dry-run, budget)."""
    return session.scalar(
        select(SyncState).where(SyncState.company_id == company_pk, SyncState.stream == stream)
    )


def set_cursor(row: SyncState, **changes: Any) -> None:
    """Replace top-level cursor keys (a new dict, so the JSON column sees the change)."""
    cursor = {**(row.cursor or {}), **changes}
    row.cursor = {key: value for key, value in cursor.items() if value is not None}


def load_scan(row: SyncState, kind: str) -> ScanProgress | None:
    data = (row.cursor or {}).get("scans", {}).get(kind)
    return ScanProgress.from_json(data) if data else None


def save_scan(row: SyncState, progress: ScanProgress) -> None:
    scans = dict((row.cursor or {}).get("scans", {}))
    scans[progress.kind] = progress.to_json()
    set_cursor(row, scans=scans)


def clear_scans(row: SyncState) -> None:
    set_cursor(row, scans=None)


def mark_dirty(session: Session, company_pk: int, invoice_ids: Iterable[str]) -> None:
    """Flag invoices whose payments/settlements must be re-read at the next pull.

    Called by the pusher in its own transaction after a write to Bokio: a recorded payment
    changes nothing on the invoice itself, so the hash compare alone would not notice.
    """
    row = state(session, company_pk, "invoices")
    dirty = sorted(set((row.cursor or {}).get("dirty", [])) | {str(i) for i in invoice_ids})
    set_cursor(row, dirty=dirty)


def dirty_ids(row: SyncState | None) -> set[str]:
    return set((row.cursor or {}).get("dirty", [])) if row is not None else set()


def clear_dirty(row: SyncState, done: Iterable[str]) -> None:
    remaining = dirty_ids(row) - set(done)
    if remaining != dirty_ids(row):
        set_cursor(row, dirty=sorted(remaining) or None)


def open_invoice_ids(session: Session, company_pk: int) -> set[str]:
    """Invoices the mirror believes can still receive money."""
    return set(
        session.scalars(
            select(Invoice.bokio_id).where(
                Invoice.company_id == company_pk, Invoice.status.in_(OPEN), Invoice.deleted_at.is_(None)
            )
        )
    )


def soft_delete_children(
    session: Session,
    model: type[InvoicePayment] | type[InvoiceSettlement],
    company_pk: int,
    invoice_id: str,
    *,
    keep: set[str],
    now: dt.datetime,
) -> int:
    """Mark an invoice's payments/settlements that Bokio no longer lists as deleted."""
    live = session.scalars(
        select(model.bokio_id).where(
            model.company_id == company_pk,
            model.invoice_bokio_id == invoice_id,
            model.deleted_at.is_(None),
        )
    ).all()
    gone = [bokio_id for bokio_id in live if bokio_id not in keep]
    if gone:
        session.execute(
            update(model)
            .where(model.company_id == company_pk, model.bokio_id.in_(gone))
            .values(deleted_at=now)
        )
    return len(gone)


def soft_delete_ids(
    session: Session, model: type[Invoice], company_pk: int, ids: list[str], now: dt.datetime
) -> None:
    if ids:
        session.execute(
            update(model)
            .where(model.company_id == company_pk, model.bokio_id.in_(ids), model.deleted_at.is_(None))
            .values(deleted_at=now)
        )


def refresh_derived(
    session: Session,
    company_pk: int,
    invoice_ids: Iterable[str],
    *,
    sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN,
    paid_includes_settlements: bool = im.PAID_INCLUDES_SETTLEMENTS,
) -> list[str]:
    """Re-derive gross/outstanding for these invoices; write only rows whose values moved.

    Returns the problems found (one line per invoice whose totals do not fit).
    """
    ids = sorted(set(invoice_ids))
    if not ids:
        return []
    invoices = session.execute(
        select(
            Invoice.id,
            Invoice.bokio_id,
            Invoice.raw,
            Invoice.gross_amount,
            Invoice.outstanding,
            Invoice.amount_problem,
        ).where(Invoice.company_id == company_pk, Invoice.bokio_id.in_(ids), Invoice.deleted_at.is_(None))
    ).all()
    notes: dict[str, list[Mapping[str, Any]]] = {}
    for invoice_id, raw in session.execute(
        select(CreditNote.invoice_bokio_id, CreditNote.raw).where(
            CreditNote.company_id == company_pk,
            CreditNote.invoice_bokio_id.in_(ids),
            CreditNote.deleted_at.is_(None),
        )
    ):
        notes.setdefault(str(invoice_id), []).append(raw)
    settlements: dict[str, list[tuple[str, Any]]] = {}
    for invoice_id, kind, amount in session.execute(
        select(
            InvoiceSettlement.invoice_bokio_id, InvoiceSettlement.type, InvoiceSettlement.sum_base_currency
        ).where(
            InvoiceSettlement.company_id == company_pk,
            InvoiceSettlement.invoice_bokio_id.in_(ids),
            InvoiceSettlement.deleted_at.is_(None),
        )
    ):
        settlements.setdefault(invoice_id, []).append((kind, amount))
    problems: list[str] = []
    for row in invoices:
        derived = derive(
            row.raw,
            credit_notes=notes.get(row.bokio_id, ()),
            settlements=settlements.get(row.bokio_id, ()),
            sign=sign,
            paid_includes_settlements=paid_includes_settlements,
        )
        if derived.amount_problem:
            problems.append(f"invoice {row.bokio_id}: {derived.amount_problem}")
        if derived != Derived(row.gross_amount, row.outstanding, row.amount_problem):
            session.execute(update(Invoice).where(Invoice.id == row.id).values(**derived.as_values()))
    return problems
