"""Dirty invoices: ones syncd wrote to, whose payments and settlements the next pull re-reads.

A recorded payment changes nothing on the invoice itself, so the content-hash compare alone
would not notice it; the pusher marks the invoice in its own transaction and the puller clears
the mark once it has read the invoice back. The marks live in the ``invoices`` stream's cursor.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from syncd.mirror.syncstate import set_cursor, state
from syncd.mirror.tables import SyncState

STREAM = "invoices"


def mark_dirty(session: Session, company_pk: int, invoice_ids: Iterable[str]) -> None:
    """Flag invoices whose payments/settlements must be re-read at the next pull."""
    row = state(session, company_pk, STREAM)
    dirty = sorted(set((row.cursor or {}).get("dirty", [])) | {str(i) for i in invoice_ids})
    set_cursor(row, dirty=dirty)


def dirty_ids(row: SyncState | None) -> set[str]:
    """The invoices marked in an ``invoices`` sync-state row (none without a row)."""
    return set((row.cursor or {}).get("dirty", [])) if row is not None else set()


def clear_dirty(row: SyncState, done: Iterable[str]) -> None:
    """Drop the marks of invoices that were read back."""
    remaining = dirty_ids(row) - set(done)
    if remaining != dirty_ids(row):
        set_cursor(row, dirty=sorted(remaining) or None)
