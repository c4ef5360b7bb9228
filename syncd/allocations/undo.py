"""Undoing a pushed allocation: delete exactly the payment and settlements *it* created, via the outbox.

The ids come from the allocation's own record (filled from Bokio's answers when its commands
were done), so other payments on the same invoice — a person's, another allocation's — are never
touched. The deletes go through the outbox like any write (one in flight per invoice, lost
answers read back). If Bokio refuses one (say 400 operation-not-allowed), the allocation returns
to ``accepted``/``done`` holding exactly the ids still in Bokio, with Bokio's reason in
``last_error`` (see :class:`syncd.allocations.lifecycle.AllocationLifecycle`); when all deletes are done it is
``undone``.

An undo sticks: in the same transaction the (bank line, invoice) pair goes into the matcher's
memory with reason ``undone`` (who and when recorded), so once the deletes are done the bank
line is unmatched money again and the matcher never books it to that invoice again. Only a
person's ``syncd review assign`` can. An allocation that booked nothing in Bokio has nothing to
undo, and the refusal says what to do instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations import push
from syncd.allocations.tables import PAIR_UNDONE, Allocation, AllocationState, PushState, RejectedPair
from syncd.allocations.unmatched import when
from syncd.errors import FatalError
from syncd.outbox import payloads
from syncd.outbox.kinds import CommandState
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
    return [
        UndoStep(step.kind, payloads.deleted_target(step.kind, step.payload)[1], allocation.invoice_bokio_id)
        for step in push.undo_steps(allocation)
    ]


def check_undoable(session: Session, allocation: Allocation) -> list[UndoStep]:
    """The deletes an undo would send; :class:`UndoRefusedError` (what, why, what to do) if none."""
    ref = f"allocation {allocation.id}"
    state, push = allocation.state, allocation.push_state
    if state == AllocationState.PROPOSED:
        raise UndoRefusedError(
            f"{ref} booked nothing in Bokio: it is still waiting for review. Nothing to undo; "
            f"to keep it from ever being booked, `syncd review reject {allocation.id}`"
        )
    if state in (AllocationState.REJECTED, AllocationState.EXPIRED):
        raise UndoRefusedError(
            f"{ref} booked nothing in Bokio: it was {state} "
            f"{when(allocation.decided_at, allocation.decided_by)}. Nothing to undo"
        )
    if state == AllocationState.UNDONE:
        raise UndoRefusedError(
            f"{ref} is already undone ({when(allocation.undo_at, allocation.undo_by)}); "
            "nothing of it is left in Bokio"
        )
    if state == AllocationState.UNDOING:
        raise UndoRefusedError(f"{ref} is being undone; see `syncd outbox list` for its deletes")
    steps = undo_steps(allocation)
    if push == PushState.DONE and steps:
        return steps
    if push == PushState.FAILED and not steps:
        failed = session.scalar(
            select(OutboxCommand.id)
            .where(OutboxCommand.allocation_id == allocation.id, OutboxCommand.state == CommandState.FAILED)
            .order_by(OutboxCommand.seq)
            .limit(1)
        )
        hint = f"`syncd outbox retry {failed}` sends it again" if failed else "`syncd outbox list` shows it"
        raise UndoRefusedError(
            f"{ref} booked nothing in Bokio: its push failed or was cancelled before Bokio created "
            f"anything. Nothing to undo; {hint}"
        )
    if push in (PushState.NONE, PushState.PENDING) and not steps:
        raise UndoRefusedError(
            f"{ref} booked nothing in Bokio yet: its push has not been sent. Nothing to undo; to "
            "stop it, cancel its first command (`syncd outbox list`, then `syncd outbox cancel ID`)"
        )
    if not steps:
        raise UndoRefusedError(
            f"{ref} booked nothing in Bokio (no payment or settlement of it); nothing to undo"
        )
    raise UndoRefusedError(
        f"{ref} is part-way through its push ({push}: Bokio holds {len(steps)} object(s) of it, more "
        "to come). Let `syncd push` finish it, or retry or cancel its failed command (`syncd outbox "
        "list`), then undo it"
    )


def request_undo(session: Session, allocation_id: int, *, by: str, now: dt.datetime) -> list[OutboxCommand]:
    """Queue the deletes and remember the pair, in the caller's transaction.

    Raises :class:`UndoRefusedError` when there is nothing (yet) to undo.
    """
    allocation = session.get(Allocation, allocation_id, with_for_update=True)
    if allocation is None:
        raise UndoRefusedError(f"allocation {allocation_id} does not exist; see `syncd review list`")
    check_undoable(session, allocation)
    try:
        commands = push.enqueue_undo(session, allocation, by=by, now=now)
    except ValueError as exc:  # pragma: no cover - check_undoable refuses the same states first
        raise UndoRefusedError(str(exc)) from None
    remember_undone_pair(session, allocation, by=by, now=now)
    session.flush()
    return commands


def remember_undone_pair(session: Session, allocation: Allocation, *, by: str, now: dt.datetime) -> None:
    """Put (bank line, invoice) in the matcher's memory: never proposed again, because undone."""
    pair = session.scalar(
        select(RejectedPair).where(
            RejectedPair.company_id == allocation.company_id,
            RejectedPair.bank_transaction_id == allocation.bank_transaction_id,
            RejectedPair.invoice_bokio_id == allocation.invoice_bokio_id,
        )
    )
    if pair is None:
        pair = RejectedPair(
            company_id=allocation.company_id,
            bank_transaction_id=allocation.bank_transaction_id,
            invoice_bokio_id=allocation.invoice_bokio_id,
        )
        session.add(pair)
    pair.reason, pair.allocation_id, pair.rejected_at, pair.rejected_by = PAIR_UNDONE, allocation.id, now, by
