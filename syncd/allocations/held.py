"""Bank money the allocations hold: the questions about it that ingest and the matcher ask.

Ingest does not know what an allocation is (it sits below this package); where it needs to know
which bank lines syncd booked -- to link a plain debit that mirrors one as its reversal -- it
takes :data:`BOOKINGS` through its :class:`~syncd.ingest.reversals.Bookings` port.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from syncd.allocations.tables import ACTIVE_STATES, Allocation, AllocationState

BOOKED_STATES = (AllocationState.ACCEPTED, AllocationState.UNDOING)
"""A booking that stands in Bokio (or is being undone, and still stands until it is)."""


class BookedLines:
    """Implements :class:`syncd.ingest.reversals.Bookings`."""

    def booked_line_ids(self, company_id: int) -> Select[int]:
        return select(Allocation.bank_transaction_id).where(
            Allocation.company_id == company_id, Allocation.state.in_(BOOKED_STATES)
        )


BOOKINGS = BookedLines()


def allocated_cash(session: Session, company_id: int) -> dict[int, Decimal]:
    """Bank money already spoken for, per transaction: active allocations' ``cash``.

    Summed here in Decimal rather than in SQL, because SQLite stores money as text.
    """
    allocated: dict[int, Decimal] = defaultdict(Decimal)
    for tx_id, cash in session.execute(
        select(Allocation.bank_transaction_id, Allocation.cash).where(
            Allocation.company_id == company_id, Allocation.state.in_(ACTIVE_STATES)
        )
    ):
        allocated[tx_id] += cash
    return allocated
