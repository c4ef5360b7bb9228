"""A person's word that bank money was handled outside syncd (refund, loan, owner's deposit).

A dismissed line leaves the unmatched list and the matcher's input; bringing it back
(``undismiss``) makes it unmatched money again. Both record who and when; the rows stay as the
line's history. A line with a proposal waiting, or with nothing left unbooked, cannot be
dismissed: the message says what to do instead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations.held import allocated_cash
from syncd.allocations.tables import Allocation, AllocationState, Dismissal
from syncd.allocations.unmatched import BankLineError, active_dismissal, find_bank_line, when
from syncd.domain.money import ZERO


def dismiss(
    session: Session, company_id: int, ref: str, *, reason: str, by: str, now: dt.datetime
) -> Dismissal:
    """Dismiss a bank line (caller's transaction)."""
    reason = reason.strip()
    if not reason:
        raise BankLineError(
            "say why the money needs no booking: --reason 'refund to customer' (or loan, ...)"
        )
    line = find_bank_line(session, company_id, ref, lock=True)
    current = active_dismissal(session, company_id, line.id)
    if current is not None:
        raise BankLineError(
            f"bank line {line.id} was already dismissed {when(current.dismissed_at, current.dismissed_by)} "
            f"({current.reason}); `syncd review undismiss {line.id}` brings it back"
        )
    waiting = session.scalar(
        select(Allocation.id)
        .where(
            Allocation.company_id == company_id,
            Allocation.bank_transaction_id == line.id,
            Allocation.state == AllocationState.PROPOSED,
        )
        .limit(1)
    )
    if waiting is not None:
        raise BankLineError(
            f"bank line {line.id} has a proposal waiting for review (allocation {waiting}): "
            f"`syncd review reject {waiting}` first, then dismiss it"
        )
    if line.amount - allocated_cash(session, company_id).get(line.id, ZERO) <= ZERO:
        raise BankLineError(
            f"bank line {line.id} is fully booked already; nothing is left to dismiss "
            "(`syncd undo ALLOCATION_ID` undoes a booking)"
        )
    dismissal = Dismissal(
        company_id=company_id,
        bank_transaction_id=line.id,
        reason=reason,
        dismissed_at=now,
        dismissed_by=by,
    )
    session.add(dismissal)
    session.flush()
    return dismissal


def undismiss(session: Session, company_id: int, ref: str, *, by: str, now: dt.datetime) -> Dismissal:
    """Bring a dismissed line back to the unmatched money (caller's transaction)."""
    line = find_bank_line(session, company_id, ref, lock=True)
    current = active_dismissal(session, company_id, line.id)
    if current is None:
        raise BankLineError(
            f"bank line {line.id} is not dismissed; `syncd review unmatched --dismissed` lists those that are"
        )
    current.undismissed_at, current.undismissed_by = now, by
    session.flush()
    return current
