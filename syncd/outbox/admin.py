"""A person's hand on the outbox: list, retry and cancel commands (each in the caller's transaction).

A duplicate the detector found recorded in Bokio waits here as a ``failed`` delete: ``retry``
deletes it, ``cancel`` keeps it (:mod:`syncd.outbox.duplicates`). Retrying an ``unknown`` command
reads it back at once, but a read that finds nothing still re-sends only after the settle window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syncd.errors import FatalError
from syncd.outbox.kinds import CommandState
from syncd.outbox.owner import CommandOwner
from syncd.outbox.payloads import DUPLICATE_OF
from syncd.outbox.store import cancel_successors
from syncd.outbox.tables import OutboxCommand


class OutboxAdminError(FatalError):
    """The command cannot be changed that way; the message says why."""


def list_commands(
    session: Session, *, state: str | None = None, company_id: int | None = None
) -> list[dict[str, Any]]:
    """Commands as plain dicts, oldest first."""
    query = select(OutboxCommand).order_by(OutboxCommand.id)
    if state:
        query = query.where(OutboxCommand.state == state)
    if company_id is not None:
        query = query.where(OutboxCommand.company_id == company_id)
    return [
        {
            "id": c.id,
            "allocation_id": c.allocation_id,
            "invoice": c.invoice_bokio_id,
            "seq": c.seq,
            "kind": c.kind,
            "state": c.state,
            "attempts": c.attempts,
            "next_attempt_at": c.next_attempt_at.isoformat(),
            "result": c.result,
            "error": c.error,
            "duplicate_of": c.payload.get(DUPLICATE_OF),
        }
        for c in session.scalars(query)
    ]


def _command(session: Session, command_id: int) -> OutboxCommand:
    command = session.get(OutboxCommand, command_id, with_for_update=True)
    if command is None:
        raise OutboxAdminError(f"outbox command {command_id} does not exist")
    return command


def retry(session: Session, command_id: int, now: dt.datetime, *, owner: CommandOwner) -> str:
    """Failed or cancelled → pending (its cancelled successors too); unknown → read back now."""
    command = _command(session, command_id)
    if command.state == CommandState.UNKNOWN:
        command.next_attempt_at = now
        return "will be read back on the next push (re-sent only if absent after its settle window)"
    if command.state == CommandState.PENDING:
        _refuse_paused(session, command, now)
    if command.state not in (CommandState.FAILED, CommandState.CANCELLED):
        raise OutboxAdminError(
            f"command {command_id} is {command.state}; only failed, cancelled or unknown retry"
        )
    command.state, command.next_attempt_at, command.updated_at = CommandState.PENDING, now, now
    if command.allocation_id is not None:
        session.execute(
            update(OutboxCommand)
            .where(
                OutboxCommand.allocation_id == command.allocation_id,
                OutboxCommand.seq > command.seq,
                OutboxCommand.state == CommandState.CANCELLED,
            )
            .values(state=CommandState.PENDING, next_attempt_at=now, updated_at=now)
        )
        owner.command_retried(session, command, now)
    return "pending: goes out with the next push"


def _refuse_paused(session: Session, command: OutboxCommand, now: dt.datetime) -> None:
    """A pending command held by its company's pause: say which pause, and how to end it."""
    from syncd.mirror import pauses
    from syncd.mirror.tables import Company

    company = session.get(Company, command.company_id)
    pause = pauses.current(company, now)
    if company is not None and pause is not None:
        raise OutboxAdminError(
            f"command {command.id} is pending, held by the company's pause: {pause.describe()}; "
            f"fix: {pause.fix(company.bokio_company_id)}"
        )


def cancel(session: Session, command_id: int, now: dt.datetime, *, owner: CommandOwner) -> str:
    """Pending, failed or unknown → cancelled, with the group's later commands."""
    command = _command(session, command_id)
    if command.state not in (CommandState.PENDING, CommandState.FAILED, CommandState.UNKNOWN):
        raise OutboxAdminError(f"command {command_id} is {command.state}; it cannot be cancelled")
    warning = ""
    if command.state == CommandState.UNKNOWN:
        warning = "; its write may have reached Bokio: check the invoice there"
    command.state, command.updated_at = CommandState.CANCELLED, now
    if command.allocation_id is not None:
        cancel_successors(session, command.allocation_id, command.seq, now)
        owner.command_cancelled(session, command, now)
    return "cancelled" + warning
