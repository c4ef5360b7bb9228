"""Replay a labelled corpus through :func:`propose` and count what went right and wrong.

A bank line's proposal is *right* when it allocates exactly the expected invoices with the
expected bank money each (no allocation is right when none was expected). The numbers that
matter: auto-accepted wrong (must be zero), the share of incoming payments reconciled
automatically, and how often the rest has the right answer ranked first for the reviewer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from syncd.domain.models import Allocation, Decision, Direction
from syncd.match.corpus import ExpectedAllocation, Scenario, generate_corpus
from syncd.match.engine import propose
from syncd.match.rules import MatchRules

__all__ = ["EvalReport", "Scenario", "TierCounts", "evaluate", "generate_corpus", "render_table"]

NO_TIER = "none"
_COLUMNS = ("auto_right", "auto_wrong", "review_right", "review_wrong", "missed")


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
    auto_reconciled: int = 0
    rest_right: int = 0
    outgoing: int = 0
    outgoing_allocated: int = 0

    @property
    def auto_wrong(self) -> int:
        """Auto-accepted proposals that were wrong: the number that must stay at zero."""
        return sum(c.auto_wrong for c in self.tiers.values())

    @property
    def auto_share(self) -> float:
        """Share of incoming payments fully and correctly reconciled without a person."""
        return self.auto_reconciled / self.incoming if self.incoming else 1.0

    @property
    def rank1_share(self) -> float:
        """Of the incoming payments left for a person, the share whose first proposal is right."""
        rest = self.incoming - self.auto_reconciled
        return self.rest_right / rest if rest else 1.0


def _is_right(allocations: Sequence[Allocation], expected: Iterable[ExpectedAllocation]) -> bool:
    got = sorted((a.invoice_id, a.cash) for a in allocations)
    return got == sorted((e.invoice_id, e.cash) for e in expected)


def _score_line(
    report: EvalReport, scenario: Scenario, line_id: str, incoming: bool, allocations: Sequence[Allocation]
) -> None:
    expected = scenario.expected[line_id]
    right = _is_right(allocations, expected)
    kind = report.kinds.setdefault(scenario.kind, Counter())
    if not incoming:
        report.outgoing += 1
        report.outgoing_allocated += bool(allocations)
        kind["right_unmatched" if right else "wrong"] += 1
        return
    report.incoming += 1
    if not allocations:
        tier = scenario.tier.value if scenario.tier else NO_TIER
        counts = report.tiers.setdefault(tier, TierCounts())
        if expected:
            counts.missed += 1
            kind["missed"] += 1
        else:
            report.rest_right += 1
            kind["right_unmatched"] += 1
        return
    counts = report.tiers.setdefault(allocations[0].tier.value, TierCounts())
    auto = all(a.decision is Decision.AUTO for a in allocations)
    column = f"{'auto' if auto else 'review'}_{'right' if right else 'wrong'}"
    setattr(counts, column, getattr(counts, column) + 1)
    kind[column] += 1
    if auto and right:
        report.auto_reconciled += 1
    elif right:
        report.rest_right += 1


def evaluate(corpus: Iterable[Scenario], rules: MatchRules) -> EvalReport:
    """Run every scenario through the matcher with ``rules`` and tally the outcomes."""
    report = EvalReport()
    for scenario in corpus:
        result = propose(
            scenario.invoices,
            scenario.bank_lines,
            rules,
            scenario.memory,
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
    width = 28
    lines = [_row("tier", _COLUMNS, width)]
    for tier in sorted(report.tiers):
        counts = report.tiers[tier]
        lines.append(_row(tier, [getattr(counts, c) for c in _COLUMNS], width))
    kind_columns = ("auto_right", "auto_wrong", "review_right", "review_wrong", "missed", "right_unmatched")
    lines += ["", _row("scenario kind", [*kind_columns[:5], "right_unmatch", "wrong"], width)]
    for kind in sorted(report.kinds):
        counter = report.kinds[kind]
        lines.append(_row(kind, [counter[c] for c in (*kind_columns, "wrong")], width))
    lines += [
        "",
        f"incoming payments:               {report.incoming}",
        f"auto-accepted wrong:             {report.auto_wrong}  (target 0)",
        f"reconciled automatically:        {report.auto_share:.1%}  (target >= 90 %)",
        f"right answer ranked first, rest: {report.rank1_share:.1%}  (target >= 98 %)",
        f"outgoing lines allocated:        {report.outgoing_allocated} of {report.outgoing}  (target 0)",
    ]
    return "\n".join(lines)
