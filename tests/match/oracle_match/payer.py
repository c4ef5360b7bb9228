"""Tier 7: no usable reference, so match who paid (fuzzy name or confirmed alias) and how much.

Names are weak evidence ("Svensson AB" and "Svenssons Bygg AB" are different customers), so
this tier only suggests, except for a payer name people have confirmed often enough (an alias)
paying an amount that fits exactly one invoice or one exact set of that customer's invoices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from oracle_match.book import Book
from syncd.domain.models import Decision, MatchKind, Problem, ProblemCode, Tier
from syncd.domain.money import quantize, to_ore
from syncd.match.context import LineView, Outcome, RunContext
from syncd.match.plan import Plan, build_allocation, format_amount
from syncd.match.subset import exact_subsets

ALIAS_SCORE = 100


@dataclass(frozen=True, slots=True)
class _Option:
    customer_id: str
    score: int
    confirmations: int
    invoice_ids: tuple[str, ...]


def _customers(view: LineView, book: Book, ctx: RunContext) -> list[tuple[str, int, int]]:
    """(customer, name score, alias confirmations) for this payer, best first."""
    found: dict[str, tuple[int, int]] = {}
    for customer_id, confirmations in ctx.aliases.get((book.company_id, view.payer), ()):
        if customer_id in book.by_customer:
            found[customer_id] = (ALIAS_SCORE, confirmations)
    for customer_id, score in book.customers_like(view.payer, ctx.rules.name_score_review):
        found.setdefault(customer_id, (score, 0))
    return sorted(((c, s, n) for c, (s, n) in found.items()), key=lambda t: (-t[1], -t[2], t[0]))


def _in_window(ctx: RunContext, booking: dt.date, invoice_date: dt.date) -> bool:
    earliest = booking - dt.timedelta(days=ctx.rules.date_window_days_before)
    latest = booking + dt.timedelta(days=ctx.rules.date_window_days_after)
    return earliest <= invoice_date <= latest


def _options(view: LineView, book: Book, ctx: RunContext) -> list[_Option]:
    line = view.line
    target = to_ore(quantize(line.amount))
    options: list[_Option] = []
    for customer_id, score, confirmations in _customers(view, book, ctx):
        ids = [
            i
            for i in book.by_customer[customer_id]
            if ctx.allowed(line, book, i)
            and book.invoices[i].currency == line.currency
            and _in_window(ctx, line.booking_date, book.invoices[i].invoice_date)
        ]
        singles = [i for i in ids if book.remaining[i] == line.amount]
        if singles:
            options += [_Option(customer_id, score, confirmations, (i,)) for i in singles]
            continue
        ids = ids[: ctx.rules.subset_max_candidates]  # by_customer is oldest first
        amounts = [to_ore(quantize(book.remaining[i])) for i in ids]
        for solution in exact_subsets(amounts, target):
            options.append(_Option(customer_id, score, confirmations, tuple(ids[k] for k in solution)))
    return sorted(
        options,
        key=lambda o: (
            -o.score,
            -o.confirmations,
            len(o.invoice_ids),
            [book.age_key(i) for i in o.invoice_ids],
        ),
    )


def payer_tier(view: LineView, book: Book, ctx: RunContext) -> Outcome | None:
    """Suggest the customer's invoice(s) whose outstanding the amount fits exactly."""
    line = view.line
    if not view.payer:
        return None
    options = _options(view, book, ctx)
    if not options:
        return None
    best = options[0]
    unique = len(options) == 1
    trusted = best.confirmations >= ctx.rules.alias_confirmations_for_auto
    auto = unique and trusted and ctx.rules.allows_auto(Tier.PAYER_AMOUNT)
    auto = auto and not ctx.is_dead(line)
    confidence = 90 if auto else (min(80, best.score - 10) if unique else 40)
    ranked = "; ".join(
        f"{'+'.join(book.invoices[i].invoice_number for i in o.invoice_ids)} "
        f"({book.invoices[o.invoice_ids[0]].customer_name}, {o.score})"
        for o in options[:5]
    )
    evidence = [
        ("payer", line.payer_name),
        ("customer", book.invoices[best.invoice_ids[0]].customer_name),
        ("name_score", str(best.score)),
        ("alias_confirmations", str(best.confirmations)),
        ("candidates", ranked),
    ]
    outcome = Outcome()
    for invoice_id in best.invoice_ids:
        amount = book.remaining[invoice_id]
        outcome.allocations.append(
            build_allocation(
                line,
                book.invoices[invoice_id],
                Plan(MatchKind.EXACT, amount, amount, amount, amount),
                tier=Tier.PAYER_AMOUNT,
                decision=Decision.AUTO if auto else Decision.REVIEW,
                confidence=confidence,
                evidence=evidence,
            )
        )
    if not unique:
        outcome.problems.append(
            Problem(
                ProblemCode.AMBIGUOUS,
                f"{len(options)} ways to read {format_amount(line.amount)} from {line.payer_name!r}",
                line.company_id,
                line.id,
            )
        )
    return outcome
