"""Bookings whose money went back: proposed undos for a person to confirm.

:mod:`syncd.ingest.reversals` links a reversal or returned credit to the credit it undoes. When
syncd had booked that credit in Bokio, the booking no longer reflects the bank, so the review shows
it with the reversal beside it and proposes its undo. Nothing happens until a person accepts: the
undo then goes through the outbox like any other (exactly the Bokio objects the allocation created
are deleted). Repositories here flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from syncd.allocations.tables import Allocation
from syncd.allocations.undo import request_undo
from syncd.errors import FatalError
from syncd.ingest.tables import BankTransaction
from syncd.outbox.tables import OutboxCommand

_BOOKED = ("accepted",)


class ReversalError(FatalError):
    """The reversal cannot be accepted as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class ProposedUndo:
    """A reversal line, the credit it reverses, and the bookings of that credit to undo."""

    reversal_id: int
    reversal_date: dt.date | None
    amount: Decimal
    currency: str
    return_reason: str
    why: str
    original_id: int
    original_date: dt.date | None
    payer: str
    allocations: tuple[tuple[int, str, Decimal], ...]  # (allocation id, invoice number, amount)

    @property
    def ref(self) -> str:
        """How a person names it in ``syncd review``: R and the reversal line's id."""
        return f"R{self.reversal_id}"

    def to_json(self) -> dict[str, object]:
        """JSON-ready (money as strings)."""
        return {
            "ref": self.ref,
            "reversal_line": self.reversal_id,
            "reversal_date": self.reversal_date.isoformat() if self.reversal_date else None,
            "amount": str(self.amount),
            "currency": self.currency,
            "return_reason": self.return_reason or None,
            "why": self.why,
            "original_line": self.original_id,
            "original_date": self.original_date.isoformat() if self.original_date else None,
            "payer": self.payer,
            "undo": [
                {"allocation": a, "invoice": number, "amount": str(amount)}
                for a, number, amount in self.allocations
            ],
        }


def proposed_undos(
    session: Session, company_id: int, *, reversal_id: int | None = None
) -> list[ProposedUndo]:
    """Reversals of credits syncd booked that no person has decided yet."""
    original = aliased(BankTransaction)
    query = (
        select(BankTransaction, original)
        .join(original, original.id == BankTransaction.reverses_id)
        .where(BankTransaction.company_id == company_id, BankTransaction.decided_at.is_(None))
        .order_by(BankTransaction.booking_date, BankTransaction.id)
    )
    if reversal_id is not None:
        query = query.where(BankTransaction.id == reversal_id)
    found = []
    for reversal, credit in session.execute(query):
        booked = session.scalars(
            select(Allocation)
            .where(Allocation.bank_transaction_id == credit.id, Allocation.state.in_(_BOOKED))
            .order_by(Allocation.id)
        ).all()
        if not booked:
            continue
        found.append(
            ProposedUndo(
                reversal_id=reversal.id,
                reversal_date=reversal.booking_date,
                amount=reversal.amount,
                currency=reversal.currency,
                return_reason=reversal.return_reason,
                why=reversal.identity_note,
                original_id=credit.id,
                original_date=credit.booking_date,
                payer=credit.payer_name,
                allocations=tuple((a.id, a.invoice_number, a.amount) for a in booked),
            )
        )
    return found


def keep_booking(
    session: Session, company_id: int, reversal_id: int, *, by: str, now: dt.datetime
) -> ProposedUndo:
    """A person says the booking stands (the money came back for another reason): no undo."""
    (proposal,) = proposed_undos(session, company_id, reversal_id=reversal_id) or (None,)
    if proposal is None:
        raise ReversalError(
            f"R{reversal_id} is not a reversal waiting for a decision (see `syncd review list`)"
        )
    line = session.get_one(BankTransaction, reversal_id)
    line.decided_by, line.decided_at = by, now
    line.identity_note = f"{line.identity_note}; booking kept by {by}".lstrip("; ")
    session.flush()
    return proposal


def accept_reversal(
    session: Session, company_id: int, reversal_id: int, *, by: str, now: dt.datetime
) -> tuple[ProposedUndo, list[OutboxCommand]]:
    """Queue the undo of every booking of the reversed credit, and record who decided."""
    (proposal,) = proposed_undos(session, company_id, reversal_id=reversal_id) or (None,)
    if proposal is None:
        raise ReversalError(
            f"R{reversal_id} is not a reversal waiting for a decision "
            "(see `syncd review list`: it may be decided already, or its credit was never booked)"
        )
    commands: list[OutboxCommand] = []
    for allocation_id, _number, _amount in proposal.allocations:
        commands += request_undo(session, allocation_id, by=by, now=now)
    line = session.get_one(BankTransaction, reversal_id)
    line.decided_by, line.decided_at = by, now
    line.identity_note = f"{line.identity_note}; undo accepted by {by}".lstrip("; ")
    session.flush()
    return proposal, commands
