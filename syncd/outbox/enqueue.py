"""Turning a decision into outbox commands, inside the caller's transaction (never commits).

Accepting an allocation enqueues, in order: create payment → record payment → for each
settlement: create → record → tag the journal entries. Undoing enqueues the deletes of exactly
the ids that allocation's push created. A later command refers to an earlier one's result by its
``seq`` (``"payment_seq": 1``), so the pusher can fill in Bokio's ids as they become known.
Idempotency keys are derived from the allocation id and the step, and are unique in the table,
so enqueueing the same allocation twice is impossible.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation
from syncd.outbox.tables import OutboxCommand

CREATE_PAYMENT = "create_payment"
RECORD_PAYMENT = "record_payment"
CREATE_SETTLEMENT = "create_settlement"
RECORD_SETTLEMENT = "record_settlement"
TAG_JOURNAL_ENTRIES = "tag_journal_entries"
DELETE_PAYMENT = "delete_payment"
DELETE_SETTLEMENT = "delete_settlement"
WRITE_KINDS = (CREATE_PAYMENT, CREATE_SETTLEMENT)


def _command(allocation: Allocation, seq: int, kind: str, payload: dict[str, Any], key: str) -> OutboxCommand:
    return OutboxCommand(
        company_id=allocation.company_id,
        allocation_id=allocation.id,
        invoice_bokio_id=allocation.invoice_bokio_id,
        seq=seq,
        kind=kind,
        payload=payload,
        state="pending",
        idempotency_key=key,
    )


def enqueue_allocation(
    session: Session, allocation: Allocation, *, payment_account: int, tag: bool = True
) -> list[OutboxCommand]:
    """Write the push commands of an accepted allocation; returns them in order."""
    if allocation.state != "accepted":
        raise ValueError(f"allocation {allocation.id} is {allocation.state}, not accepted")
    date = allocation.payment_date.isoformat()
    commands: list[OutboxCommand] = []

    def add(kind: str, payload: dict[str, Any]) -> int:
        seq = len(commands) + 1
        commands.append(_command(allocation, seq, kind, payload, f"alloc:{allocation.id}:{seq}:{kind}"))
        return seq

    record_seqs: list[int] = []
    if allocation.amount_sek > 0:
        payment = add(
            CREATE_PAYMENT,
            {
                "date": date,
                "sumBaseCurrency": allocation.amount_sek,
                "bookkeepingAccountNumber": payment_account,
            },
        )
        record_seqs.append(add(RECORD_PAYMENT, {"payment_seq": payment}))
    for plan in allocation.settlements.get("items", []):
        body: dict[str, Any] = {"type": plan["type"], "date": date, "sumBaseCurrency": plan["amount"]}
        if plan.get("vat_scheme"):
            body["vatScheme"] = plan["vat_scheme"]
        settlement = add(CREATE_SETTLEMENT, body)
        record_seqs.append(add(RECORD_SETTLEMENT, {"settlement_seq": settlement}))
    if tag and record_seqs:
        add(TAG_JOURNAL_ENTRIES, {"record_seqs": record_seqs})
    session.add_all(commands)
    allocation.push_state = "pending"
    session.flush()
    return commands


def enqueue_undo(session: Session, allocation: Allocation) -> list[OutboxCommand]:
    """Write the deletes of exactly what this allocation's push created (settlements first)."""
    if allocation.state != "accepted" or allocation.push_state != "done":
        raise ValueError(
            f"allocation {allocation.id} can be undone once accepted and pushed "
            f"(it is {allocation.state}, push {allocation.push_state})"
        )
    base = int(
        session.scalar(
            select(func.max(OutboxCommand.seq)).where(OutboxCommand.allocation_id == allocation.id)
        )
        or 0
    )
    commands: list[OutboxCommand] = []
    targets: list[tuple[str, dict[str, Any]]] = [
        (DELETE_SETTLEMENT, {"settlement_id": settlement_id})
        for settlement_id in allocation.bokio_settlement_ids.get("ids", [])
    ]
    if allocation.bokio_payment_id:
        targets.append((DELETE_PAYMENT, {"payment_id": allocation.bokio_payment_id}))
    for offset, (kind, payload) in enumerate(targets, start=1):
        seq = base + offset
        key = f"undo:{allocation.id}:{seq}:{kind}"  # seq grows past every earlier command
        commands.append(_command(allocation, seq, kind, payload, key))
    session.add_all(commands)
    allocation.state = "undoing"
    allocation.push_state = "pending"
    session.flush()
    return commands
