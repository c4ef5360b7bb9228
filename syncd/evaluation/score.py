"""Replay a labelled corpus through :func:`propose` and count what went right and wrong.

A bank line's proposal is *right* when it allocates exactly the expected invoices with the
expected bank money each (and, where the label says, exactly the expected settlements; no
allocation is right when none was expected); a line whose booking the policy has a person confirm
is wrong when booked automatically. A line labelled "a
person must decide" is right when it is left to a person, with suggestions (``review_right``) or
without (``right_unmatched``), and wrong only when booked automatically. The numbers that matter:
auto-accepted wrong (must be zero), the share of bookable incoming payments reconciled
automatically, and how often the rest has the right answer ranked first for the reviewer.

This is the one module of :mod:`syncd.evaluation` that runs the matcher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from syncd.domain.models import Allocation, Decision, Direction, SettlementType
from syncd.evaluation.world import ExpectedAllocation, Scenario, Taught
from syncd.match.engine import propose
from syncd.match.rules import MatchMemory, MatchRules, PayerAlias

__all__ = ["KIND_COLUMNS", "EvalReport", "TierCounts", "evaluate", "render_table"]

NO_TIER = "none"
_COLUMNS = ("auto_right", "auto_wrong", "review_right", "review_wrong", "missed")
KIND_COLUMNS = (*_COLUMNS, "right_unmatched", "wrong")
"""Per scenario kind; the last two count lines that got no proposal rightly, and outgoing lines
that got one (wrongly)."""


@dataclass(slots=True)
class TierCounts:
    """Outcomes of the bank lines one tier decided (or should have decided, for ``missed``)."""

    auto_right: int = 0
    auto_wrong: int = 0
    review_right: int = 0
    review_wrong: int = 0
    missed: int = 0


@dataclass(slots=True)
class EvalReport:
    """Per-tier and overall counts; the ``*_share`` properties are the acceptance targets."""

    tiers: dict[str, TierCounts] = field(default_factory=dict)
    kinds: dict[str, Counter[str]] = field(default_factory=dict)
    incoming: int = 0
    for_a_person: int = 0
    """Incoming lines labelled "a person must decide" (no right automatic booking exists)."""
    for_confirmation: int = 0
    """Incoming lines with a right booking that the policy has a person confirm."""
    auto_reconciled: int = 0
    rest_right: int = 0
    outgoing: int = 0
    outgoing_allocated: int = 0

    @property
    def auto_wrong(self) -> int:
        """Auto-accepted proposals that were wrong: the number that must stay at zero."""
        return sum(c.auto_wrong for c in self.tiers.values())

    @property
    def bookable(self) -> int:
        """Incoming payments that have a right booking (not labelled "a person must decide")."""
        return self.incoming - self.for_a_person

    @property
    def auto_share(self) -> float:
        """Share of the payments the machine may book alone that it reconciled fully and correctly.

        Bookable payments whose booking the policy has a person confirm are not counted: that the
        machine left them is right, not a shortfall.
        """
        alone = self.bookable - self.for_confirmation
        return self.auto_reconciled / alone if alone else 1.0

    @property
    def rank1_share(self) -> float:
        """Of the bookable incoming payments left for a person, the share whose first proposal is right."""
        rest = self.bookable - self.auto_reconciled
        return self.rest_right / rest if rest else 1.0

    def totals(self) -> dict[str, int]:
        """Every column of :data:`KIND_COLUMNS` summed over the scenario kinds."""
        return {c: sum(counter[c] for counter in self.kinds.values()) for c in KIND_COLUMNS}

    def kind_figures(self) -> dict[str, dict[str, int]]:
        """Per scenario kind, every column of :data:`KIND_COLUMNS` (zeros included)."""
        return {kind: {c: counter[c] for c in KIND_COLUMNS} for kind, counter in sorted(self.kinds.items())}


def _is_right(allocations: Sequence[Allocation], expected: Iterable[ExpectedAllocation]) -> bool:
    wanted = sorted(expected, key=lambda e: (e.invoice_id, e.cash))
    got = sorted(allocations, key=lambda a: (a.invoice_id, a.cash))
    if [(a.invoice_id, a.cash) for a in got] != [(e.invoice_id, e.cash) for e in wanted]:
        return False
    return all(
        (e.write_off is None or sum((s.amount for s in a.settlements), Decimal(0)) == e.write_off)
        and (e.settlements is None or _settlements(a) == e.settlements)
        for a, e in zip(got, wanted, strict=True)
    )


def _settlements(allocation: Allocation) -> tuple[tuple[SettlementType, Decimal], ...]:
    """The allocation's settlements as a hand label writes them: type and size, sorted."""
    return tuple(sorted((s.type, abs(s.amount)) for s in allocation.settlements))


def _score_line(
    report: EvalReport, scenario: Scenario, line_id: str, incoming: bool, allocations: Sequence[Allocation]
) -> None:
    kind = report.kinds.setdefault(scenario.kind, Counter())
    if not incoming:
        right = not allocations
        report.outgoing += 1
        report.outgoing_allocated += bool(allocations)
        kind["right_unmatched" if right else "wrong"] += 1
        return
    report.incoming += 1
    if line_id in scenario.for_a_person:
        _score_for_a_person(report, scenario, kind, allocations)
        return
    expected = scenario.expected[line_id]
    report.for_confirmation += line_id in scenario.for_confirmation
    if not allocations:
        counts = report.tiers.setdefault(scenario.tier.value if scenario.tier else NO_TIER, TierCounts())
        if expected:
            counts.missed += 1
            kind["missed"] += 1
        else:
            report.rest_right += 1
            kind["right_unmatched"] += 1
        return
    counts = report.tiers.setdefault(allocations[0].tier.value, TierCounts())
    auto = all(a.decision is Decision.AUTO for a in allocations)
    # the right booking, made without the person the policy asks for, is still booked wrongly
    right = _is_right(allocations, expected) and not (auto and line_id in scenario.for_confirmation)
    column = f"{'auto' if auto else 'review'}_{'right' if right else 'wrong'}"
    setattr(counts, column, getattr(counts, column) + 1)
    kind[column] += 1
    if auto and right:
        report.auto_reconciled += 1
    elif right:
        report.rest_right += 1


def _score_for_a_person(
    report: EvalReport, scenario: Scenario, kind: Counter[str], allocations: Sequence[Allocation]
) -> None:
    """A line only a person may decide: booking any part of it automatically is wrong."""
    report.for_a_person += 1
    if not allocations:
        kind["right_unmatched"] += 1
        return
    counts = report.tiers.setdefault(allocations[0].tier.value, TierCounts())
    column = "auto_wrong" if any(a.decision is Decision.AUTO for a in allocations) else "review_right"
    setattr(counts, column, getattr(counts, column) + 1)
    kind[column] += 1


def _memory(taught: Taught) -> MatchMemory:
    """What people taught, in the matcher's own terms."""
    aliases = tuple(
        PayerAlias(c.company_id, c.payer_name, c.customer_id, c.confirmations)
        for c in taught.confirmed_payers
    )
    return MatchMemory(rejected=taught.rejected, aliases=aliases)


def evaluate(corpus: Iterable[Scenario], rules: MatchRules) -> EvalReport:
    """Run every scenario through the matcher with ``rules`` and tally the outcomes."""
    report = EvalReport()
    for scenario in corpus:
        result = propose(
            scenario.invoices,
            scenario.bank_lines,
            rules,
            _memory(scenario.taught),
            today=scenario.today,
            psp_payouts=scenario.psp_payouts,
        )
        for line in scenario.bank_lines:
            incoming = line.direction is Direction.CREDIT and not line.is_reversal
            _score_line(report, scenario, line.id, incoming, result.for_line(line.id))
    return report


def _row(label: str, values: Sequence[object], width: int) -> str:
    return f"{label:<{width}}" + "".join(f"{v!s:>14}" for v in values)


def render_table(report: EvalReport) -> str:
    """A plain-text table for the CLI: per tier, per scenario kind, then the targets."""
    width = max([28, *(len(kind) + 2 for kind in report.kinds)])
    lines = [_row("tier", _COLUMNS, width)]
    for tier in sorted(report.tiers):
        counts = report.tiers[tier]
        lines.append(_row(tier, [getattr(counts, c) for c in _COLUMNS], width))
    lines += ["", _row("scenario kind", [*_COLUMNS, "right_unmatch", "wrong"], width)]
    for kind, figures in report.kind_figures().items():
        lines.append(_row(kind, list(figures.values()), width))
    lines.append(_row("all kinds", list(report.totals().values()), width))
    lines += [
        "",
        f"incoming payments:               {report.incoming}",
        f"  of which a person must decide: {report.for_a_person}",
        f"  of which a person confirms:    {report.for_confirmation}",
        f"auto-accepted wrong:             {report.auto_wrong}  (target 0)",
        f"reconciled automatically:        {report.auto_share:.1%} of what it may book alone (target 90 %)",
        f"right answer ranked first, rest: {report.rank1_share:.1%}  (target >= 98 %)",
        f"outgoing lines allocated:        {report.outgoing_allocated} of {report.outgoing}  (target 0)",
    ]
    return "\n".join(lines)
