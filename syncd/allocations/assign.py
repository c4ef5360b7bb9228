"""A person books a bank line (or part of it) to an invoice of their choice: ``syncd review assign``.

The result is an accepted allocation (tier ``manual``) whose push is enqueued in the same
transaction, exactly as for an accepted proposal, so it is pushed, tagged and undone like any
other. The checks are the matcher's: incoming, booked money only; never more than the line has
unbooked; never more than the invoice has outstanding unless ``overpay``; a SEK payment of a
foreign-currency invoice closes it with a ``currency`` settlement for the difference (the
settlement's sign follows the company's configured reading, :mod:`syncd.domain.invoice_math`).
A person's choice overrides the matcher's memory: a rejected or undone pair may be assigned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations import inputs
from syncd.allocations.held import allocated_cash
from syncd.allocations.push import enqueue_allocation
from syncd.allocations.review import confirm_alias
from syncd.allocations.tables import Allocation, AllocationState
from syncd.allocations.unmatched import BankLineError, active_dismissal, find_bank_line, when
from syncd.domain.invoice_math import currency_settlement_sum
from syncd.domain.models import BASE_CURRENCY, MatchKind, OpenInvoice, SettlementType, VatScheme
from syncd.domain.money import ZERO, quantize
from syncd.ingest.tables import BankTransaction, PspPayout
from syncd.match.plan import format_amount
from syncd.match.rules import MatchRules
from syncd.mirror.tables import Invoice

MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Fee:
    """A settlement the person asks for next to the payment (SEK, Bokio's type names)."""

    type: SettlementType
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Request:
    """What ``syncd review assign`` was asked to book."""

    bank_line: str
    invoice: str
    amount: Decimal | None = None
    fees: tuple[Fee, ...] = ()
    overpay: bool = False
    vat_scheme: VatScheme | None = None


def sek(amount: Decimal, currency: str = BASE_CURRENCY) -> str:
    """``2 500,00 SEK``: amounts as the rest of the CLI prints them."""
    return f"{format_amount(amount)} {currency}"


def assign(
    session: Session,
    company_id: int,
    request: Request,
    *,
    by: str,
    now: dt.datetime,
    payment_account: int,
    rules: MatchRules,
    record_first: str = "auto",
) -> Allocation:
    """Book the request as an accepted allocation and enqueue its push (caller's transaction)."""
    line = find_bank_line(session, company_id, request.bank_line, lock=True)
    left = _unbooked(session, company_id, line)
    cash = left if request.amount is None else request.amount
    if cash <= ZERO:
        raise BankLineError(f"--amount must be more than 0 (got {format_amount(cash)})")
    if cash > left:
        raise BankLineError(
            f"bank line {line.id} has {sek(left, line.currency)} not yet booked (of "
            f"{sek(line.amount, line.currency)}): give --amount {format_amount(left)} or less"
        )
    invoice = _invoice(session, company_id, request.invoice)
    taken = inputs.pending_consumption(session, company_id)
    view = inputs.invoice_view(invoice, taken, "")
    if request.vat_scheme is None and any(f.type is SettlementType.PAYMENT_SERVICE_FEE for f in request.fees):
        request = replace(request, vat_scheme=_payout_scheme(session, line, rules))
    row = _allocation(line, view, cash, request, rules)
    assert line.booking_date is not None  # noqa: S101 - _unbooked refuses unbooked lines
    row.company_id, row.bank_transaction_id, row.payment_date = company_id, line.id, line.booking_date
    row.decided_at, row.decided_by, row.created_at = now, by, now
    row.group_id = _group_id(company_id, line.id, view.bokio_id, now)
    row.evidence = {
        "items": [
            ["assigned_by", by],
            ["match", row.kind],
            ["received", str(line.amount)],
            ["bank_line", str(line.id)],
        ]
    }
    row.explanation = _explain(row, line, by)
    session.add(row)
    session.flush()
    enqueue_allocation(session, row, payment_account=payment_account, record_first=record_first)
    confirm_alias(session, company_id, [row], now)
    return row


def _unbooked(session: Session, company_id: int, line: BankTransaction) -> Decimal:
    """What of the line may still be booked; refuses lines that cannot pay an invoice."""
    ref = f"bank line {line.id}"
    if line.direction != "credit" or line.is_reversal:
        what = "a debit (money out of the account)" if line.direction != "credit" else "a reversal"
        raise BankLineError(
            f"{ref} is {what}: only incoming money pays an invoice. Book a refund by hand in "
            f"Bokio, then `syncd review dismiss {line.id} --reason refund`"
        )
    if line.is_batch:
        raise BankLineError(
            f"{ref} is a batch credit (several payments in one); assign its payments instead: "
            "import the camt.054 or BgMax file with its details, then see `syncd review unmatched`"
        )
    if line.status != "booked" or line.booking_date is None:
        raise BankLineError(f"{ref} is not booked by the bank yet ({line.status}); wait for the statement")
    dismissal = active_dismissal(session, company_id, line.id)
    if dismissal is not None:
        raise BankLineError(
            f"{ref} was dismissed {when(dismissal.dismissed_at, dismissal.dismissed_by)} "
            f"({dismissal.reason}): `syncd review undismiss {line.id}` first"
        )
    holding = session.scalars(
        select(Allocation.id).where(
            Allocation.company_id == company_id,
            Allocation.bank_transaction_id == line.id,
            Allocation.state == AllocationState.PROPOSED,
        )
    ).all()
    if holding:
        raise BankLineError(
            f"{ref} has a proposal waiting for review (allocation {holding[0]}): accept it "
            f"(`syncd review accept {holding[0]}`) or reject it first"
        )
    left = line.amount - allocated_cash(session, company_id).get(line.id, ZERO)
    if left <= ZERO:
        booked = session.scalars(
            select(Allocation.id).where(
                Allocation.company_id == company_id,
                Allocation.bank_transaction_id == line.id,
                Allocation.state.in_((AllocationState.ACCEPTED, AllocationState.UNDOING)),
            )
        ).all()
        raise BankLineError(
            f"{ref} is fully booked already (allocation {', '.join(map(str, booked))}); "
            "`syncd undo ALLOCATION_ID` undoes a booking"
        )
    return left


def _invoice(session: Session, company_id: int, ref: str) -> Invoice:
    """The mirrored invoice by Bokio invoice number or id, usable for a payment."""
    ref = ref.strip()
    rows = session.scalars(
        select(Invoice)
        .where(
            Invoice.company_id == company_id,
            Invoice.deleted_at.is_(None),
            (Invoice.invoice_number == ref) | (Invoice.bokio_id == ref),
        )
        .order_by(Invoice.id)
    ).all()
    if not rows:
        raise BankLineError(
            f"no invoice {ref!r} for this company: give its Bokio invoice number or id "
            "(`syncd pull` first if it is new in Bokio)"
        )
    row = rows[0]
    name = f"invoice {row.invoice_number or row.bokio_id}"
    if row.status in ("draft", "credited", "credit"):
        raise BankLineError(f"{name} is {row.status}: only a published invoice can be paid")
    if row.amount_problem is not None or row.outstanding is None:
        raise BankLineError(
            f"{name}'s amounts do not add up ({row.amount_problem or 'no outstanding amount'}); "
            "syncd does not book to it until that is fixed in Bokio"
        )
    return row


def _allocation(
    line: BankTransaction, inv: OpenInvoice, cash: Decimal, request: Request, rules: MatchRules
) -> Allocation:
    """The allocation's money: payment, settlements, what it takes off the invoice."""
    name = f"invoice {inv.invoice_number or inv.bokio_id}"
    if line.currency == inv.currency:
        return _same_currency(line, inv, cash, request, name)
    if line.currency == BASE_CURRENCY:
        return _sek_for_foreign(inv, cash, request, rules, name)
    raise BankLineError(
        f"bank line {line.id} is in {line.currency} but {name} is in {inv.currency}: syncd books "
        f"money in SEK or in the invoice's own currency. Book it by hand in Bokio, then "
        f"`syncd review dismiss {line.id} --reason 'booked by hand'`"
    )


def _same_currency(
    line: BankTransaction, inv: OpenInvoice, cash: Decimal, request: Request, name: str
) -> Allocation:
    settlements = []
    for fee in request.fees:
        if fee.type is SettlementType.CURRENCY:
            raise BankLineError(
                f"a currency settlement books the difference between SEK received and a foreign "
                f"invoice's SEK value; this payment is in {name}'s own currency ({inv.currency})"
            )
        if inv.currency != BASE_CURRENCY:
            raise BankLineError(
                f"a {fee.type.value} settlement is booked in SEK; {name} is in {inv.currency}"
            )
        if fee.amount <= ZERO:
            raise BankLineError(f"a {fee.type.value} settlement must be more than 0 (got {fee.amount})")
        settlements.append(_settlement(fee, request))
    fees = sum((fee.amount for fee in request.fees), ZERO)
    consumed = cash + fees
    if consumed > inv.outstanding and not request.overpay:
        raise BankLineError(_over(name, inv.outstanding, consumed, cash=cash, fees=fees, cur=inv.currency))
    if consumed == inv.outstanding:
        kind = MatchKind.BANK_FEE if fees else MatchKind.EXACT
    else:
        kind = MatchKind.PARTIAL if consumed < inv.outstanding else MatchKind.OVERPAYMENT
    amount_sek = cash if inv.currency == BASE_CURRENCY else quantize(cash * inv.currency_rate)
    return _row(
        inv, kind, amount=cash, amount_sek=amount_sek, cash=cash, consumed=consumed, settlements=settlements
    )


def _over(
    name: str, outstanding: Decimal, consumed: Decimal, *, cash: Decimal, fees: Decimal, cur: str
) -> str:
    if outstanding <= ZERO:
        return (
            f"{name} has nothing outstanding (it is paid); add --overpay if the customer really paid it twice"
        )
    room = outstanding - fees
    part = f"--amount {format_amount(room)}" if room > ZERO else "smaller settlements"
    return (
        f"{name} has {sek(outstanding, cur)} outstanding; booking {sek(consumed, cur)} (payment "
        f"{format_amount(cash)}" + (f" + settlements {format_amount(fees)}" if fees else "") + ") would pay "
        f"{sek(consumed - outstanding, cur)} too much. Book part with {part}, or add --overpay if "
        "the customer really paid too much"
    )


def _sek_for_foreign(
    inv: OpenInvoice, cash: Decimal, request: Request, rules: MatchRules, name: str
) -> Allocation:
    """SEK money for a foreign invoice: it closes the invoice, the difference a currency settlement."""
    others = [fee for fee in request.fees if fee.type is not SettlementType.CURRENCY]
    if others:
        raise BankLineError(
            f"{name} is in {inv.currency}: only a currency settlement goes with a SEK payment of it "
            f"(got {others[0].type.value})"
        )
    if request.overpay:
        raise BankLineError(
            f"overpaying a {inv.currency} invoice with SEK is not supported; book it by hand in Bokio"
        )
    if inv.outstanding_sek <= ZERO:
        raise BankLineError(f"{name} has nothing outstanding (it is paid)")
    difference = sum((fee.amount for fee in request.fees), ZERO)
    needed = inv.outstanding_sek - cash
    if difference != needed:
        given = (
            f"with a currency settlement of {format_amount(difference)} makes {sek(cash + difference)}, not"
            if request.fees
            else "is not"
        )
        raise BankLineError(
            f"{name} is in {inv.currency}: its {format_amount(inv.outstanding)} {inv.currency} "
            f"outstanding are {sek(inv.outstanding_sek)} at the invoice's rate "
            f"{format_amount(inv.currency_rate)}; {sek(cash)} {given} that. A SEK payment closes a "
            f"foreign invoice with a currency settlement for the difference: add --fee currency "
            f"{format_amount(needed)} (a loss if positive, a gain if negative)"
        )
    settlements = []
    if difference != ZERO:
        signed = currency_settlement_sum(difference, rules.currency_sign)
        settlements.append(
            {"type": SettlementType.CURRENCY.value, "amount": signed, "currency": BASE_CURRENCY}
        )
    return _row(
        inv,
        MatchKind.CURRENCY,
        amount=inv.outstanding,
        amount_sek=cash,
        cash=cash,
        consumed=inv.outstanding,
        settlements=settlements,
    )


def _settlement(fee: Fee, request: Request) -> dict[str, object]:
    item: dict[str, object] = {"type": fee.type.value, "amount": fee.amount, "currency": BASE_CURRENCY}
    if fee.type is SettlementType.PAYMENT_SERVICE_FEE:
        if request.vat_scheme is None:
            raise BankLineError(
                "a paymentServiceFee settlement needs the fee's VAT scheme: add --vat-scheme eu "
                "(Stripe, PayPal, Adyen bill from the EU), domestic, nonEu or vatExempt"
            )
        item["vat_scheme"] = request.vat_scheme.value
    return item


def _payout_scheme(session: Session, line: BankTransaction, rules: MatchRules) -> VatScheme | None:
    """The configured VAT scheme of the PSP whose payout this line is, if it is one."""
    if line.psp_payout_id is None:
        return None
    payout = session.get(PspPayout, line.psp_payout_id)
    return None if payout is None else rules.vat_scheme_for(payout.provider)


def _row(
    inv: OpenInvoice,
    kind: MatchKind,
    *,
    amount: Decimal,
    amount_sek: Decimal,
    cash: Decimal,
    consumed: Decimal,
    settlements: list[dict[str, object]],
) -> Allocation:
    return Allocation(
        invoice_bokio_id=inv.bokio_id,
        invoice_number=inv.invoice_number,
        tier=MANUAL,
        kind=kind.value,
        decision=MANUAL,
        confidence=100,
        state=AllocationState.ACCEPTED,
        currency=inv.currency,
        amount=amount,
        amount_sek=amount_sek,
        cash=cash,
        consumed=consumed,
        overpayment=kind is MatchKind.OVERPAYMENT,
        settlements={"items": settlements},
    )


def _group_id(company_id: int, line_id: int, invoice_id: str, now: dt.datetime) -> str:
    digest = hashlib.sha256(f"{company_id}\x1f{line_id}\x1f{invoice_id}\x1f{now.isoformat()}".encode())
    return f"m-{digest.hexdigest()[:16]}"


def _explain(row: Allocation, line: BankTransaction, by: str) -> str:
    parts = [f"assigned by {by}: {sek(row.cash, line.currency)} of bank line {line.id}"]  # bank currency
    parts.append(f"to invoice {row.invoice_number or row.invoice_bokio_id}")
    for item in row.settlements.get("items", []):
        parts.append(f"+ {item['type']} settlement {sek(Decimal(str(item['amount'])))}")
    if row.overpayment:
        parts.append("(overpayment, as the person said)")
    return " ".join(parts)
