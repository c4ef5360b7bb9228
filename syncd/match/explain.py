"""One sentence per allocation saying why, for the review queue, logs and ``syncd status``.

Amounts are written the Swedish way (``12 500,00 SEK``) because that is how the finance
person reads them in Bokio and on the bank statement.
"""

from __future__ import annotations

from decimal import Decimal

from syncd.domain.models import Allocation, Decision, MatchKind, SettlementType, Tier
from syncd.match.plan import format_amount


def _money(amount: Decimal, currency: str) -> str:
    return f"{format_amount(amount)} {currency}"


def _how_much(a: Allocation) -> str:
    paid = _money(a.amount, a.currency)
    if a.kind is MatchKind.EXACT:
        return f"exactly; {paid}"
    if a.kind is MatchKind.PARTIAL:
        return f"as a partial payment of {paid}"
    if a.kind is MatchKind.OVERPAYMENT:
        return f"but {paid} is more than was outstanding (overpayment)"
    if a.kind is MatchKind.ROUNDING:
        return (
            f"but {paid} is at most 0,50 SEK short of what was outstanding: öresavrundning? "
            "Never booked as a bank fee; a person decides"
        )
    parts = [f"paid {_money(a.amount_sek, 'SEK')}"]
    for s in a.settlements:
        if s.type is SettlementType.BANK_FEE:
            parts.append(f"{_money(s.amount, s.currency)} short booked as a bank fee")
        elif s.type is SettlementType.CURRENCY:
            parts.append(f"currency difference {_money(s.amount, s.currency)} settled")
    return "; ".join(parts)


def _why(a: Allocation) -> str:
    ref = a.evidence_value("reference") or ""
    number = a.invoice_number
    value = a.evidence_value
    if a.tier in {Tier.OCR_EXACT, Tier.OCR_TOLERANCE, Tier.OCR_PARTIAL}:
        return f"{'RF' if ref.startswith('RF') else 'OCR'} {ref} matched invoice {number}"
    reasons = {
        Tier.OCR_REPAIR: f"reference {ref} fails its check digit but is one typo from OCR "
        f"{value('repaired_to')} of invoice {number}",
        Tier.MULTI_REFERENCE: f"payment names invoices {value('references')} "
        f"(split {value('split')}); invoice {number}",
        Tier.TEXT_REFERENCE: f"the payment text mentions {ref}, invoice {number}",
        Tier.PAYER_AMOUNT: f"payer {value('payer')!r} looks like customer {value('customer')} "
        f"(name score {value('name_score')}) and the amount fits invoice {number}",
        Tier.FOREIGN_CURRENCY: f"reference {ref} matched {a.currency} invoice {number}",
        Tier.PSP_PAYOUT: f"{value('provider')} payout {value('payout')}, charge {value('charge')}, "
        f"references invoice {number}",
    }
    return reasons[a.tier]


def _psp(a: Allocation) -> str:
    fees = [s for s in a.settlements if s.type is SettlementType.PAYMENT_SERVICE_FEE]
    text = f"paid {_money(a.amount_sek, 'SEK')}"
    for fee in fees:
        scheme = fee.vat_scheme.value if fee.vat_scheme else "VAT scheme not configured"
        text += f" + {_money(fee.amount, fee.currency)} PSP fee ({scheme})"
    return text


def explain(allocation: Allocation) -> str:
    """Why this allocation was proposed, in one sentence.

    For an exact OCR match: ``OCR 1234567 matched invoice 1042 exactly; 4 950,00 SEK``.
    """
    how = _psp(allocation) if allocation.tier is Tier.PSP_PAYOUT else _how_much(allocation)
    sentence = (
        f"{_why(allocation)} {how}"
        if how.startswith(("exactly", "as ", "but"))
        else f"{_why(allocation)}; {how}"
    )
    if allocation.decision is Decision.REVIEW:
        sentence += f" (needs review, confidence {allocation.confidence} %)"
        held = allocation.evidence_value("held")
        if held:
            sentence += f"; held for a person: {held}"
        candidates = allocation.evidence_value("candidates")
        if candidates and ";" in candidates:
            sentence += f"; candidates: {candidates}"
    return sentence
