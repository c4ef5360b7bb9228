"""What happened to one attempt, and writing it down: command, owner and mirror in one transaction.

The pusher turns each attempt into an :class:`Outcome` (no database inside the HTTP part); this
module applies it in the transaction that also marks the command, so "Bokio's id is known" and
"the command is done" can never be seen apart. What the command meant to its group's owner (an
allocation) is the owner's business, told through :class:`~syncd.outbox.owner.CommandOwner`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.bokio.models import InvoicePayment as PaymentModel
from syncd.bokio.models import InvoiceSettlement as SettlementModel
from syncd.mirror import repo
from syncd.mirror.dirty import mark_dirty
from syncd.mirror.pauses import Pause, PauseKind, set_pause
from syncd.mirror.tables import Invoice, InvoicePayment, InvoiceSettlement
from syncd.outbox.kinds import FINISHED, CommandState
from syncd.outbox.owner import CommandOwner
from syncd.outbox.payloads import DUPLICATE_OF
from syncd.outbox.store import Claimed, cancel_successors
from syncd.outbox.tables import OutboxCommand

OutcomeKind = Literal["done", "retry", "unknown", "failed", "pause", "resend"]


@dataclass(frozen=True)
class Outcome:
    """One attempt's result.

    - ``done``: ``result`` holds Bokio's ids; ``payments``/``settlements`` are objects to mirror.
    - ``retry``: nothing happened at Bokio; try again after ``delay_s``.
    - ``unknown``: it may have happened; read back after ``delay_s`` and not before
      ``not_before`` (the settle window, measured from the send).
    - ``resend``: read back and it provably did not happen; send again (``before`` refreshed).
    - ``failed``: Bokio refused; ``error`` is its answer verbatim, for a person.
    - ``pause``: the whole company waits until ``pause_until`` (``pause_kind``: quota, auth, plan).
    """

    kind: OutcomeKind
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    delay_s: float = 0.0
    not_before: dt.datetime | None = None
    pause_until: dt.datetime | None = None
    pause_kind: str | None = None  # syncd.mirror.pauses.PauseKind value
    before: dict[str, Any] | None = None
    payments: tuple[PaymentModel, ...] = ()
    settlements: tuple[SettlementModel, ...] = ()
    deleted: tuple[tuple[str, str], ...] = ()  # ("payment" | "settlement", bokio id)
    invoice_entry: str | None = None  # the journal entry of the invoice this command recorded


@dataclass(frozen=True)
class Applied:
    """What the caller may do after commit: refresh the invoice when its group finished."""

    group_finished: bool = False
    invoice_id: str = ""
    notes: list[str] = field(default_factory=list)


def apply_outcome(
    session: Session,
    claimed: Claimed,
    outcome: Outcome,
    now: dt.datetime,
    *,
    owner: CommandOwner,
    worker: str | None = None,
) -> Applied:
    """Record ``outcome`` on the command if it is still ours (``sending``, claimed by ``worker``).

    A claim that outlived its lease may have been recovered and re-claimed by another worker; its
    outcome is then dropped here (the other worker reads back and reaches the same answer).
    """
    command = session.get(OutboxCommand, claimed.id, with_for_update=True)
    if (
        command is None
        or command.state != CommandState.SENDING
        or (worker is not None and command.claimed_by != worker)
    ):
        return Applied(notes=[f"command {claimed.id} changed under us; outcome dropped"])
    command.updated_at = now
    command.claimed_by = None
    if outcome.kind == "done":
        return _done(session, command, claimed, outcome, now=now, owner=owner)
    if outcome.kind == "failed":
        command.state = CommandState.FAILED
        command.error = outcome.error
        if command.allocation_id is not None:
            cancel_successors(session, command.allocation_id, command.seq, now)
            owner.command_failed(session, command, now)
        return Applied()
    _later(session, command, claimed, outcome, now)
    return Applied()


def _done(
    session: Session,
    command: OutboxCommand,
    claimed: Claimed,
    outcome: Outcome,
    *,
    now: dt.datetime,
    owner: CommandOwner,
) -> Applied:
    command.state = CommandState.DONE
    command.result = outcome.result or {}
    command.error = None
    _mirror(session, claimed, outcome, now)
    if claimed.invoice_id and (claimed.mode == "resolve" or DUPLICATE_OF in claimed.payload):
        # an outcome that was unknown, or a copy deleted: the next pull re-reads the invoice
        # (the duplicate detector sees any copy that lands late; paidAmount is Bokio's again)
        mark_dirty(session, claimed.company_id, [claimed.invoice_id])
    if command.allocation_id is None:
        return Applied()
    session.flush()
    last = group_open(session, command.allocation_id) is None
    owner.command_done(session, command, now, last=last)
    return Applied(group_finished=last, invoice_id=claimed.invoice_id)


def group_open(session: Session, owner_id: int) -> int | None:
    """The id of one command of the group that is not finished (done or cancelled), if any."""
    return session.scalar(
        select(OutboxCommand.id)
        .where(OutboxCommand.allocation_id == owner_id, OutboxCommand.state.not_in(FINISHED))
        .limit(1)
    )


def _later(
    session: Session, command: OutboxCommand, claimed: Claimed, outcome: Outcome, now: dt.datetime
) -> None:
    """Retry, resend, unknown or pause: the command waits, and is due at the right time."""
    command.error = outcome.error
    # a read-back that could not finish leaves the outcome unknown: never re-send on a failed read
    unresolved = claimed.mode == "resolve" and outcome.kind != "resend"
    back = CommandState.UNKNOWN if unresolved else CommandState.PENDING
    due = now + dt.timedelta(seconds=outcome.delay_s)
    if outcome.not_before is not None:
        due = max(due, outcome.not_before)
    if outcome.kind == "unknown":
        command.state = CommandState.UNKNOWN
        command.next_attempt_at = due
    elif outcome.kind == "pause":
        command.state = back
        until = outcome.pause_until or now
        command.next_attempt_at = until  # a pause that ends early makes it due (pauses.clear)
        error = outcome.error or {}
        reason = str(error.get("pause_reason") or error.get("message") or "paused")
        kind = PauseKind(outcome.pause_kind or PauseKind.QUOTA)
        set_pause(session, claimed.company_id, Pause(kind, reason, until, now))
    else:  # retry / resend
        command.state = back
        command.next_attempt_at = due
        if outcome.before is not None:
            command.before = {**(command.before or {}), **outcome.before}  # keeps ``first_send``


def _mirror(session: Session, claimed: Claimed, outcome: Outcome, now: dt.datetime) -> None:
    """Mirror what the write responses told us, so the next poll has nothing new to learn."""
    if outcome.payments:
        repo.upsert(
            session, InvoicePayment, claimed.company_id, list(outcome.payments), invoice_id=claimed.invoice_id
        )
    if outcome.settlements:
        repo.upsert(
            session,
            InvoiceSettlement,
            claimed.company_id,
            list(outcome.settlements),
            invoice_id=claimed.invoice_id,
        )
    if outcome.invoice_entry is not None:
        repo.changed(
            session, Invoice, claimed.company_id, [claimed.invoice_id], journal_entry_id=outcome.invoice_entry
        )
    for what, bokio_id in outcome.deleted:
        model = InvoicePayment if what == "payment" else InvoiceSettlement
        repo.changed(session, model, claimed.company_id, [bokio_id], deleted_at=now)


def error_body(exc: Exception, **extra: Any) -> dict[str, Any]:
    """Bokio's error verbatim (code, message, bokioErrorId, field pointers) plus our context."""
    body: dict[str, Any] = {"message": str(exc), "type": type(exc).__name__}
    context = getattr(exc, "context", None)
    if context is not None:
        body.update(
            status=context.status,
            code=context.code,
            bokioErrorId=context.bokio_error_id,
            errors=[{"field": fe.field, "message": fe.message} for fe in context.field_errors],
        )
        if context.body:
            body["bokio"] = context.body
    body.update(extra)
    return body
