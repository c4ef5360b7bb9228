"""The evaluation harness, its corpus's independence from the matcher, and the acceptance targets."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from syncd import jsonutil
from syncd.cli import main
from syncd.evaluation.corpus import KINDS, NEAR_MISSES, generate_corpus
from syncd.evaluation.score import KIND_COLUMNS, EvalReport, evaluate, render_table
from syncd.evaluation.world import FEE_LIMIT, FX_LIMIT_PERCENT
from syncd.match import MatchRules

EVALUATION = Path(__file__).resolve().parents[2] / "syncd" / "evaluation"


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate(generate_corpus(), MatchRules())


def _syncd_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return {name for name in names if name.startswith("syncd")}


def test_the_corpus_is_generated_from_the_domain_alone_never_from_the_matcher() -> None:
    for module in ("corpus.py", "world.py", "frozen.py", "reader.py"):
        outside = {
            name
            for name in _syncd_imports(EVALUATION / module)
            if not name.startswith(("syncd.domain", "syncd.evaluation.world", "syncd.evaluation.reader"))
        }
        assert outside == set(), f"{module} imports {outside}"


def test_no_syncd_code_writes_the_hand_labelled_corpus() -> None:
    naming = sorted(
        str(path.relative_to(EVALUATION.parent))
        for path in EVALUATION.parent.rglob("*.py")
        if "hand_labelled" in path.read_text(encoding="utf-8")
    )
    assert naming == ["commands/match.py", "evaluation/frozen.py"]  # the --help text and the loader
    for module in naming:
        text = (EVALUATION.parent / module).read_text(encoding="utf-8")
        assert not any(call in text for call in ("write_text(", "write_bytes(", ".write(", "open("))


def test_the_policy_the_corpus_is_labelled_by_is_syncds_default_policy() -> None:
    rules = MatchRules()
    assert rules.bank_fee_tolerance == FEE_LIMIT
    assert rules.bank_fee_tolerance_percent == 0
    assert rules.fx_tolerance_percent == FX_LIMIT_PERCENT


def test_the_default_corpus_has_no_wrong_auto_acceptance(report: EvalReport) -> None:
    assert report.auto_wrong == 0
    assert report.outgoing_allocated == 0


def test_at_least_ninety_percent_of_bookable_incoming_payments_reconcile_automatically(
    report: EvalReport,
) -> None:
    assert report.auto_share >= 0.90


def test_the_right_answer_is_ranked_first_for_at_least_98_percent_of_the_rest(report: EvalReport) -> None:
    assert report.rank1_share >= 0.98


def test_near_misses_are_in_the_corpus_and_none_is_booked_wrongly(report: EvalReport) -> None:
    figures = report.kind_figures()
    assert set(figures) >= NEAR_MISSES
    assert report.for_a_person > 0
    for kind in NEAR_MISSES:
        assert figures[kind]["auto_wrong"] == 0, kind


@pytest.mark.parametrize(
    ("looser", "kind"),
    [
        (MatchRules(bank_fee_tolerance=FEE_LIMIT * 4), "near_miss_fee_over_limit"),
        (MatchRules(fx_tolerance_percent=FX_LIMIT_PERCENT * 3), "near_miss_fx_drift_over_limit"),
    ],
)
def test_a_matcher_looser_than_the_policy_is_caught_booking_near_misses(
    looser: MatchRules, kind: str
) -> None:
    corpus = [s for s in generate_corpus(seed=5, size=1500) if s.kind == kind]
    assert corpus
    assert evaluate(corpus, looser).kind_figures()[kind]["auto_wrong"] > 0


def test_the_corpus_covers_every_kind_and_is_reproducible() -> None:
    corpus = generate_corpus(seed=7, size=600)
    assert {s.kind for s in corpus} == set(KINDS)
    assert generate_corpus(seed=7, size=600) == corpus
    assert generate_corpus(seed=7, size=50) == corpus[:50]
    assert generate_corpus(seed=8, size=50) != corpus[:50]


def test_no_wrong_auto_acceptance_even_when_every_tier_may_auto_accept() -> None:
    report = evaluate(generate_corpus(seed=11, size=1000), MatchRules(ocr_repair_auto=True))
    assert report.auto_wrong == 0


def test_the_table_shows_tiers_kinds_and_targets(report: EvalReport) -> None:
    table = render_table(report)
    assert "ocr_exact" in table
    assert "look_alike_customer" in table
    assert "near_miss_payer_of_another_customer" in table
    assert "auto-accepted wrong:             0" in table


def test_match_eval_json_reports_every_kind_with_every_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "eval", "--size", "300", "--json"]) == 0
    out = jsonutil.loads(capsys.readouterr().out)
    assert out["auto_wrong"] == 0
    assert Decimal(out["auto_share"]) >= Decimal("0.9")
    assert out["for_a_person"] > 0
    assert all(set(figures) == set(KIND_COLUMNS) for figures in out["kinds"].values())
    assert sum(figures["auto_right"] for figures in out["kinds"].values()) > 0
