"""What happened to one attempt, and writing it down: command, allocation and mirror in one transaction.

The pusher turns each attempt into an :class:`Outcome` (no database inside the HTTP part); this
module applies it in the transaction that also marks the command, so "Bokio's id is known" and
"the command is done" can never be seen apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation
from syncd.bokio import models as bm
from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.dirty import mark_dirty
from syncd.mirror.pauses import Pause, PauseKind, set_pause
from syncd.mirror.tables import InvoicePayment, InvoiceSettlement
from syncd.outbox import enqueue as k
from syncd.outbox.reflect import reflect_allocation
from syncd.outbox.store import DUPLICATE_OF, Claimed, cancel_successors
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
    payments: tuple[dict[str, Any], ...] = ()
    settlements: tuple[dict[str, Any], ...] = ()
    deleted: tuple[tuple[str, str], ...] = ()  # ("payment" | "settlement", bokio id)


@dataclass(frozen=True)
class Applied:
    """What the caller may do after commit: refresh the invoice when its allocation finished."""

    allocation_finished: bool = False
    invoice_id: str = ""
    notes: list[str] = field(default_factory=list)


def apply_outcome(
    session: Session,
    claimed: Claimed,
    outcome: Outcome,
    now: dt.datetime,
    *,
    worker: str | None = None,
    sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN,
    paid_includes_settlements: bool = im.PAID_INCLUDES_SETTLEMENTS,
) -> Applied:
    """Record ``outcome`` on the command if it is still ours (``sending``, claimed by ``worker``).

    A claim that outlived its lease may have been recovered and re-claimed by another worker; its
    outcome is then dropped here (the other worker reads back and reaches the same answer).
    """
    command = session.get(OutboxCommand, claimed.id, with_for_update=True)
    if command is None or command.state != "sending" or (worker is not None and command.claimed_by != worker):
        return Applied(notes=[f"command {claimed.id} changed under us; outcome dropped"])
    command.updated_at = now
    command.claimed_by = None
    if outcome.kind == "done":
        command.state = "done"
        command.result = outcome.result or {}
        command.error = None
        _mirror(session, claimed, outcome, now)
        if claimed.invoice_id and (claimed.mode == "resolve" or DUPLICATE_OF in claimed.payload):
            # an outcome that was unknown, or a copy deleted: the next pull re-reads the invoice
            # (the duplicate detector sees any copy that lands late; paidAmount is Bokio's again)
            mark_dirty(session, claimed.company_id, [claimed.invoice_id])
        applied = _after_done(session, command, claimed, now)
        if applied.allocation_finished and command.allocation_id is not None:
            allocation = session.get(Allocation, command.allocation_id)
            if allocation is not None:
                reflect_allocation(
                    session,
                    claimed.company_id,
                    allocation,
                    now=now,
                    undone=allocation.state == "undone",
                    sign=sign,
                    paid_includes_settlements=paid_includes_settlements,
                )
        return applied
    if outcome.kind == "failed":
        command.state = "failed"
        command.error = outcome.error
        _after_failed(session, command, outcome.error or {}, now)
        return Applied()
    command.error = outcome.error
    # a read-back that could not finish leaves the outcome unknown: never re-send on a failed read
    back = "unknown" if claimed.mode == "resolve" and outcome.kind != "resend" else "pending"
    due = now + dt.timedelta(seconds=outcome.delay_s)
    if outcome.not_before is not None:
        due = max(due, outcome.not_before)
    if outcome.kind == "unknown":
        command.state = "unknown"
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
    return Applied()


def _mirror(session: Session, claimed: Claimed, outcome: Outcome, now: dt.datetime) -> None:
    """Mirror what the write responses told us, so the next poll has nothing new to learn."""
    payments = [bm.InvoicePayment.model_validate(raw) for raw in outcome.payments]
    settlements = [bm.InvoiceSettlement.model_validate(raw) for raw in outcome.settlements]
    repo.upsert(session, InvoicePayment, claimed.company_id, payments, invoice_id=claimed.invoice_id)
    repo.upsert(session, InvoiceSettlement, claimed.company_id, settlements, invoice_id=claimed.invoice_id)
    for what, bokio_id in outcome.deleted:
        model = InvoicePayment if what == "payment" else InvoiceSettlement
        session.execute(
            update(model)
            .where(model.company_id == claimed.company_id, model.bokio_id == bokio_id)
            .values(deleted_at=now)
        )


def _after_done(session: Session, command: OutboxCommand, claimed: Claimed, now: dt.datetime) -> Applied:
    if command.allocation_id is None:
        return Applied()
    allocation = session.get(Allocation, command.allocation_id)
    if allocation is None:
        return Applied()
    result = command.result or {}
    if command.kind == k.CREATE_PAYMENT:
        allocation.bokio_payment_id = str(result["payment_id"])
    elif command.kind == k.CREATE_SETTLEMENT:
        ids = list(allocation.bokio_settlement_ids.get("ids", []))
        if result["settlement_id"] not in ids:
            ids.append(str(result["settlement_id"]))
        allocation.bokio_settlement_ids = {**allocation.bokio_settlement_ids, "ids": ids}
    elif command.kind == k.DELETE_PAYMENT:
        allocation.bokio_payment_id = None
    elif command.kind == k.DELETE_SETTLEMENT:
        gone = str(command.payload.get("settlement_id"))
        ids = [i for i in allocation.bokio_settlement_ids.get("ids", []) if i != gone]
        allocation.bokio_settlement_ids = {**allocation.bokio_settlement_ids, "ids": ids}
    session.flush()
    open_left = session.scalar(
        select(OutboxCommand.id)
        .where(
            OutboxCommand.allocation_id == allocation.id,
            OutboxCommand.state.not_in(("done", "cancelled")),
        )
        .limit(1)
    )
    if open_left is not None:
        return Applied()
    allocation.push_state = "done"
    allocation.last_error = None
    if allocation.state == "undoing":
        allocation.state = "undone"
    return Applied(allocation_finished=True, invoice_id=claimed.invoice_id)


def _after_failed(session: Session, command: OutboxCommand, error: dict[str, Any], now: dt.datetime) -> None:
    """A refusal stops the allocation's later commands; a refused undo restores the allocation."""
    if command.allocation_id is None:
        return
    allocation = session.get(Allocation, command.allocation_id)
    if allocation is None:
        return
    cancel_successors(session, allocation.id, command.seq, now)
    allocation.last_error = {"command_id": command.id, "kind": command.kind, **error}
    if command.kind in (k.DELETE_PAYMENT, k.DELETE_SETTLEMENT) or allocation.state == "undoing":
        # the ids the allocation still holds are exactly what is still in Bokio
        allocation.state = "accepted"
        allocation.push_state = "done"
    else:
        allocation.push_state = "failed"


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
