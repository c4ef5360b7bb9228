"""Tier 9: a PSP payout (Stripe, PayPal, Klarna…) split into its charges from the PSP report.

The bank receives Σ(gross - fee). Per charge the invoice gets a payment of the money that
reached the bank (gross - fee) and a ``paymentServiceFee`` settlement of the fee, so payment +
settlement == gross closes the invoice (a settlement lowers the outstanding balance; paying the
gross *and* settling the fee would over-settle by the fee).

Bokio books payments and settlements in SEK (``sumBaseCurrency``). A charge in the invoice's
foreign currency is valued in SEK: at the invoice's rate when the payout is in that currency, or —
when the PSP converted the charges before paying out in SEK (PayPal's conversion rows) — at the
rate the payout itself shows, (payout net - SEK charges) / net of the foreign charges; the
difference to the invoice's SEK value is a ``currency`` settlement within ``fx_tolerance_percent``.
One payout converting two foreign currencies has no single rate and goes to review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from oracle_match.book import Book
from oracle_match.context import LineView, Outcome, RunContext
from oracle_match.plan import Plan, build_allocation, format_amount
from syncd.domain.invoice_math import currency_settlement_sum
from syncd.domain.models import (
    BASE_CURRENCY,
    Allocation,
    Decision,
    MatchKind,
    OpenInvoice,
    Problem,
    ProblemCode,
    PspCharge,
    PspPayoutLine,
    SettlementPlan,
    SettlementType,
    Tier,
    VatScheme,
)
from syncd.domain.money import ZERO, quantize
from syncd.domain.references import normalise
from syncd.match.rules import MatchRules


def find_payout(view: LineView, ctx: RunContext) -> PspPayoutLine | None:
    """The payout this bank line is: by the payout id the bank gave, else by net + id/provider in text."""
    line = view.line
    if line.psp_payout_id:
        return ctx.payouts.get((line.company_id, line.psp_payout_id))
    text = normalise(f"{line.free_text} {line.payer_name}")
    for payout in ctx.payouts_by_net.get((line.company_id, line.currency, line.amount), ()):
        if normalise(payout.payout_id) in text or normalise(payout.provider) in text:
            return payout
    return None


def _resolve(charge: PspCharge, book: Book, view: LineView, ctx: RunContext) -> str | None:
    if not charge.invoice_reference:
        return None
    ids = book.by_number_ref(charge.invoice_reference) or book.by_ocr_ref(charge.invoice_reference)
    allowed = [i for i in ids if ctx.allowed(view.line, book, i)]
    return allowed[0] if len(allowed) == 1 else None


def _payout_cash(payout: PspPayoutLine) -> dict[str, Decimal] | str:
    """What each charge brought to the bank, in the payout's currency (by charge id), or why unknown.

    Charges in the payout's currency bring gross - fee. Charges in one other currency share what
    the payout holds beyond those, in proportion to their net (rounded to öre, the last taking the
    remainder so the shares add up to the payout exactly).
    """
    cash: dict[str, Decimal] = {}
    foreign_net: dict[str, Decimal] = defaultdict(Decimal)
    foreign: list[PspCharge] = []
    for charge in payout.charges:
        if charge.currency == payout.currency:
            cash[charge.charge_id] = charge.gross - charge.fee
        else:
            foreign.append(charge)
            foreign_net[charge.currency] += charge.gross - charge.fee
    if not foreign:
        return cash
    if len(foreign_net) > 1:
        return (
            f"payout {payout.payout_id} converts charges in {', '.join(sorted(foreign_net))} to "
            f"{payout.currency}: one payout cannot tell the rate of each currency"
        )
    (currency, net), share = next(iter(foreign_net.items())), payout.net - sum(cash.values(), ZERO)
    if net <= ZERO or share <= ZERO:
        return (
            f"payout {payout.payout_id}: the {currency} charges (net {format_amount(net)}) and the "
            f"{payout.currency} left for them ({format_amount(share)}) give no exchange rate"
        )
    rate, given = share / net, ZERO
    ordered = sorted(foreign, key=lambda c: c.charge_id)
    for charge in ordered[:-1]:
        cash[charge.charge_id] = quantize((charge.gross - charge.fee) * rate)
        given += cash[charge.charge_id]
    cash[ordered[-1].charge_id] = share - given
    return cash


def _kind(charge: PspCharge, remaining: Decimal) -> MatchKind:
    if charge.gross == remaining:
        return MatchKind.EXACT
    return MatchKind.PARTIAL if charge.gross < remaining else MatchKind.OVERPAYMENT


def _charge_plan(
    charge: PspCharge,
    *,
    cash: Decimal,
    converted: bool,
    inv: OpenInvoice,
    remaining: Decimal,
    vat: VatScheme | None,
    rules: MatchRules,
) -> Plan | str:
    """Payment + fee (+ currency) settlement for one charge, or why it cannot be valued in SEK.

    ``cash`` is what the charge brought to the bank, in the bank line's currency; ``converted``:
    the PSP converted the charge to that currency.
    """
    kind = _kind(charge, remaining)
    own = charge.gross - charge.fee

    def fee(amount: Decimal) -> tuple[SettlementPlan, ...]:
        plan = SettlementPlan(SettlementType.PAYMENT_SERVICE_FEE, amount, BASE_CURRENCY, vat)
        return (plan,) if amount > ZERO else ()

    if inv.currency == BASE_CURRENCY:  # a SEK charge on a SEK invoice paid out in SEK
        return Plan(kind, cash, cash, cash, charge.gross, fee(charge.fee))
    full = charge.gross == remaining == inv.outstanding
    expected = inv.outstanding_sek if full else quantize(charge.gross * inv.currency_rate)
    if not converted:  # paid out in the invoice's currency: valued at the invoice's rate
        payment = quantize(own * inv.currency_rate)
        return Plan(kind, own, payment, cash, charge.gross, fee(expected - payment))
    if own == ZERO:
        return f"charge {charge.charge_id} brought nothing after the fee"
    rate = cash / own  # the PSP's conversion, SEK per invoice-currency unit
    fee_sek = quantize(charge.fee * rate)
    loss = expected - cash - fee_sek
    if abs(loss) > expected * rules.fx_tolerance_percent / 100:
        return (
            f"charge {charge.charge_id}: converted at the PSP's rate it is worth "
            f"{format_amount(cash + fee_sek)} SEK, the invoice's share {format_amount(expected)} SEK, "
            f"more than {rules.fx_tolerance_percent} % apart"
        )
    currency = (
        (SettlementPlan(SettlementType.CURRENCY, currency_settlement_sum(loss, rules.currency_sign)),)
        if loss != ZERO
        else ()
    )
    if kind is MatchKind.EXACT and currency:
        kind = MatchKind.CURRENCY
    return Plan(kind, own, cash, cash, charge.gross, fee(fee_sek) + currency)


def _checked_shares(payout: PspPayoutLine, received: Decimal) -> tuple[dict[str, Decimal], list[str]]:
    """Each charge's share of the bank money, and why the payout does not add up (for review)."""
    shares = _payout_cash(payout)
    messages: list[str] = []
    if isinstance(shares, str):
        messages.append(shares)
        shares = {c.charge_id: c.gross - c.fee for c in payout.charges if c.currency == payout.currency}
    if payout.net != received or sum(shares.values(), ZERO) != payout.net:
        messages.append(
            f"payout {payout.payout_id}: bank {format_amount(received)}, report net "
            f"{format_amount(payout.net)}, charges do not add up the same"
        )
    return shares, messages


_Report = Callable[[ProblemCode, str, str | None], None]


def _plan_charges(
    view: LineView,
    payout: PspPayoutLine,
    shares: dict[str, Decimal],
    book: Book,
    ctx: RunContext,
    vat: VatScheme | None,
    problem: _Report,
) -> list[tuple[str, Plan, PspCharge]]:
    """A plan per charge that names one open invoice and fits in the bank money; why not for the rest."""
    line = view.line
    remaining: dict[str, Decimal] = {}
    spent = ZERO
    planned: list[tuple[str, Plan, PspCharge]] = []
    for charge in sorted(payout.charges, key=lambda c: c.charge_id):
        invoice_id = _resolve(charge, book, view, ctx)
        if invoice_id is None or charge.currency != book.invoices[invoice_id].currency:
            problem(
                ProblemCode.PSP_UNKNOWN_REFERENCE,
                f"charge {charge.charge_id} ({format_amount(charge.gross)}) references "
                f"{charge.invoice_reference or 'no invoice'}, which is not one open invoice",
                None,
            )
            continue
        cash = shares.get(charge.charge_id)
        if cash is None:
            continue  # its currency's rate is unknown: said once above
        if not ZERO <= charge.fee < charge.gross or cash > line.amount - spent:
            problem(
                ProblemCode.PSP_NET_MISMATCH,
                f"charge {charge.charge_id}: gross {format_amount(charge.gross)} less fee "
                f"{format_amount(charge.fee)} does not fit in what the bank received",
                invoice_id,
            )
            continue
        left = remaining.setdefault(invoice_id, book.remaining[invoice_id])
        plan = _charge_plan(
            charge,
            cash=cash,
            converted=charge.currency != payout.currency,
            inv=book.invoices[invoice_id],
            remaining=left,
            vat=vat,
            rules=ctx.rules,
        )
        if isinstance(plan, str):
            problem(ProblemCode.PSP_NET_MISMATCH, plan, invoice_id)
            continue
        spent += cash
        remaining[invoice_id] = max(ZERO, left - plan.consumed)
        planned.append((invoice_id, plan, charge))
    return planned


def psp_tier(view: LineView, book: Book, ctx: RunContext) -> Outcome | None:
    """Split a payout line into one payment + fee settlement per charge."""
    line = view.line
    payout = find_payout(view, ctx)
    if payout is None:
        return None
    key = (payout.company_id, payout.payout_id)
    outcome = Outcome()

    def problem(code: ProblemCode, message: str, invoice_id: str | None = None) -> None:
        outcome.problems.append(Problem(code, message, line.company_id, line.id, invoice_id))

    if key in ctx.used_payouts:
        problem(
            ProblemCode.PSP_PAYOUT_REUSED, f"payout {payout.payout_id} is already matched to another line"
        )
        return outcome
    ctx.used_payouts.add(key)
    shares, mismatches = _checked_shares(payout, line.amount)
    for message in mismatches:
        problem(ProblemCode.PSP_NET_MISMATCH, message)
    vat = ctx.rules.vat_scheme_for(payout.provider)
    if vat is None:
        problem(ProblemCode.PSP_UNKNOWN_PROVIDER, f"no VAT scheme configured for PSP {payout.provider!r}")
    planned = _plan_charges(view, payout, shares, book, ctx, vat, problem)
    review = bool(outcome.problems) or not ctx.rules.allows_auto(Tier.PSP_PAYOUT)
    for invoice_id, plan, charge in planned:
        allocation: Allocation = build_allocation(
            line,
            book.invoices[invoice_id],
            plan,
            tier=Tier.PSP_PAYOUT,
            decision=Decision.REVIEW if review else Decision.AUTO,
            confidence=70 if review else 97,
            evidence=[
                ("provider", payout.provider),
                ("payout", payout.payout_id),
                ("charge", charge.charge_id),
                ("gross", str(charge.gross)),
                ("fee", str(charge.fee)),
            ],
        )
        outcome.allocations.append(allocation)
    return outcome
