"""Database side of the puller: resumable scans in the sync state, open invoices, soft deletes.

Sync-state rows, dirty marks, derived amounts and pauses are the mirror's
(:mod:`syncd.mirror.syncstate`, :mod:`~syncd.mirror.dirty`, :mod:`~syncd.mirror.derive`,
:mod:`~syncd.mirror.pauses`). Functions take the caller's Session and never commit (style
practice 11): the puller's job opens one transaction per page so a page's rows and its progress
land together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.syncstate import set_cursor
from syncd.mirror.tables import CreditNote, Invoice, InvoicePayment, InvoiceSettlement, SyncState
from syncd.pull.cursors import ScanProgress

OPEN = sorted(status.value for status in im.OPEN_STATUSES)


def load_scan(row: SyncState, kind: str) -> ScanProgress | None:
    data = (row.cursor or {}).get("scans", {}).get(kind)
    return ScanProgress.from_json(data) if data else None


def save_scan(row: SyncState, progress: ScanProgress) -> None:
    scans = dict((row.cursor or {}).get("scans", {}))
    scans[progress.kind] = progress.to_json()
    set_cursor(row, scans=scans)


def clear_scans(row: SyncState) -> None:
    set_cursor(row, scans=None)


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
    repo.soft_delete(session, model, company_pk, gone, now=now)
    return len(gone)


def soft_delete_ids(
    session: Session,
    model: type[Invoice] | type[CreditNote],
    company_pk: int,
    ids: list[str],
    now: dt.datetime,
) -> None:
    repo.soft_delete(session, model, company_pk, ids, now=now)
