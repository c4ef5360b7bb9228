"""Whatever the bytes, a parser returns a ParseResult or raises ParseError with a location.

Random bytes exercise the early exits; mutations of the golden fixtures (flipped bytes, cut
files, duplicated or deleted slices) get deep into every parser while staying near-valid.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.bankfiles import FileFormat, ParseResult, parse
from syncd.errors import ParseError

from .conftest import GOLDEN

FORMAT_OF_FIXTURE = {
    "camt053_batch_txdtls.xml": FileFormat.CAMT053,
    "camt053_reversal_pending.xml": FileFormat.CAMT053,
    "camt054_v02_bankgiro.xml": FileFormat.CAMT054,
    "camt054_v08_eur.xml": FileFormat.CAMT054,
    "bgmax_two_sections.txt": FileFormat.BGMAX,
    "bgmax_lf.txt": FileFormat.BGMAX,
    "seb_cp1252.csv": FileFormat.CSV_SEB,
    "swedbank_utf8bom.csv": FileFormat.CSV_SWEDBANK,
    "handelsbanken_cp1252.csv": FileFormat.CSV_HANDELSBANKEN,
    "nordea_utf8bom.csv": FileFormat.CSV_NORDEA,
    "stripe_balance_transactions.csv": FileFormat.STRIPE,
    "paypal_activity.csv": FileFormat.PAYPAL,
    "klarna_settlement.csv": FileFormat.KLARNA,
    "paypal_usd_conversions.csv": FileFormat.PAYPAL,
    "seb_text_mottagare.csv": FileFormat.CSV_SEB,
    "swedbank_tab.csv": FileFormat.CSV_SWEDBANK,
}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parses_or_fails_cleanly(data: bytes, fmt: FileFormat | None) -> None:
    error: ParseError | None = None
    try:
        result = parse(data, "fuzz", fmt=fmt)
    except ParseError as exc:
        error = exc
    if error is None:
        assert isinstance(result, ParseResult)
    else:
        assert error.location, f"ParseError without location: {error}"


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "cut", "delete", "duplicate", "insert"]))
        i = draw(st.integers(0, len(data) - 1))
        j = min(len(data), i + draw(st.integers(1, 40)))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i:]
        elif op == "delete":
            del data[i:j]
        elif op == "duplicate":
            data[i:i] = data[i:j]
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@pytest.mark.parametrize("fmt", [None, *sorted(set(FORMAT_OF_FIXTURE.values()))])
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_give_a_result_or_a_located_parse_error(fmt, data):
    _parses_or_fails_cleanly(data, fmt)


@pytest.mark.parametrize(("name", "fmt"), sorted(FORMAT_OF_FIXTURE.items()))
@FUZZ
@given(data=st.data())
def test_mutated_fixtures_give_a_result_or_a_located_parse_error(name, fmt, data):
    original = (GOLDEN / name).read_bytes()
    _parses_or_fails_cleanly(data.draw(mutated(original)), fmt)
