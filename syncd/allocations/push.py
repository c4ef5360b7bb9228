"""An allocation's Bokio writes: what accepting it sends, and what undoing it deletes.

Accepting an allocation enqueues, in order: create payment → record payment → for each
settlement: create → record → tag the journal entries. Undoing enqueues the deletes of exactly
the ids that allocation's push created, settlements first (a payment with settlements may be
refused otherwise). Both run in the caller's transaction, with the decision that caused them;
what happens to the commands afterwards comes back through
:class:`syncd.allocations.lifecycle.AllocationLifecycle`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation, AllocationState, PushState
from syncd.bokio.writes import PaymentWrite, SettlementWrite
from syncd.domain.models import SettlementType, VatScheme
from syncd.outbox import payloads
from syncd.outbox.enqueue import Group, Step, enqueue, next_seq
from syncd.outbox.kinds import CommandKind
from syncd.outbox.tables import OutboxCommand


def _group(allocation: Allocation, key: str) -> Group:
    return Group(allocation.company_id, allocation.id, allocation.invoice_bokio_id, f"{key}:{allocation.id}")


def settlement_writes(allocation: Allocation) -> list[SettlementWrite]:
    """The settlements the allocation plans (``allocation.settlements``), as Bokio writes."""
    writes: list[SettlementWrite] = []
    for plan in allocation.settlements.get("items", []):
        amount = Decimal(str(plan["amount"]))
        kind = SettlementType(str(plan["type"]))
        if kind is SettlementType.PAYMENT_SERVICE_FEE:
            scheme = VatScheme(str(plan["vat_scheme"]))
            writes.append(SettlementWrite.payment_service_fee(allocation.payment_date, amount, scheme))
        elif kind is SettlementType.CURRENCY:
            writes.append(SettlementWrite.currency(allocation.payment_date, amount))
        else:
            writes.append(SettlementWrite.bank_fee(allocation.payment_date, amount))
    return writes


def push_steps(allocation: Allocation, *, payment_account: int, tag: bool) -> list[Step]:
    """The commands that book an accepted allocation in Bokio, in the order they must run."""
    steps: list[Step] = []
    record_seqs: list[int] = []
    if allocation.amount_sek > 0:
        payment = PaymentWrite(allocation.payment_date, allocation.amount_sek, payment_account)
        steps.append(Step(CommandKind.CREATE_PAYMENT, payloads.payment(payment)))
        steps.append(Step(CommandKind.RECORD_PAYMENT, {"payment_seq": len(steps)}))
        record_seqs.append(len(steps))
    for write in settlement_writes(allocation):
        steps.append(Step(CommandKind.CREATE_SETTLEMENT, payloads.settlement(write)))
        steps.append(Step(CommandKind.RECORD_SETTLEMENT, {"settlement_seq": len(steps)}))
        record_seqs.append(len(steps))
    if tag and record_seqs:
        steps.append(Step(CommandKind.TAG_JOURNAL_ENTRIES, {"record_seqs": record_seqs}))
    return steps


def enqueue_allocation(
    session: Session, allocation: Allocation, *, payment_account: int, tag: bool = True
) -> list[OutboxCommand]:
    """Write the push commands of an accepted allocation; returns them in order."""
    if allocation.state != AllocationState.ACCEPTED:
        raise ValueError(f"allocation {allocation.id} is {allocation.state}, not accepted")
    steps = push_steps(allocation, payment_account=payment_account, tag=tag)
    commands = enqueue(session, _group(allocation, "alloc"), steps)
    allocation.push_state = PushState.PENDING
    session.flush()
    return commands


def undo_steps(allocation: Allocation) -> list[Step]:
    """The deletes of exactly what the allocation's push created, settlements first."""
    steps = [
        Step(CommandKind.DELETE_SETTLEMENT, {"settlement_id": str(settlement_id)})
        for settlement_id in allocation.bokio_settlement_ids.get("ids", [])
    ]
    if allocation.bokio_payment_id:
        steps.append(Step(CommandKind.DELETE_PAYMENT, {"payment_id": allocation.bokio_payment_id}))
    return steps


def enqueue_undo(
    session: Session, allocation: Allocation, *, by: str, now: dt.datetime
) -> list[OutboxCommand]:
    """Write the deletes (numbered after every earlier command of the allocation) and mark it undoing."""
    if allocation.state != AllocationState.ACCEPTED or allocation.push_state != PushState.DONE:
        raise ValueError(
            f"allocation {allocation.id} can be undone once accepted and pushed "
            f"(it is {allocation.state}, push {allocation.push_state})"
        )
    first = next_seq(session, allocation.id)
    commands = enqueue(session, _group(allocation, "undo"), undo_steps(allocation), first_seq=first)
    allocation.state = AllocationState.UNDOING
    allocation.push_state = PushState.PENDING
    allocation.undo_at, allocation.undo_by = now, by
    session.flush()
    return commands
