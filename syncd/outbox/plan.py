"""What a push would do, and how many Bokio calls it would cost — from the database alone (--dry-run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.outbox import tagging
from syncd.outbox.kinds import RUNNABLE, CommandKind, CommandState
from syncd.outbox.tables import OutboxCommand

TAG_SETUP_CALLS = 3  # list tag groups, create the group, create the tag: once per company


@dataclass(frozen=True)
class PlannedCommand:
    """One command a push would handle and its expected calls (fault-free)."""

    id: int
    allocation_id: int | None
    invoice_id: str | None
    seq: int
    kind: str
    state: str
    calls: int
    note: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan(session: Session, company_id: int, *, refresh_invoices: bool = False) -> list[PlannedCommand]:
    """Pending and unknown commands with their cost; ``unknown`` costs a read (+ a resend if not applied)."""
    commands = session.scalars(
        select(OutboxCommand)
        .where(OutboxCommand.company_id == company_id, OutboxCommand.state.in_(RUNNABLE))
        .order_by(OutboxCommand.id)
    ).all()
    last_seq = dict(
        session.execute(
            select(OutboxCommand.allocation_id, func.max(OutboxCommand.seq))
            .where(OutboxCommand.company_id == company_id, OutboxCommand.state != CommandState.CANCELLED)
            .group_by(OutboxCommand.allocation_id)
        ).all()
    )
    tag_state = tagging.current(session, company_id)
    setup_counted = tag_state.known or tag_state.disabled_reason is not None
    planned: list[PlannedCommand] = []
    for command in commands:
        calls, notes = 1, []
        if command.kind == CommandKind.TAG_JOURNAL_ENTRIES:
            if tag_state.disabled_reason:
                calls, notes = 0, ["tagging is off: " + tag_state.disabled_reason]
            else:
                calls = len(command.payload.get("record_seqs", []))
                if not setup_counted:
                    calls += TAG_SETUP_CALLS
                    setup_counted = True
                    notes.append("creates syncd's tag group and tag first")
        if command.state == CommandState.UNKNOWN:
            notes.append(
                f"outcome unknown: read back from {command.next_attempt_at.isoformat()} (settle window), "
                "send again only if not applied"
            )
            if command.kind != CommandKind.TAG_JOURNAL_ENTRIES:
                calls = 1
        if (
            refresh_invoices
            and command.allocation_id is not None
            and last_seq.get(command.allocation_id) == command.seq
        ):
            calls += 1
            notes.append("then reads the invoice once for paidAmount/status")
        planned.append(
            PlannedCommand(
                command.id,
                command.allocation_id,
                command.invoice_bokio_id,
                command.seq,
                command.kind,
                command.state,
                calls,
                "; ".join(notes),
            )
        )
    return planned
