"""The lxml camt parser reads every file exactly as the old defusedxml parser did.

The old parser (ElementTree over defusedxml's expat handlers) is kept in this folder only as the
oracle: every camt fixture, the shared real-world samples, generated statements of every shape
the import tests build, and mutated fixtures must give equal results (transactions with their
fingerprints, statements, problems, format and version), or a ParseError from both.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.bankfiles import ParseResult, parse_camt, parse_camt_stream
from syncd.errors import ParseError
from tests.bankfiles import oracle_camt
from tests.bankfiles.conftest import GOLDEN
from tests.bankfiles.test_fuzz import mutated
from tests.bankfiles.test_samples import SAMPLES
from tests.bench.bench_camt_import import generate
from tests.ingest.deliveries import BankPayment, camt053, camt054, returned

CAMT_FIXTURES = sorted(GOLDEN.glob("*.xml"))
SAMPLE_FILES = sorted(SAMPLES.glob("camt*.xml")) if SAMPLES.is_dir() else []
DAY = dt.date(2026, 11, 24)


def _outcome(parser, data: bytes) -> ParseResult | str:
    try:
        return parser(data, source="x.xml")
    except ParseError as exc:
        return f"ParseError at {exc.location.split(',')[0] if exc.location else ''}"


def _assert_same(data: bytes) -> ParseResult | str:
    new, old = _outcome(parse_camt, data), _outcome(oracle_camt.parse_camt, data)
    assert new == old
    return new


@pytest.mark.parametrize("path", CAMT_FIXTURES + SAMPLE_FILES, ids=lambda p: p.name)
def test_every_camt_fixture_and_sample_parses_to_identical_results(path: Path):
    result = _assert_same(path.read_bytes())
    assert isinstance(result, ParseResult)
    assert result.transactions


def test_generated_notifications_and_statements_parse_to_identical_results():
    payments = [
        BankPayment(key, DAY, Decimal(100 + key), f"Kund {key} & Söner AB", text=f"faktura {key}")
        for key in range(6)
    ]
    documents = [
        camt054(payments, "NTF-1"),
        camt054(payments, "NTF-2", refs=False, status="PDNG"),
        camt053(payments, "STMT-1", extra=[returned(payments[0], DAY, number=7)]),
        camt053(payments, "STMT-2", refs=False, details=False),
    ]
    for data in documents:
        result = _assert_same(data)
        assert isinstance(result, ParseResult)
        assert result.transactions


def test_a_generated_statement_with_batches_parses_to_identical_results_in_odd_chunks(tmp_path: Path):
    path = tmp_path / "statement.xml"
    generate(path, 1)
    data = path.read_bytes()
    whole = _assert_same(data)
    chunked = parse_camt_stream(data[i : i + 997] for i in range(0, len(data), 997))
    assert isinstance(whole, ParseResult)
    assert chunked == whole
    assert len(whole.transactions) > 1000


@pytest.mark.parametrize("path", CAMT_FIXTURES, ids=lambda p: p.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_file_the_old_parser_read_is_read_identically_unless_its_prolog_is_malformed(
    path: Path, data
):
    """libxml2 keeps to the XML spec where expat is lenient, but only in the XML declaration and
    the root's start tag (lines 1 and 2 of the fixtures): it refuses ``version=".0"`` and a
    namespace that is not a URI. It also reads a little more than expat (``encoding="UTF8"``, a
    processing instruction named ``豈xml`` before the root), which is no risk: the entries it then
    reads are checked like any other.
    """
    damaged = data.draw(mutated(path.read_bytes()))
    new, old = _outcome(parse_camt, damaged), _outcome(oracle_camt.parse_camt, damaged)
    if isinstance(old, ParseResult):
        assert new == old or new in {"ParseError at line 1", "ParseError at line 2"}
