"""``sync_state`` rows: one per (company, stream), holding its cursor and its last runs.

Functions take the caller's Session and never commit (style practice 11).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.mirror.tables import SyncState


def state(session: Session, company_pk: int, stream: str) -> SyncState:
    """The (company, stream) sync-state row, created on first use."""
    row = peek_state(session, company_pk, stream)
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
