"""Tiers 1-4 and 8: a structured OCR/RF that names one open invoice, and OCR repair.

A valid OCR is the strongest key there is (Bankgirot or the payer's bank checked it), so the
amount only decides *how* the invoice is paid: exact, short by a bank fee, partial, over, or in
SEK for a foreign invoice. A reference that fails its check digit is repaired only towards a
unique open invoice with the exact amount (reconciliation.md §6.4).
"""

from __future__ import annotations

from oracle_match.book import Book
from oracle_match.context import LineView, Outcome, RunContext, rank_by_payer, reference_hits
from oracle_match.plan import Plan, build_allocation, plan_payment, ranked_evidence
from syncd.domain.models import Allocation, Decision, MatchKind, Problem, ProblemCode, Tier
from syncd.domain.references import luhn_valid

_CONFIDENCE = {
    MatchKind.EXACT: 99,
    MatchKind.BANK_FEE: 95,
    MatchKind.CURRENCY: 93,
    MatchKind.PARTIAL: 90,
    MatchKind.OVERPAYMENT: 80,
    MatchKind.ROUNDING: 85,
}
_STRUCTURED = frozenset({"ocr", "rf"})
REPAIR_MIN_LENGTH = 5


def _tier_of(plan: Plan, foreign: bool) -> Tier:
    if foreign:
        return Tier.FOREIGN_CURRENCY
    if plan.kind is MatchKind.EXACT:
        return Tier.OCR_EXACT
    if plan.kind is MatchKind.BANK_FEE:
        return Tier.OCR_TOLERANCE
    return Tier.OCR_PARTIAL


def ocr_tier(view: LineView, book: Book, ctx: RunContext) -> Outcome | None:
    """One valid OCR/RF naming exactly one open invoice, and nothing else referenced."""
    if not view.valid_refs:
        return None
    line = view.line
    hits = reference_hits(view, book)
    allowed = [h for h in hits if ctx.allowed(line, book, h.invoice_id)]
    if not any(h.how in _STRUCTURED or h.how == "ref_number" for h in allowed):
        ctx.mark_dead(line)  # e.g. the OCR of a paid invoice, or a rejected pair
        return None
    structured = list(dict.fromkeys(h.invoice_id for h in allowed if h.how in _STRUCTURED))
    others = {h.invoice_id for h in allowed} - set(structured)
    if not structured or others:
        return None
    ref = next(h.token for h in allowed if h.how in _STRUCTURED)
    if len(structured) > 1:
        if len({book.invoices[i].ocr for i in structured}) > 1:
            return None  # several references: the several-references tier splits them
        return _duplicate_ocr(view, book, ctx, structured, ref)
    return _single(view, book, ctx, structured[0], ref)


def _single(view: LineView, book: Book, ctx: RunContext, invoice_id: str, ref: str) -> Outcome | None:
    """The OCR names one invoice: the amount decides exact / bank fee / partial / over / currency."""
    line = view.line
    inv = book.invoices[invoice_id]
    plan = plan_payment(inv, book.remaining[invoice_id], line.amount, line.currency, ctx.rules)
    if plan is None:
        ctx.mark_dead(line)
        return None
    foreign = inv.currency != line.currency
    tier = _tier_of(plan, foreign)
    auto = ctx.rules.allows_auto(tier) and (plan.closes or (plan.kind is MatchKind.PARTIAL and not foreign))
    confidence = _CONFIDENCE[plan.kind] - (20 if foreign and not plan.closes else 0)
    evidence = [("reference", ref), ("reference_kind", "rf" if ref.startswith("RF") else "ocr")]
    allocation = build_allocation(
        line,
        inv,
        plan,
        tier=tier,
        decision=Decision.AUTO if auto else Decision.REVIEW,
        confidence=confidence,
        evidence=evidence,
    )
    return Outcome([allocation])


def _duplicate_ocr(view: LineView, book: Book, ctx: RunContext, ids: list[str], ref: str) -> Outcome | None:
    """Two open invoices share one OCR: suggest the best, never auto-accept."""
    line = view.line
    ranked = rank_by_payer(view, book, ids)
    best = book.invoices[ranked[0][0]]
    plan = plan_payment(best, book.remaining[best.bokio_id], line.amount, line.currency, ctx.rules)
    if plan is None:
        return None
    allocation = build_allocation(
        line,
        best,
        plan,
        tier=_tier_of(plan, best.currency != line.currency),
        decision=Decision.REVIEW,
        confidence=50,
        evidence=[("reference", ref), ("reference_kind", "ocr"), ranked_evidence(book, ranked)],
    )
    problem = Problem(
        ProblemCode.AMBIGUOUS, f"OCR {ref} belongs to {len(ids)} open invoices", line.company_id, line.id
    )
    return Outcome([allocation], [problem])


def _neighbours(reference: str) -> set[str]:
    """Every number one substitution or one adjacent transposition away from ``reference``."""
    found: set[str] = set()
    for i, digit in enumerate(reference):
        for other in "0123456789":
            if other != digit:
                found.add(reference[:i] + other + reference[i + 1 :])
    for i in range(len(reference) - 1):
        if reference[i] != reference[i + 1]:
            found.add(reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :])
    return found


def ocr_variants(reference: str) -> list[str]:
    """Luhn-valid numbers one substitution or one adjacent transposition away, sorted.

    >>> "18108401345678778" in ocr_variants("18108401345678773")
    True
    """
    if not reference.isdigit():
        return []
    return sorted(v for v in _neighbours(reference) if luhn_valid(v))


def repair_tier(view: LineView, book: Book, ctx: RunContext) -> Outcome | None:
    """A reference failing its check digit, one typo away from open invoices with the exact amount."""
    line = view.line
    # A structured reference is an OCR attempt whatever its length; text only when OCR-like.
    written = [*view.invalid_refs, *(t for t in view.text_tokens if len(t) >= REPAIR_MIN_LENGTH)]
    plans: dict[str, tuple[Plan, str]] = {}
    for ref in written:
        if luhn_valid(ref) or not ref.isdigit():
            continue
        # Look up first, check digits after: most neighbours are not open OCRs at all.
        hits = sorted(v for v in _neighbours(ref) if v in book.by_ocr and luhn_valid(v))
        for variant in hits:
            for invoice_id in book.by_ocr[variant]:
                if invoice_id in plans or not ctx.allowed(line, book, invoice_id):
                    continue
                inv = book.invoices[invoice_id]
                plan = plan_payment(inv, book.remaining[invoice_id], line.amount, line.currency, ctx.rules)
                if plan is not None and plan.kind in {MatchKind.EXACT, MatchKind.CURRENCY}:
                    plans[invoice_id] = (plan, ref)
    if not plans:
        return None
    ranked = rank_by_payer(view, book, plans)
    best_id = ranked[0][0]
    plan, ref = plans[best_id]
    unique = len(plans) == 1
    auto = unique and ctx.rules.allows_auto(Tier.OCR_REPAIR) and not ctx.is_dead(line)
    evidence = [
        ("reference", ref),
        ("repaired_to", book.invoices[best_id].ocr or ""),
        ranked_evidence(book, ranked),
    ]
    allocation: Allocation = build_allocation(
        line,
        book.invoices[best_id],
        plan,
        tier=Tier.OCR_REPAIR,
        decision=Decision.AUTO if auto else Decision.REVIEW,
        confidence=85 if unique else 45,
        evidence=evidence,
    )
    problems = []
    if not unique:
        problems.append(
            Problem(
                ProblemCode.AMBIGUOUS,
                f"reference {ref} is one typo away from {len(plans)} open invoices",
                line.company_id,
                line.id,
            )
        )
    return Outcome([allocation], problems)
