"""Rules validation, subset sums, name similarity and explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from match_builders import TODAY, invoice, line, ocr_of
from pydantic import ValidationError

from syncd.domain.invoice_math import SettlementSign
from syncd.domain.models import Tier, VatScheme
from syncd.errors import ConfigError
from syncd.match import MatchMemory, MatchRules, explain, propose, rules_from_mapping
from syncd.match.names import name_score, normalise_name
from syncd.match.rules import rule_problems
from syncd.match.subset import exact_subsets


def test_a_full_matching_table_from_toml_becomes_rules() -> None:
    rules = rules_from_mapping(
        {
            "bank_fee_tolerance": "25.00",
            "bank_fee_tolerance_percent": 0.5,
            "auto_tiers": ["ocr_exact", "psp_payout"],
            "ocr_repair_auto": True,
            "name_score_review": 90,
            "date_window_days_before": 60,
            "date_window_days_after": 3,
            "alias_confirmations_for_auto": 5,
            "fx_tolerance_percent": 2,
            "currency_sign": "currency_positive_is_gain",
            "psp_vat_scheme": {"Klarna": "domestic"},
            "subset_max_candidates": 16,
        }
    )
    assert rules.bank_fee_tolerance == Decimal("25.00")
    assert rules.bank_fee_tolerance_percent == Decimal("0.5")
    assert rules.auto_tiers == {Tier.OCR_EXACT, Tier.PSP_PAYOUT}
    assert rules.allows_auto(Tier.OCR_REPAIR)
    assert rules.currency_sign is SettlementSign.CURRENCY_POSITIVE_IS_GAIN
    assert rules.vat_scheme_for("klarna") is VatScheme.DOMESTIC
    assert rules.vat_scheme_for("Stripe") is VatScheme.EU


def test_an_empty_table_gives_the_conservative_defaults() -> None:
    rules = rules_from_mapping({})
    assert rules == MatchRules()
    assert not rules.allows_auto(Tier.OCR_REPAIR)
    assert rules.vat_scheme_for("klarna") is None


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"bank_fee_tolerence": 10}, "bank_fee_tolerence"),
        ({"bank_fee_tolerance": "ten"}, "bank_fee_tolerance"),
        ({"bank_fee_tolerance": -1}, "bank_fee_tolerance"),
        ({"name_score_review": 101}, "name_score_review"),
        ({"name_score_review": True}, "name_score_review"),
        ({"auto_tiers": ["ocr_exact", "guesswork"]}, "auto_tiers"),
        ({"auto_tiers": "ocr_exact"}, "auto_tiers"),
        ({"currency_sign": "positive"}, "currency_sign"),
        ({"psp_vat_scheme": {"stripe": "eu-ish"}}, "psp_vat_scheme.stripe"),
        ({"ocr_repair_auto": "yes"}, "ocr_repair_auto"),
        ({"subset_max_candidates": 40}, "subset_max_candidates"),
        ({"alias_confirmations_for_auto": 0}, "alias_confirmations_for_auto"),
    ],
)
def test_a_bad_matching_rule_is_refused_naming_its_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        rules_from_mapping(table)
    assert caught.value.key == key
    assert key in str(caught.value)


def test_every_bad_matching_rule_is_listed_with_the_file_it_came_from() -> None:
    table = {"bank_fee_tolerence": 10, "name_score_review": 120, "psp_vat_scheme": {"klarna": "eu-ish"}}
    _, problems = rule_problems(table)
    assert [p.key for p in problems] == ["name_score_review", "psp_vat_scheme.klarna", "bank_fee_tolerence"]
    assert "did you mean 'bank_fee_tolerance'" in problems[2].message
    assert "less than or equal to 100, got 120" in problems[0].message
    with pytest.raises(ConfigError) as caught:
        rules_from_mapping(table, source="/etc/syncd/syncd.toml")
    assert "3 problems" in str(caught.value)
    assert caught.value.source == "/etc/syncd/syncd.toml"


def test_a_misspelled_keyword_in_code_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="bank_fee_tolerence"):
        MatchRules(bank_fee_tolerence=Decimal(10))  # type: ignore[call-arg]


def test_rules_are_immutable() -> None:
    with pytest.raises(ValidationError):
        MatchRules().bank_fee_tolerance = Decimal(0)  # type: ignore[misc]


def test_exact_subsets_finds_every_combination_up_to_the_limit() -> None:
    assert exact_subsets([495_000, 1_250_000, 80_000], 1_745_000) == [(0, 1)]
    assert exact_subsets([100, 100, 200], 200, limit=5) == [(0, 1), (2,)]
    assert exact_subsets([], 100) == []
    with pytest.raises(ValueError, match="at most"):
        exact_subsets([1] * 25, 3)


@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=14), st.data())
def test_every_subset_found_sums_exactly_and_a_real_subset_is_always_found(amounts, data) -> None:
    chosen = data.draw(st.sets(st.integers(0, len(amounts) - 1), min_size=1))
    target = sum(amounts[i] for i in chosen)
    found = exact_subsets(amounts, target, limit=3)
    assert found
    assert all(sum(amounts[i] for i in s) == target for s in found)


@pytest.mark.parametrize(
    ("payer", "customer", "similar"),
    [
        ("BERGSTROM BYGG", "Bergström Bygg AB", True),
        ("NORDIN & SÖNER", "Nordin och Söner HB", True),
        ("KARLSSONS KONSULT", "Karlsson Konsult", True),
        ("SVENSSON AB", "Svenssons Bygg AB", False),
        ("LIND EL AB", "Lindh Elektriska Installationer AB", False),
    ],
)
def test_payer_names_are_compared_without_legal_form_case_or_diacritics(
    payer: str, customer: str, similar: bool
) -> None:
    score = name_score(normalise_name(payer), normalise_name(customer))
    assert (score >= MatchRules().name_score_review) is similar


def explained(amount: str, **kw: object) -> str:
    invs = [invoice(1042, "4950.00"), invoice(1043, "12500.00")]
    result = propose(invs, [line(amount, **kw)], MatchRules(), MatchMemory(), today=TODAY)  # type: ignore[arg-type]
    return explain(result.allocations[0])


def test_an_exact_ocr_match_is_explained_in_one_sentence_with_swedish_amounts() -> None:
    assert (
        explained("4950.00", refs=(ocr_of(1042),))
        == f"OCR {ocr_of(1042)} matched invoice 1042 exactly; 4 950,00 SEK"
    )


def test_a_bank_fee_and_a_review_are_explained() -> None:
    assert "25,00 SEK short booked as a bank fee" in explained("12475.00", refs=(ocr_of(1043),))
    text = explained("12500.00", payer="BERGSTROM BYGG")
    assert "looks like customer Bergström Bygg AB" in text
    assert "needs review" in text
