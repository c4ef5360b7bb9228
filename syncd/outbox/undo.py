"""Undoing a pushed allocation: delete exactly the payment and settlements *it* created, via the outbox.

The ids come from the allocation's own record (filled from Bokio's answers when its commands
were done), so other payments on the same invoice — a person's, another allocation's — are never
touched. The deletes go through the outbox like any write (one in flight per invoice, lost
answers read back). If Bokio refuses one (say 400 operation-not-allowed), the allocation returns
to ``accepted``/``done`` holding exactly the ids still in Bokio, with Bokio's reason in
``last_error`` (see :func:`syncd.outbox.apply.apply_outcome`); when all deletes are done it is
``undone``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation
from syncd.errors import FatalError
from syncd.outbox import enqueue as k
from syncd.outbox.enqueue import enqueue_undo
from syncd.outbox.tables import OutboxCommand


class UndoRefusedError(FatalError):
    """The allocation cannot be undone in its current state; the message says why."""


@dataclass(frozen=True)
class UndoStep:
    """One delete an undo will send."""

    kind: str
    bokio_id: str
    invoice_id: str


def undo_steps(allocation: Allocation) -> list[UndoStep]:
    """The deletes, settlements first (a payment with settlements may be refused otherwise)."""
    steps = [
        UndoStep(k.DELETE_SETTLEMENT, str(settlement_id), allocation.invoice_bokio_id)
        for settlement_id in allocation.bokio_settlement_ids.get("ids", [])
    ]
    if allocation.bokio_payment_id:
        steps.append(UndoStep(k.DELETE_PAYMENT, allocation.bokio_payment_id, allocation.invoice_bokio_id))
    return steps


def request_undo(session: Session, allocation_id: int) -> list[OutboxCommand]:
    """Queue the deletes in the caller's transaction; raises :class:`UndoRefusedError` when it can't."""
    allocation = session.get(Allocation, allocation_id, with_for_update=True)
    if allocation is None:
        raise UndoRefusedError(f"allocation {allocation_id} does not exist")
    if allocation.state == "undone":
        raise UndoRefusedError(f"allocation {allocation_id} is already undone")
    if allocation.state == "undoing":
        raise UndoRefusedError(f"allocation {allocation_id} is being undone; see `syncd outbox list`")
    try:
        return enqueue_undo(session, allocation)
    except ValueError as exc:
        raise UndoRefusedError(str(exc)) from None
