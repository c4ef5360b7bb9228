"""The allocation's side of its push: one owner for state, Bokio ids, undo and the mirror's invoice.

An allocation is ``proposed`` → ``accepted`` (→ its commands are enqueued, :mod:`.push`) →
``undoing`` → ``undone``; its ``push_state`` follows its commands: ``pending`` → ``done`` |
``failed``. The outbox reports every command's end through the
:class:`~syncd.outbox.owner.CommandOwner` port, and this class is the only code that moves an
allocation's push state, records the Bokio ids its push created (an undo deletes exactly those),
and, when its last command is done, moves the mirror's invoice by what it booked
(:mod:`.reflect`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from syncd.allocations.reflect import reflect_allocation
from syncd.allocations.tables import Allocation, AllocationState, PushState
from syncd.domain import invoice_math as im
from syncd.outbox.kinds import DELETE_KINDS, CommandKind
from syncd.outbox.tables import OutboxCommand


@dataclass(frozen=True)
class AllocationLifecycle:
    """Implements :class:`~syncd.outbox.owner.CommandOwner` for allocations.

    ``readings`` are syncd's reading of Bokio's open rules (``[bokio]``), used to move the
    invoice's ``paidAmount``/``status`` in the mirror without a read.
    """

    readings: im.Readings = im.DEFAULT_READINGS

    def command_done(self, session: Session, command: OutboxCommand, now: dt.datetime, *, last: bool) -> None:
        allocation = self._allocation(session, command)
        if allocation is None:
            return
        _record_ids(allocation, command)
        if not last:
            return
        allocation.push_state = PushState.DONE
        allocation.last_error = None
        if allocation.state == AllocationState.UNDOING:
            allocation.state = AllocationState.UNDONE
        session.flush()
        reflect_allocation(
            session,
            command.company_id,
            allocation,
            now=now,
            undone=allocation.state == AllocationState.UNDONE,
            readings=self.readings,
        )

    def command_failed(self, session: Session, command: OutboxCommand, now: dt.datetime) -> None:
        """A refused delete returns the allocation to booked, holding exactly the ids still in Bokio."""
        allocation = self._allocation(session, command)
        if allocation is None:
            return
        allocation.last_error = {"command_id": command.id, "kind": command.kind, **(command.error or {})}
        if command.kind in DELETE_KINDS or allocation.state == AllocationState.UNDOING:
            allocation.state, allocation.push_state = AllocationState.ACCEPTED, PushState.DONE
        else:
            allocation.push_state = PushState.FAILED

    def command_cancelled(self, session: Session, command: OutboxCommand, now: dt.datetime) -> None:
        allocation = self._allocation(session, command)
        if allocation is None:
            return
        if command.kind in DELETE_KINDS:
            allocation.state, allocation.push_state = AllocationState.ACCEPTED, PushState.DONE
        else:
            allocation.push_state = PushState.FAILED
        allocation.last_error = {"message": f"command {command.id} cancelled by a person"}

    def command_retried(self, session: Session, command: OutboxCommand, now: dt.datetime) -> None:
        allocation = self._allocation(session, command)
        if allocation is None:
            return
        allocation.push_state = PushState.PENDING
        if command.kind in DELETE_KINDS:
            allocation.state = AllocationState.UNDOING

    @staticmethod
    def _allocation(session: Session, command: OutboxCommand) -> Allocation | None:
        if command.allocation_id is None:
            return None
        return session.get(Allocation, command.allocation_id)


def _record_ids(allocation: Allocation, command: OutboxCommand) -> None:
    """Keep the Bokio ids the push created (and forget the ones an undo deleted)."""
    result = command.result or {}
    ids = [str(i) for i in allocation.bokio_settlement_ids.get("ids", [])]
    if command.kind == CommandKind.CREATE_PAYMENT:
        allocation.bokio_payment_id = str(result["payment_id"])
    elif command.kind == CommandKind.CREATE_SETTLEMENT:
        if str(result["settlement_id"]) not in ids:
            ids.append(str(result["settlement_id"]))
    elif command.kind == CommandKind.DELETE_PAYMENT:
        allocation.bokio_payment_id = None
    elif command.kind == CommandKind.DELETE_SETTLEMENT:
        gone = str(command.payload.get("settlement_id"))
        ids = [i for i in ids if i != gone]
    if ids != allocation.bokio_settlement_ids.get("ids", []):
        allocation.bokio_settlement_ids = {**allocation.bokio_settlement_ids, "ids": ids}
