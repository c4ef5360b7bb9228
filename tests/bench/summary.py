"""The one line each benchmark prints last, so ``make bench`` can set every figure side by side.

A benchmark prints its own report as it likes, then ``BENCH-SUMMARY {json}``: the figures the
issues set targets for, each with its target written as ``"<= 1.5"`` or ``">= 10000"`` (or none,
for a figure that is only reported). :mod:`tests.bench.run_all` reads these lines from every
benchmark's output and prints one table; a figure over its target is marked there, never asserted
(speed is measured on demand, not in the test suite).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

PREFIX = "BENCH-SUMMARY "
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Figure:
    """One measured figure and, where an issue sets one, its target."""

    name: str
    value: float
    unit: str = ""
    target: str | None = None

    @property
    def ok(self) -> bool | None:
        """Whether the value meets the target; None when there is no target to meet."""
        if not self.target:
            return None
        sign, _, bound = self.target.strip().partition(" ")
        compare = _COMPARE.get(sign)
        if compare is None:
            raise ValueError(f"target {self.target!r} of {self.name!r}: write it as '<= 1.5' or '>= 10000'")
        return compare(float(self.value), float(bound))


def emit(bench: str, figures: Iterable[Figure]) -> None:
    """Print the summary line (last, after the benchmark's own report)."""
    document = {"bench": bench, "figures": [asdict(figure) for figure in figures]}
    print(PREFIX + json.dumps(document, ensure_ascii=False), flush=True)


def parse(line: str) -> tuple[str, list[Figure]] | None:
    """The benchmark and its figures from a summary line; None for any other line."""
    if not line.startswith(PREFIX):
        return None
    document: dict[str, Any] = json.loads(line[len(PREFIX) :])
    figures = [
        Figure(
            name=str(item["name"]),
            value=float(item["value"]),
            unit=str(item.get("unit") or ""),
            target=item.get("target") or None,
        )
        for item in document.get("figures", [])
    ]
    return str(document["bench"]), figures
