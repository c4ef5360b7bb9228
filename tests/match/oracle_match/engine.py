"""``propose``: the matcher as a pure function of invoices, bank lines, rules and memory.

Tiers run strongest first over *all* pending lines (tier-major), so a weak guess about an early
line can never take an invoice that a later line pays with its exact OCR. Within a tier lines
go in (booking date, id) order, and each allocation immediately consumes the invoice's
remaining outstanding. Nothing here reads a clock, a database or the environment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from oracle_match.book import Book
from oracle_match.payer import payer_tier
from syncd.domain.models import (
    Allocation,
    BankLine,
    Direction,
    MatchResult,
    OpenInvoice,
    Problem,
    ProblemCode,
    PspPayoutLine,
)
from syncd.domain.money import ZERO
from syncd.domain.references import normalise
from syncd.match.context import LineView, Outcome, RunContext, reference_hits
from syncd.match.names import normalise_name
from syncd.match.rules import MatchMemory, MatchRules
from syncd.match.tiers import TierFn
from syncd.match.tiers.ocr import ocr_tier, repair_tier
from syncd.match.tiers.psp import psp_tier
from syncd.match.tiers.text import multi_tier, text_tier

# PSP first: a payout id is as decisive as an OCR and its lines must not be read as one payment.
TIERS: tuple[TierFn, ...] = (psp_tier, ocr_tier, multi_tier, repair_tier, text_tier, payer_tier)

_LineKey = tuple[str, str]


def _books(invoices: Iterable[OpenInvoice], problems: list[Problem]) -> dict[str, Book]:
    by_company: dict[str, dict[str, OpenInvoice]] = {}
    for inv in sorted(invoices, key=lambda i: (i.company_id, i.bokio_id)):
        seen = by_company.setdefault(inv.company_id, {})
        if inv.bokio_id in seen:
            problems.append(
                Problem(
                    ProblemCode.INVALID_INVOICE,
                    "invoice listed twice",
                    inv.company_id,
                    invoice_id=inv.bokio_id,
                )
            )
        elif inv.outstanding > ZERO and inv.currency_rate > ZERO:
            seen[inv.bokio_id] = inv
    return {company: Book(company, invs.values()) for company, invs in by_company.items()}


def _lines(lines: Iterable[BankLine], today: dt.date, problems: list[Problem]) -> list[BankLine]:
    kept: dict[_LineKey, BankLine] = {}
    for line in sorted(lines, key=lambda b: (b.booking_date, b.id, b.company_id)):
        key = (line.company_id, line.id)
        if key in kept:
            problems.append(Problem(ProblemCode.DUPLICATE_BANK_LINE, "bank line listed twice", *key))
        elif line.amount <= ZERO:
            problems.append(Problem(ProblemCode.INVALID_BANK_LINE, "amount must be positive", *key))
        elif line.booking_date > today:
            problems.append(Problem(ProblemCode.FUTURE_BANK_LINE, f"booked after today ({today})", *key))
        else:
            kept[key] = line
    return list(kept.values())


def _outgoing(view: LineView, book: Book) -> Problem | None:
    """A debit or reversal is never allocated; say so when it names an invoice (a refund?)."""
    line = view.line
    numbers = sorted({book.invoices[h.invoice_id].invoice_number for h in reference_hits(view, book)})
    if not numbers:
        return None
    code = ProblemCode.DEBIT_REFERENCES_INVOICE if line.direction is Direction.DEBIT else ProblemCode.REVERSAL
    what = "debit" if line.direction is Direction.DEBIT else "reversal"
    return Problem(
        code,
        f"{what} of {line.amount} {line.currency} references invoice {', '.join(numbers)}: "
        "a refund? book it by hand",
        line.company_id,
        line.id,
    )


def _signature(line: BankLine) -> tuple[object, ...] | None:
    """What a reversal repeats of the credit it takes back (its references, else its payer); None
    when it has neither, as the amount alone cannot tell which credit was taken back."""
    refs = tuple(sorted(normalise(r) for r in line.references if normalise(r)))
    payer = normalise_name(line.payer_name)
    if not refs and not payer:
        return None
    return (line.company_id, line.currency, line.amount, refs or payer)


def _reversed_credits(lines: Sequence[BankLine]) -> dict[_LineKey, Problem]:
    """Credits the bank took back in the same batch: each reversal claims the latest such credit.

    A reversal carries the credit's amount, references and payer and is booked the same day or
    later. The money did not stay, so the credit pays no invoice (nor blocks one): a person sees why.
    """
    credits: dict[tuple[object, ...], list[BankLine]] = {}
    for line in lines:  # booking-date order
        signature = _signature(line)
        if signature is not None and line.direction is Direction.CREDIT and not line.is_reversal:
            credits.setdefault(signature, []).append(line)
    held: dict[_LineKey, Problem] = {}
    for reversal in (line for line in lines if line.is_reversal):
        signature = _signature(reversal)
        before = credits.get(signature, []) if signature is not None else []
        free = [
            c for c in before if c.booking_date <= reversal.booking_date and (c.company_id, c.id) not in held
        ]
        if free:
            credit = free[-1]
            held[(credit.company_id, credit.id)] = Problem(
                ProblemCode.REVERSAL,
                f"reversed by bank line {reversal.id} ({reversal.booking_date}): the money did not stay",
                credit.company_id,
                credit.id,
            )
    return held


def _context(
    rules: MatchRules, memory: MatchMemory, today: dt.date, payouts: Sequence[PspPayoutLine]
) -> RunContext:
    aliases: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for alias in sorted(memory.aliases, key=lambda a: (a.company_id, a.payer_name, a.customer_id)):
        key = (alias.company_id, normalise_name(alias.payer_name))
        aliases.setdefault(key, []).append((alias.customer_id, alias.confirmations))
    by_id = {
        (p.company_id, p.payout_id): p for p in sorted(payouts, key=lambda p: (p.company_id, p.payout_id))
    }
    by_net: dict[tuple[str, str, Decimal], list[PspPayoutLine]] = {}
    for payout in by_id.values():
        by_net.setdefault((payout.company_id, payout.currency, payout.net), []).append(payout)
    return RunContext(rules, memory, today, aliases, by_id, by_net)


def propose(
    open_invoices: Iterable[OpenInvoice],
    bank_lines: Iterable[BankLine],
    rules: MatchRules,
    memory: MatchMemory,
    *,
    today: dt.date,
    psp_payouts: Sequence[PspPayoutLine] = (),
) -> MatchResult:
    """Propose allocations of incoming bank lines to open invoices.

    Same inputs in any order give the same result. Company A's lines only ever meet company A's
    invoices and payouts. Debits and reversals are never allocated.
    """
    problems: list[Problem] = []
    books = _books(open_invoices, problems)
    lines = _lines(bank_lines, today, problems)
    ctx = _context(rules, memory, today, psp_payouts)
    views = [LineView.of(line) for line in lines]
    outcomes: dict[_LineKey, Outcome] = {}
    pending: list[LineView] = []
    reversed_credits = _reversed_credits(lines)
    for view in views:
        line = view.line
        book = books.setdefault(line.company_id, Book(line.company_id, ()))
        held = reversed_credits.get((line.company_id, line.id))
        if held is not None:
            outcomes[(line.company_id, line.id)] = Outcome(problems=[held])
        elif line.direction is Direction.DEBIT or line.is_reversal:
            outgoing = _outgoing(view, book)
            outcomes[(line.company_id, line.id)] = Outcome(problems=[outgoing] if outgoing else [])
        else:
            pending.append(view)
    for tier in TIERS:
        still: list[LineView] = []
        for view in pending:
            book = books[view.line.company_id]
            outcome = tier(view, book, ctx)
            if outcome is None:
                still.append(view)
                continue
            for allocation in outcome.allocations:
                book.consume(allocation.invoice_id, allocation.consumed)
            outcomes[(view.line.company_id, view.line.id)] = outcome
        pending = still
    for view in pending:
        line = view.line
        if ctx.is_dead(line):
            message = (
                f"reference {', '.join(view.valid_refs)} matches no open invoice (paid, rejected or unknown)"
            )
            outcomes[(line.company_id, line.id)] = Outcome(
                problems=[Problem(ProblemCode.UNKNOWN_REFERENCE, message, line.company_id, line.id)]
            )
    return _result(lines, outcomes, problems)


def _result(lines: list[BankLine], outcomes: dict[_LineKey, Outcome], problems: list[Problem]) -> MatchResult:
    allocations: list[Allocation] = []
    unmatched: list[str] = []
    for line in lines:
        outcome = outcomes.get((line.company_id, line.id), Outcome())
        allocations += outcome.allocations
        problems += outcome.problems
        if not outcome.allocations:
            unmatched.append(line.id)
    return MatchResult(tuple(allocations), tuple(unmatched), tuple(problems))
