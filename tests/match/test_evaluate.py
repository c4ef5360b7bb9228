"""The evaluation harness and the acceptance targets on the default corpus."""

from __future__ import annotations

import pytest

from syncd.match import MatchRules
from syncd.match.corpus import KINDS
from syncd.match.evaluate import EvalReport, evaluate, generate_corpus, render_table


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate(generate_corpus(), MatchRules())


def test_the_default_corpus_has_no_wrong_auto_acceptance(report: EvalReport) -> None:
    assert report.auto_wrong == 0
    assert report.outgoing_allocated == 0


def test_at_least_ninety_percent_of_incoming_payments_reconcile_automatically(report: EvalReport) -> None:
    assert report.auto_share >= 0.90


def test_the_right_answer_is_ranked_first_for_at_least_98_percent_of_the_rest(report: EvalReport) -> None:
    assert report.rank1_share >= 0.98


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
    assert "auto-accepted wrong:             0" in table
