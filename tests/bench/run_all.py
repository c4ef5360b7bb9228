"""Run every benchmark and print their figures side by side against their targets (``make bench``).

Not collected by pytest. Run: ``.venv/bin/python -m tests.bench.run_all [--quick] [--only NAME ...]``.

Each ``tests/bench/bench_*.py`` runs in a child process of its own (its peak RSS is its own), its
report streamed through as it runs; the ``BENCH-SUMMARY`` line it prints last
(:mod:`tests.bench.summary`) is gathered into one table at the end: figure, value, target, and
``MISSED`` where a target is missed. ``--quick`` runs each at a small size (a smoke run of the
benchmarks themselves: the figures are then not the ones the targets are set for). The exit code
is 1 only when a benchmark fails to run or prints no summary; a missed target is reported, not
failed (timing on a shared machine is a measurement, not a verdict).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.summary import Figure, parse

HERE = Path(__file__).resolve().parent
QUICK: dict[str, list[str]] = {
    "bench_camt_db_import": ["--quick"],
    "bench_camt_import": ["--quick"],
    "bench_csv_psp_import": ["--quick"],
    "bench_many_companies": ["--quick"],
    "bench_match": ["--quick"],
    "bench_pull_month": [],
    "bench_push": ["--allocations", "100"],
    "bench_run_history": ["--quick"],
    "bench_startup": ["--runs", "2"],
}
"""Small sizes for ``--quick``: every benchmark's path runs, in minutes rather than hours."""


@dataclass
class Outcome:
    """What one benchmark printed and how it ended."""

    name: str
    returncode: int = 0
    seconds: float = 0.0
    figures: list[Figure] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        if self.returncode != 0:
            return f"exited with {self.returncode}"
        if not self.figures:
            return "printed no BENCH-SUMMARY line"
        return None


def benchmarks(only: list[str]) -> list[str]:
    names = sorted(path.stem for path in HERE.glob("bench_*.py"))
    unknown = [name for name in only if name not in names]
    if unknown:
        raise SystemExit(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(names)}")
    return [name for name in names if not only or name in only]


def run(name: str, extra: list[str]) -> Outcome:
    """Run one benchmark, streaming its output, and keep its summary."""
    outcome = Outcome(name)
    started = time.monotonic()
    print(f"== {name} {' '.join(extra)}".rstrip(), flush=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", f"tests.bench.{name}", *extra],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=HERE.parents[1],
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            parsed = parse(line.rstrip("\n"))
            if parsed is not None:
                outcome.figures.extend(parsed[1])
    outcome.returncode = child.returncode
    outcome.seconds = time.monotonic() - started
    return outcome


def table(outcomes: list[Outcome]) -> list[str]:
    """The side-by-side table: one row per figure, benchmarks in the order they ran."""
    rows = [("benchmark", "figure", "value", "target", "")]
    for outcome in outcomes:
        if outcome.problem:
            rows.append((outcome.name, outcome.problem, "", "", "FAILED"))
        for figure in outcome.figures:
            mark = {True: "ok", False: "MISSED", None: ""}[figure.ok]
            value = f"{figure.value:,.6g} {figure.unit}".strip()
            rows.append((outcome.name, figure.name, value, figure.target or "", mark))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: check the benchmarks run")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="e.g. bench_match bench_push")
    args = parser.parse_args(argv)
    outcomes = [run(name, QUICK.get(name, []) if args.quick else []) for name in benchmarks(args.only)]
    print(
        "\n== figures side by side"
        + (" (--quick: small sizes, not the targets' sizes)" if args.quick else "")
    )
    for line in table(outcomes):
        print(line)
    over = sum(1 for outcome in outcomes for figure in outcome.figures if figure.ok is False)
    failed = [outcome.name for outcome in outcomes if outcome.problem]
    took = sum(outcome.seconds for outcome in outcomes)
    print(
        f"\n{len(outcomes)} benchmarks in {took / 60:.1f} min; {over} figures miss their target; {len(failed)} failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
