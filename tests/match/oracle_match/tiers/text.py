"""Tiers 5 and 6: several references in one payment, and one reference written in the text.

Several OCRs in one payment (BgMax TK22 records carry amount 0) are split by an exact subset
sum of the invoices' outstanding öre; only a unique exact split is auto-accepted, otherwise the
oldest invoices are paid first and a person reviews it.
"""

from __future__ import annotations

from oracle_match.book import Book
from oracle_match.context import LineView, Outcome, RunContext, reference_hits
from oracle_match.plan import Plan, build_allocation, format_amount, plan_payment
from oracle_match.subset import exact_subsets
from syncd.domain.models import Decision, MatchKind, Problem, ProblemCode, Tier
from syncd.domain.money import ZERO, quantize, to_ore

_TEXTUAL = frozenset({"ref_number", "text_ocr", "text_number"})


def _referenced(view: LineView, book: Book, ctx: RunContext, hows: frozenset[str] | None = None) -> list[str]:
    """Open, non-rejected invoices the line refers to, each once, in order of appearance."""
    ids = (
        h.invoice_id
        for h in reference_hits(view, book)
        if (hows is None or h.how in hows) and ctx.allowed(view.line, book, h.invoice_id)
    )
    return list(dict.fromkeys(ids))


def multi_tier(view: LineView, book: Book, ctx: RunContext) -> Outcome | None:
    """Two or more referenced invoices: split by exact subset, else oldest first for review."""
    line = view.line
    ids = [i for i in _referenced(view, book, ctx) if book.invoices[i].currency == line.currency]
    if len(ids) < 2:
        return None
    ids = sorted(ids, key=book.age_key)[: ctx.rules.subset_max_candidates]
    amounts = [to_ore(quantize(book.remaining[i])) for i in ids]
    solutions = exact_subsets(amounts, to_ore(quantize(line.amount)))
    refs = ", ".join(book.invoices[i].invoice_number for i in ids)
    evidence = [("references", refs)]
    if solutions:
        unique = len(solutions) == 1
        chosen = min(solutions, key=lambda s: [book.age_key(ids[k]) for k in s])
        auto = unique and ctx.rules.allows_auto(Tier.MULTI_REFERENCE) and not ctx.is_dead(line)
        outcome = Outcome()
        for k in chosen:
            inv = book.invoices[ids[k]]
            amount = book.remaining[inv.bokio_id]
            plan = Plan(MatchKind.EXACT, amount, amount, amount, amount)
            outcome.allocations.append(
                build_allocation(
                    line,
                    inv,
                    plan,
                    tier=Tier.MULTI_REFERENCE,
                    decision=Decision.AUTO if auto else Decision.REVIEW,
                    confidence=95 if unique else 55,
                    evidence=[
                        *evidence,
                        ("split", "exact subset" if unique else "one of several exact subsets"),
                    ],
                )
            )
        if not unique:
            outcome.problems.append(
                Problem(ProblemCode.AMBIGUOUS, f"several exact splits over {refs}", line.company_id, line.id)
            )
        return outcome
    return _oldest_first(view, book, ids, evidence)


def _oldest_first(view: LineView, book: Book, ids: list[str], evidence: list[tuple[str, str]]) -> Outcome:
    """No exact split: pay the oldest referenced invoices first and let a person check."""
    line = view.line
    left = line.amount
    outcome = Outcome()
    for invoice_id in ids:
        if left <= ZERO:
            break
        remaining = book.remaining[invoice_id]
        paid = min(left, remaining)
        kind = MatchKind.EXACT if paid == remaining else MatchKind.PARTIAL
        plan = Plan(kind, paid, paid, paid, paid)
        outcome.allocations.append(
            build_allocation(
                line,
                book.invoices[invoice_id],
                plan,
                tier=Tier.MULTI_REFERENCE,
                decision=Decision.REVIEW,
                confidence=60,
                evidence=[*evidence, ("split", "oldest first")],
            )
        )
        left -= paid
    if left > ZERO:
        outcome.problems.append(
            Problem(
                ProblemCode.UNALLOCATED_REMAINDER,
                f"{format_amount(left)} {line.currency} left after paying every referenced invoice",
                line.company_id,
                line.id,
            )
        )
    return outcome


def text_tier(view: LineView, book: Book, ctx: RunContext) -> Outcome | None:
    """One invoice named in the text (or its number typed where the OCR belongs)."""
    line = view.line
    ids = _referenced(view, book, ctx, _TEXTUAL)
    if len(ids) != 1:
        return None
    inv = book.invoices[ids[0]]
    plan = plan_payment(inv, book.remaining[inv.bokio_id], line.amount, line.currency, ctx.rules)
    if plan is None:
        return None
    foreign = inv.currency != line.currency
    tier = Tier.FOREIGN_CURRENCY if foreign else Tier.TEXT_REFERENCE
    exact = plan.kind in {MatchKind.EXACT, MatchKind.CURRENCY}
    auto = exact and ctx.rules.allows_auto(tier) and not ctx.is_dead(line)
    hit = next(h for h in reference_hits(view, book) if h.invoice_id == inv.bokio_id and h.how in _TEXTUAL)
    evidence = [("reference", hit.token), ("reference_kind", hit.how)]
    return Outcome(
        [
            build_allocation(
                line,
                inv,
                plan,
                tier=tier,
                decision=Decision.AUTO if auto else Decision.REVIEW,
                confidence=92 if exact else 70,
                evidence=evidence,
            )
        ]
    )
