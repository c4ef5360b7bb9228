"""Writing commands into the outbox, inside the caller's transaction (never commits).

The outbox does not know what a group of commands means: its owner (an allocation, see
:mod:`syncd.allocations.push`) decides the steps, and the outbox keeps them in order (``seq``),
one group at a time per invoice. A later step refers to an earlier one's result by its ``seq``
(``"payment_seq": 1``), so the pusher can fill in Bokio's ids as they become known. Every
command's ``idempotency_key`` is unique in the table, so enqueueing the same step twice is
refused by the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.outbox.kinds import CommandKind, CommandState
from syncd.outbox.tables import OutboxCommand


@dataclass(frozen=True)
class Step:
    """One command to write: what it does and its payload (:mod:`syncd.outbox.payloads`)."""

    kind: CommandKind
    payload: dict[str, Any]


@dataclass(frozen=True)
class Group:
    """Whose commands these are: ``key`` prefixes every idempotency key (``alloc:17``)."""

    company_id: int
    owner_id: int
    invoice_id: str
    key: str


def next_seq(session: Session, owner_id: int) -> int:
    """The seq after every command the group already has (so a later undo sorts after its push)."""
    last = session.scalar(select(func.max(OutboxCommand.seq)).where(OutboxCommand.allocation_id == owner_id))
    return int(last or 0) + 1


def enqueue(session: Session, group: Group, steps: list[Step], *, first_seq: int = 1) -> list[OutboxCommand]:
    """Add ``steps`` to the group's commands, numbered from ``first_seq``; returns them in order."""
    commands = [
        OutboxCommand(
            company_id=group.company_id,
            allocation_id=group.owner_id,
            invoice_bokio_id=group.invoice_id,
            seq=seq,
            kind=step.kind,
            payload=step.payload,
            state=CommandState.PENDING,
            idempotency_key=f"{group.key}:{seq}:{step.kind}",
        )
        for seq, step in enumerate(steps, start=first_seq)
    ]
    session.add_all(commands)
    session.flush()
    return commands
