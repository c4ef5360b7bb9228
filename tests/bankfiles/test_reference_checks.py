"""The parsers' reference checks (Luhn, normalising) give what python-stdnum and the plain pattern
give: they are written out for speed (every parsed reference passes through them), not changed."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from syncd.domain.references import candidate_tokens, is_rf, luhn_valid, normalise

_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=30)
_TEXT = st.text(alphabet=st.sampled_from("0123456789 .-RFrfab\t\n٣²ÅÖ"), max_size=40)


@given(_DIGITS)
def test_a_digit_string_passes_the_luhn_check_exactly_when_python_stdnum_says_it_does(digits: str) -> None:
    assert luhn_valid(digits) == (digits.isdigit() and luhn.is_valid(digits))


@given(_TEXT)
def test_any_text_passes_the_luhn_check_only_when_python_stdnum_accepts_it_as_digits(text: str) -> None:
    expected = text.isdigit() and luhn.is_valid(text)  # stdnum refuses digits outside ASCII
    assert luhn_valid(text) == expected


@given(_TEXT)
def test_normalising_strips_whitespace_dots_and_dashes_and_upper_cases(text: str) -> None:
    assert normalise(text) == re.sub(r"[\s.\-]", "", text).upper()


def _tokens_as_first_written(text: str) -> list[str]:
    """candidate_tokens with its patterns compiled on every call, as it was first written."""
    joined = re.sub(
        r"(RF\d{2})((?:\s?[0-9A-Z]{1,4})+)",
        lambda m: m.group(1) + re.sub(r"\s", "", m.group(2)),
        text,
        flags=re.IGNORECASE,
    )
    found: list[str] = []
    for match in re.finditer(r"RF\d{2}[0-9A-Z]{1,21}", joined, flags=re.IGNORECASE):
        ref = re.sub(r"[\s.\-]", "", match.group()).upper()
        if ref.startswith("RF") and is_rf(ref) and ref not in found:
            found.append(ref)
    without_rf = re.sub(r"RF\d{2}[0-9A-Z]{1,21}", " ", joined, flags=re.IGNORECASE)
    found += [t for t in dict.fromkeys(re.findall(r"\d+", without_rf)) if len(t) >= 4 and t not in found]
    return found


@given(st.text(alphabet=st.sampled_from("0123456789 RFrf45x\n"), max_size=60))
def test_free_text_yields_the_digit_runs_and_rf_references_it_always_did(text: str) -> None:
    assert candidate_tokens(text) == _tokens_as_first_written(text)


def test_an_rf_reference_printed_in_groups_is_found_whole_in_free_text() -> None:
    text = "Faktura 658369, OCR 657866 658765 rf45 1234 5123 45"
    assert candidate_tokens(text) == ["RF451234512345", "658369", "657866", "658765"]
