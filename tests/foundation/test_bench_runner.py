"""``make bench`` sets every benchmark's figures side by side; these tests keep that promise honest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench import run_all
from tests.bench.summary import Figure, emit, parse

BENCH = Path(run_all.__file__).resolve().parent


def test_a_summary_line_reads_back_as_the_figures_it_was_printed_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = [Figure("reads in the month", 566, "reads", "<= 700"), Figure("parser / lxml", 0.12)]
    emit("bench_example", figures)
    line = capsys.readouterr().out.strip()
    assert parse(line) == ("bench_example", figures)
    assert parse("reads in the month: 566") is None


@pytest.mark.parametrize(
    ("value", "target", "ok"),
    [(566, "<= 700", True), (701, "<= 700", False), (10_400, ">= 10000", True), (3_994, ">= 10000", False)],
)
def test_a_figure_meets_its_target_only_on_the_right_side_of_it(value: float, target: str, ok: bool) -> None:
    assert Figure("figure", value, target=target).ok is ok


def test_a_target_written_without_a_comparison_is_refused_with_the_form_to_use() -> None:
    with pytest.raises(ValueError, match=r"'<= 1\.5'"):
        _ = Figure("ratio", 1.2, target="1.5").ok


def test_the_table_marks_a_missed_target_and_a_benchmark_that_printed_no_summary() -> None:
    outcomes = [
        run_all.Outcome(
            "bench_a", figures=[Figure("tx/s", 3_994, "tx/s", ">= 10000"), Figure("RSS", 102, "MiB")]
        ),
        run_all.Outcome("bench_b", returncode=0),
    ]
    lines = run_all.table(outcomes)
    assert any("bench_a" in line and "MISSED" in line and "3,994 tx/s" in line for line in lines)
    assert any("bench_b" in line and "no BENCH-SUMMARY" in line and "FAILED" in line for line in lines)


def test_every_benchmark_prints_a_summary_and_has_a_quick_size() -> None:
    names = sorted(path.stem for path in BENCH.glob("bench_*.py"))
    assert names, "no benchmark found"
    for name in names:
        source = (BENCH / f"{name}.py").read_text(encoding="utf-8")
        assert "emit(" in source, f"{name} prints no BENCH-SUMMARY line (tests.bench.summary.emit)"
        assert name in run_all.QUICK, f"{name} has no --quick size in tests/bench/run_all.py"
