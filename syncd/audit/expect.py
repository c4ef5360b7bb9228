"""What syncd says it booked, read from its own database (queries only; the caller's session).

Every ``record_payment`` / ``record_settlement`` command that is done, of an allocation that is
still accepted (an undone allocation's bookings were deleted by syncd itself), becomes a
:class:`~syncd.audit.compare.Booking`: the create command's payload gives date, amount and
account. Which accounts Bokio books a settlement on is not documented; syncd expects the BAS
accounts a Swedish ledger uses (bank fees 6570; currency loss 7960 / gain 3960; payment-service
fees 6570, 6590 or 6990 with reverse-charge VAT 2645/2614 netting to zero), see
:data:`SETTLEMENT_ACCOUNTS`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation, AllocationState, PushState
from syncd.audit.compare import BankLine, Booking
from syncd.domain import invoice_math as im
from syncd.ingest.tables import MATCHABLE_IDENTITIES, BankTransaction
from syncd.outbox import payloads
from syncd.outbox.kinds import RECORD_KINDS, CommandKind, CommandState
from syncd.outbox.tables import OutboxCommand

SETTLEMENT_ACCOUNTS: dict[str, frozenset[int]] = {
    "bankFee": frozenset({6570}),
    "currency": frozenset({7960, 3960}),
    "paymentServiceFee": frozenset({6570, 6590, 6990}),
}
"""Counter accounts per settlement type (any of them; VAT rows may come on top)."""


def bookings(
    session: Session, company_id: int, *, sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN
) -> list[Booking]:
    """Every journal entry syncd's pushes caused, with what it should book."""
    rows = session.execute(
        select(OutboxCommand, Allocation)
        .join(Allocation, Allocation.id == OutboxCommand.allocation_id)
        .where(OutboxCommand.company_id == company_id, Allocation.state == AllocationState.ACCEPTED)
        .order_by(OutboxCommand.allocation_id, OutboxCommand.seq)
    ).all()
    by_seq = {(c.allocation_id, c.seq): c for c, _ in rows}
    out: list[Booking] = []
    for command, allocation in rows:
        if command.state != CommandState.DONE or command.kind not in RECORD_KINDS:
            continue
        ref = "payment_seq" if command.kind == CommandKind.RECORD_PAYMENT else "settlement_seq"
        create = by_seq.get((command.allocation_id, int(command.payload[ref])))
        if create is None:
            continue
        out.append(_booking(command, create.payload, allocation, sign))
    return out


def _booking(
    command: OutboxCommand, payload: dict[str, Any], allocation: Allocation, sign: im.SettlementSign
) -> Booking:
    if command.kind == CommandKind.RECORD_PAYMENT:
        payment = payloads.payment_write(payload)
        kind, on, counter = "payment", payment.date, frozenset({payment.bookkeeping_account_number})
        receivable = -payment.sum_base_currency
    else:
        settlement = payloads.settlement_write(payload)
        kind, on = settlement.type.value, settlement.date
        counter = SETTLEMENT_ACCOUNTS.get(kind, frozenset())
        receivable = -im.settlement_effect(kind, settlement.sum_base_currency, sign)
    return Booking(
        allocation_id=allocation.id,
        invoice_number=allocation.invoice_number,
        kind=kind,
        date=on,
        receivable=receivable,
        counter_accounts=counter,
        command_id=command.id,
    )


def bank_accounts(found: list[Booking], default: int) -> frozenset[int]:
    """The ledger accounts syncd books money to: the configured one and any its payments used."""
    return frozenset({default, *(a for b in found if b.kind == "payment" for a in b.counter_accounts)})


def bank_lines(session: Session, company_id: int) -> list[BankLine]:
    """Booked bank lines (not duplicates of another), signed, on their booking and value dates."""
    rows = session.scalars(
        select(BankTransaction).where(
            BankTransaction.company_id == company_id,
            BankTransaction.status == "booked",
            BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
        )
    ).all()
    return [
        BankLine(
            id=row.id,
            dates=frozenset(d for d in (row.booking_date, row.value_date) if d is not None),
            amount=row.amount if row.direction == "credit" else -row.amount,
        )
        for row in rows
    ]


def explained_bank_lines(session: Session, company_id: int) -> frozenset[int]:
    """Bank lines syncd booked (their money is in syncd's own vouchers), with their batch parents."""
    ids = set(
        session.scalars(
            select(Allocation.bank_transaction_id).where(
                Allocation.company_id == company_id, Allocation.push_state == PushState.DONE
            )
        )
    )
    parents = session.scalars(
        select(BankTransaction.parent_id).where(
            BankTransaction.id.in_(ids), BankTransaction.parent_id.is_not(None)
        )
    )
    return frozenset(ids | {p for p in parents if p is not None})
