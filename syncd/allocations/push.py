"""An allocation's Bokio writes: what accepting it sends, and what undoing it deletes.

Accepting an allocation enqueues, in order: (record the invoice, where the company's books show
invoices recorded before their payments: :mod:`syncd.calibration.record_order`) → create payment
→ record payment → for each settlement: create → record → tag the journal entries. Undoing
enqueues the deletes of exactly the ids that allocation's push created, settlements first (a
payment with settlements may be refused otherwise); an invoice's own record is not undone (it
books the sale, whoever paid). Both run in the caller's transaction, with the decision that caused them;
what happens to the commands afterwards comes back through
:class:`syncd.allocations.lifecycle.AllocationLifecycle`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation, AllocationState, PushState
from syncd.bokio.writes import PaymentWrite, SettlementWrite
from syncd.calibration.record_order import RecordInvoiceFirst, record_order
from syncd.domain.models import SettlementType, VatScheme
from syncd.mirror.tables import Invoice
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


def push_steps(
    allocation: Allocation, *, payment_account: int, tag: bool, record_invoice: bool = False
) -> list[Step]:
    """The commands that book an accepted allocation in Bokio, in the order they must run."""
    steps: list[Step] = [Step(CommandKind.RECORD_INVOICE, {})] if record_invoice else []
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


def needs_invoice_record(session: Session, allocation: Allocation, setting: str) -> bool:
    """Whether the invoice is unrecorded in the mirror and the books say to record it first."""
    recorded = session.execute(
        select(Invoice.journal_entry_id).where(
            Invoice.company_id == allocation.company_id, Invoice.bokio_id == allocation.invoice_bokio_id
        )
    ).first()
    if recorded is None or recorded[0] is not None:  # not mirrored (a test's world) or recorded
        return False
    order = record_order(
        session, allocation.company_id, on=allocation.payment_date, setting=RecordInvoiceFirst(setting)
    )
    return order.records_invoice_first


def enqueue_allocation(
    session: Session,
    allocation: Allocation,
    *,
    payment_account: int,
    tag: bool = True,
    record_first: str = RecordInvoiceFirst.AUTO,
) -> list[OutboxCommand]:
    """Write the push commands of an accepted allocation; returns them in order.

    ``record_first`` is ``[bokio] record_invoice_first``.
    """
    if allocation.state != AllocationState.ACCEPTED:
        raise ValueError(f"allocation {allocation.id} is {allocation.state}, not accepted")
    record_invoice = needs_invoice_record(session, allocation, record_first)
    steps = push_steps(allocation, payment_account=payment_account, tag=tag, record_invoice=record_invoice)
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
