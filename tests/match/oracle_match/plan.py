"""How a received amount pays one invoice: exact, bank fee, partial, overpayment or currency.

Every tier that has found *which* invoice uses :func:`plan_payment` to decide *how*, so the
arithmetic (and the settlement signs) live in one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from oracle_match.book import Book
from syncd.domain.invoice_math import ROUNDING_LIMIT, currency_settlement_sum
from syncd.domain.models import (
    BASE_CURRENCY,
    Allocation,
    BankLine,
    Decision,
    MatchKind,
    OpenInvoice,
    SettlementPlan,
    SettlementType,
    Tier,
)
from syncd.domain.money import ZERO, quantize
from syncd.match.rules import MatchRules


@dataclass(frozen=True, slots=True)
class Plan:
    """The payment (and settlements) that would take ``consumed`` off an invoice."""

    kind: MatchKind
    amount: Decimal
    amount_sek: Decimal
    cash: Decimal
    consumed: Decimal
    settlements: tuple[SettlementPlan, ...] = ()

    @property
    def overpayment(self) -> bool:
        """More money than the invoice had outstanding."""
        return self.kind is MatchKind.OVERPAYMENT

    @property
    def closes(self) -> bool:
        """The invoice ends fully settled, with nothing paid too much."""
        return self.kind in {MatchKind.EXACT, MatchKind.BANK_FEE, MatchKind.CURRENCY}


def _to_sek(inv: OpenInvoice, amount: Decimal) -> Decimal:
    return amount if inv.currency == BASE_CURRENCY else quantize(amount * inv.currency_rate)


def plan_payment(
    inv: OpenInvoice, remaining: Decimal, received: Decimal, line_currency: str, rules: MatchRules
) -> Plan | None:
    """Plan paying ``remaining`` of ``inv`` with ``received``; None if the currencies cannot meet."""
    if line_currency == inv.currency:
        if received == remaining:
            return Plan(MatchKind.EXACT, received, _to_sek(inv, received), received, remaining)
        short = remaining - received
        if inv.currency == BASE_CURRENCY and ZERO < short <= ROUNDING_LIMIT:
            # never a bank fee: Bokio's öresavrundning may be all it is, and only a person can tell
            return Plan(MatchKind.ROUNDING, received, received, received, received)
        if ZERO < short <= rules.fee_allowance(remaining) and inv.currency == BASE_CURRENCY:
            fee = SettlementPlan(SettlementType.BANK_FEE, short, BASE_CURRENCY)
            return Plan(MatchKind.BANK_FEE, received, received, received, remaining, (fee,))
        kind = MatchKind.PARTIAL if short > ZERO else MatchKind.OVERPAYMENT
        return Plan(kind, received, _to_sek(inv, received), received, received)
    if line_currency == BASE_CURRENCY:
        return _plan_currency(inv, remaining, received, rules)
    return None


def _plan_currency(inv: OpenInvoice, remaining: Decimal, received: Decimal, rules: MatchRules) -> Plan:
    """A SEK payment of a foreign invoice: close it with a currency settlement if close enough."""
    expected = inv.outstanding_sek if remaining == inv.outstanding else _to_sek(inv, remaining)
    loss = expected - received
    if abs(loss) <= expected * rules.fx_tolerance_percent / 100:
        signed = currency_settlement_sum(loss, rules.currency_sign)
        settlements = () if loss == ZERO else (SettlementPlan(SettlementType.CURRENCY, signed),)
        return Plan(MatchKind.CURRENCY, remaining, received, received, remaining, settlements)
    covered = quantize(received / inv.currency_rate)
    kind = MatchKind.PARTIAL if received < expected else MatchKind.OVERPAYMENT
    if kind is MatchKind.PARTIAL:
        covered = min(covered, remaining)
    return Plan(kind, covered, received, received, covered)


def group_id(line: BankLine) -> str:
    """Stable id tying together the allocations of one bank line."""
    digest = hashlib.sha256(f"{line.company_id}\x1f{line.id}".encode()).hexdigest()
    return f"g-{digest[:16]}"


def build_allocation(
    line: BankLine,
    inv: OpenInvoice,
    plan: Plan,
    *,
    tier: Tier,
    decision: Decision,
    confidence: int,
    evidence: Iterable[tuple[str, str]],
) -> Allocation:
    """An allocation, refusing to cross companies whatever a tier got wrong."""
    if inv.company_id != line.company_id:
        raise ValueError(f"bank line {line.id} of {line.company_id} met invoice of {inv.company_id}")
    if plan.overpayment or plan.kind is MatchKind.ROUNDING:
        decision = Decision.REVIEW
    base: list[tuple[str, str]] = [("match", plan.kind.value), ("received", str(line.amount))]
    return Allocation(
        company_id=line.company_id,
        bank_line_id=line.id,
        invoice_id=inv.bokio_id,
        invoice_number=inv.invoice_number,
        currency=inv.currency,
        amount=plan.amount,
        amount_sek=plan.amount_sek,
        cash=plan.cash,
        consumed=plan.consumed,
        tier=tier,
        kind=plan.kind,
        decision=decision,
        confidence=max(0, min(100, confidence)),
        group_id=group_id(line),
        settlements=plan.settlements,
        evidence=(*base, *evidence),
        overpayment=plan.overpayment,
    )


def format_amount(amount: Decimal) -> str:
    """Swedish style: space for thousands, comma for decimals.

    >>> format_amount(Decimal("12500"))
    '12 500,00'
    """
    text = f"{quantize(amount):,.2f}"
    return text.replace(",", " ").replace(".", ",")


def ranked_evidence(book: Book, ranked: Sequence[tuple[str, int]]) -> tuple[str, str]:
    """The candidates a person should see, best first: ``1042 (Bergström Bygg AB, 95)``."""
    parts = []
    for invoice_id, score in ranked:
        inv = book.invoices[invoice_id]
        parts.append(f"{inv.invoice_number} ({inv.customer_name}, {format_amount(inv.outstanding)}, {score})")
    return ("candidates", "; ".join(parts))
