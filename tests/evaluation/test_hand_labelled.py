"""The frozen, hand-labelled corpus: it loads strictly, covers every hard case, and the matcher books
nothing in it wrongly (issue 13, acceptance 4)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from syncd import jsonutil
from syncd.cli import main
from syncd.domain.models import Direction, SettlementType
from syncd.evaluation.frozen import FROZEN_CORPUS, CorpusFileError, load_corpus
from syncd.evaluation.score import KIND_COLUMNS, evaluate
from syncd.evaluation.world import Scenario
from syncd.match import MatchMemory, MatchRules, propose

HARD_CASES = {
    "ocr_exact", "invoice_number_in_message", "amount_and_name", "split_exact", "split_not_exact",
    "partial", "overpayment", "bank_fee_within", "bank_fee_over_limit", "fx_drift_within",
    "fx_drift_over_limit", "ocr_one_digit_typo", "ocr_two_digit_typo", "ocr_transposed",
    "payer_of_another_customer", "amount_fits_two_invoices", "duplicate_delivery", "reversal",
    "returned_payment", "oresavrundning", "already_paid_or_credited", "refund_debit", "psp_payout",
    "psp_lump_without_report",
}  # fmt: skip
NEAR_MISSES = (
    "bank_fee_over_limit", "fx_drift_over_limit", "ocr_two_digit_typo", "payer_of_another_customer",
    "amount_fits_two_invoices", "oresavrundning", "already_paid_or_credited", "duplicate_delivery",
)  # fmt: skip


@pytest.fixture(scope="module")
def corpus() -> list[Scenario]:
    return load_corpus(FROZEN_CORPUS)


def _labels(corpus: list[Scenario]) -> dict[str, int]:
    counts = {"book": 0, "confirm": 0, "decide": 0, "nothing": 0}
    for scenario in corpus:
        for line in scenario.bank_lines:
            if line.direction is Direction.DEBIT or line.is_reversal:
                counts["nothing"] += 1
            elif line.id in scenario.for_a_person:
                counts["decide"] += 1
            elif line.id in scenario.for_confirmation:
                counts["confirm"] += 1
            else:
                counts["book"] += 1
    return counts


def test_the_frozen_corpus_has_at_least_150_payments_and_every_label(corpus: list[Scenario]) -> None:
    counts = _labels(corpus)
    assert sum(counts.values()) >= 150
    assert all(counts[label] >= 5 for label in counts), counts


def test_the_frozen_corpus_covers_every_hard_case_the_issue_names(corpus: list[Scenario]) -> None:
    assert {s.kind for s in corpus} >= HARD_CASES


def test_every_case_runs_against_the_same_ledger_of_several_customers(corpus: list[Scenario]) -> None:
    ledgers = {s.invoices for s in corpus}
    assert len(ledgers) == 1
    (ledger,) = ledgers
    assert len({inv.customer_id for inv in ledger}) >= 10
    assert {inv.currency for inv in ledger} == {"SEK", "EUR"}


def test_match_eval_on_the_frozen_corpus_books_nothing_wrongly_and_reports_every_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "eval", "--corpus", str(FROZEN_CORPUS), "--json"]) == 0
    out = jsonutil.loads(capsys.readouterr().out)
    assert out["auto_wrong"] == 0
    assert out["outgoing_allocated"] == 0
    assert set(out["kinds"]) >= HARD_CASES
    assert all(set(figures) == set(KIND_COLUMNS) for figures in out["kinds"].values())
    for kind in NEAR_MISSES:
        assert out["kinds"][kind]["auto_wrong"] == 0, kind
    assert out["totals"]["auto_right"] > 0
    assert out["totals"]["review_right"] > 0
    assert out["for_a_person"] > 0
    assert out["for_confirmation"] > 0


def test_hand_names_the_frozen_corpus_in_a_source_checkout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "eval", "--corpus", "hand"]) == 0
    table = capsys.readouterr().out
    assert f"corpus: {FROZEN_CORPUS}" in table
    assert "auto-accepted wrong:             0" in table
    assert "ocr_two_digit_typo" in table


def test_a_payment_within_half_a_krona_is_never_closed_with_a_bank_fee(corpus: list[Scenario]) -> None:
    for scenario in (s for s in corpus if s.kind == "oresavrundning"):
        result = propose(
            scenario.invoices, scenario.bank_lines, MatchRules(), MatchMemory(), today=scenario.today
        )
        fees = [s for a in result.allocations for s in a.settlements if s.type is SettlementType.BANK_FEE]
        assert fees == [], scenario.bank_lines[0].id


@pytest.mark.parametrize(
    ("looser", "kind"),
    [
        (MatchRules(bank_fee_tolerance=Decimal(80)), "bank_fee_over_limit"),
        (MatchRules(fx_tolerance_percent=Decimal(5)), "fx_drift_over_limit"),
        (MatchRules(ocr_repair_auto=True), "ocr_one_digit_typo"),
        (MatchRules(alias_confirmations_for_auto=1), "confirmed_payer"),
    ],
)
def test_a_matcher_looser_than_the_policy_is_caught_by_the_hand_labels(
    corpus: list[Scenario], looser: MatchRules, kind: str
) -> None:
    cases = [s for s in corpus if s.kind == kind]
    assert evaluate(cases, MatchRules()).kind_figures()[kind]["auto_wrong"] == 0
    assert evaluate(cases, looser).kind_figures()[kind]["auto_wrong"] > 0


CASE = """
company = "c"
today = 2026-03-02
paid_on = 2026-02-27
invoices = [{ number = "1", customer = "Bergström Bygg AB", ocr = "41001785", total = "100.00", date = 2026-01-05 }]

[[case]]
id = "x-1"
kind = "ocr_exact"
why = "exact"
lines = [{ amount = "100.00", ocr = "41001785", book = [{ invoice = "1", paid = "100.00" }] }]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corpus.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_well_formed_small_corpus_loads(tmp_path: Path) -> None:
    (scenario,) = load_corpus(_write(tmp_path, CASE))
    assert scenario.expected == {"x-1/1": scenario.expected["x-1/1"]}
    assert scenario.expected["x-1/1"][0].cash == Decimal("100.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('paid = "100.00"', "paid = 100.0"), "case 'x-1', line 1, book 1, field 'paid'"),
        (('paid = "100.00" }', 'paid = "100.00", fees = "1.00" }'), "unknown field 'fees'"),
        (('ocr = "41001785", book', 'ocr = "41001785", decide = true, book'), "exactly one label"),
        (('why = "exact"\n', ""), "case 'x-1', field 'why': missing"),
        (('invoice = "1",', 'invoice = "2",'), "field 'invoice': '2' is no open invoice"),
        (('ocr = "41001785", total', 'ocr = "41001786", total'), "field 'ocr'"),
        (
            ('amount = "100.00", ocr', 'amount = "100.00", out = true, ocr'),
            "outgoing money is labelled nothing",
        ),
        (('paid = "100.00" }', 'paid = "150.00" }'), "books 150.00, more than the line's 100.00"),
        (("2026-02-27\n", "2026-03-05\n"), "field 'paid_on'"),
    ],
)
def test_a_malformed_corpus_names_the_case_and_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in CASE
    path = _write(tmp_path, CASE.replace(*change))
    with pytest.raises(CorpusFileError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_corpus(path)


def test_match_eval_refuses_a_malformed_corpus_with_the_case_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, CASE.replace('paid = "100.00"', 'paid = "1 00"'))
    assert main(["match", "eval", "--corpus", str(path)]) == 2
    err = capsys.readouterr().err
    assert "case 'x-1', line 1, book 1, field 'paid'" in err
    assert "'1 00' is not an amount" in err


def test_match_eval_refuses_a_file_that_is_not_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["match", "eval", "--corpus", str(_write(tmp_path, "[[case]\nid = "))]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_a_payout_charge_naming_no_invoice_of_the_ledger_is_refused(tmp_path: Path) -> None:
    payout = (
        'payout = { provider = "stripe", id = "po_1", net = "98.00", charges = [\n'
        '  { id = "ch_1", gross = "100.00", fee = "2.00", invoice = "7" },\n] }\n'
    )
    text = CASE.replace('why = "exact"\n', 'why = "exact"\n' + payout)
    with pytest.raises(
        CorpusFileError, match="case 'x-1', payout, charge 1, field 'invoice': '7' is no invoice"
    ):
        load_corpus(_write(tmp_path, text))


def test_a_case_id_used_twice_is_refused(tmp_path: Path) -> None:
    twice = CASE + CASE[CASE.index("[[case]]") :]
    with pytest.raises(CorpusFileError, match="case 'x-1': id used by an earlier case"):
        load_corpus(_write(tmp_path, twice))
