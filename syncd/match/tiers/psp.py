"""Tier 9: a PSP payout (Stripe, PayPal, Klarna…) split into its charges from the PSP report.

The bank receives Σ(gross - fee). Per charge the invoice gets a payment of the money that
reached the bank (gross - fee) and a ``paymentServiceFee`` settlement of the fee, so payment +
settlement == gross closes the invoice (a settlement lowers the outstanding balance; paying the
gross *and* settling the fee would over-settle by the fee).
"""

from __future__ import annotations

from decimal import Decimal

from syncd.domain.models import (
    Allocation,
    Decision,
    MatchKind,
    Problem,
    ProblemCode,
    PspCharge,
    PspPayoutLine,
    SettlementPlan,
    SettlementType,
    Tier,
    VatScheme,
)
from syncd.domain.money import ZERO
from syncd.domain.references import normalise
from syncd.match.book import Book
from syncd.match.context import LineView, Outcome, RunContext
from syncd.match.plan import Plan, build_allocation, format_amount


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


def _charge_plan(charge: PspCharge, remaining: Decimal, vat: VatScheme | None) -> Plan:
    cash = charge.gross - charge.fee
    fee = (
        (SettlementPlan(SettlementType.PAYMENT_SERVICE_FEE, charge.fee, charge.currency, vat),)
        if charge.fee > ZERO
        else ()
    )
    if charge.gross == remaining:
        kind = MatchKind.EXACT
    else:
        kind = MatchKind.PARTIAL if charge.gross < remaining else MatchKind.OVERPAYMENT
    return Plan(kind, cash, cash, cash, charge.gross, fee)


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
    if payout.net != line.amount or sum((c.gross - c.fee for c in payout.charges), ZERO) != payout.net:
        problem(
            ProblemCode.PSP_NET_MISMATCH,
            f"payout {payout.payout_id}: bank {format_amount(line.amount)}, report net "
            f"{format_amount(payout.net)}, charges do not add up the same",
        )
    vat = ctx.rules.vat_scheme_for(payout.provider)
    if vat is None:
        problem(ProblemCode.PSP_UNKNOWN_PROVIDER, f"no VAT scheme configured for PSP {payout.provider!r}")
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
            )
            continue
        cash = charge.gross - charge.fee
        if not ZERO <= charge.fee < charge.gross or cash > line.amount - spent:
            problem(
                ProblemCode.PSP_NET_MISMATCH,
                f"charge {charge.charge_id}: gross {format_amount(charge.gross)} less fee "
                f"{format_amount(charge.fee)} does not fit in what the bank received",
                invoice_id,
            )
            continue
        spent += cash
        left = remaining.setdefault(invoice_id, book.remaining[invoice_id])
        plan = _charge_plan(charge, left, vat)
        remaining[invoice_id] = max(ZERO, left - plan.consumed)
        planned.append((invoice_id, plan, charge))
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
