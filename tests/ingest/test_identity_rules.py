"""Which two bank lines are the same money: each rule of :mod:`syncd.ingest.identity` on its own.

The last tests take the third-party sample files beside the repository (files we did not write),
deliver them again the way banks re-send, and check that nothing is added twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.ingest.identity import Line, Verdict, compare, is_placeholder, resolve
from syncd.ingest.importer import ImportStatus, import_file
from tests.conftest import Database
from tests.ingest.builders import COMPANY
from tests.ingest.conftest import counts

DAY = dt.date(2026, 11, 25)
SAMPLES = Path(__file__).parents[2].parent / "shared/reference/samples"


def line(**changes: object) -> Line:
    base = Line.build(
        direction="credit",
        amount=Decimal("2500.00"),
        currency="SEK",
        booking_date=DAY,
        is_batch=False,
        account="50501055",
        source_format="camt.054",
        references={},
        payer_references=["104364"],
        payer_account="",
        payer_bankgiro="",
        statement_id="BG-NTF-1",
        balance_after=None,
        content=("Kalmar Rör AB", "", "2026-11-25", "104364"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "NOTPROVIDED", "nonref", "1", "0000000", "-"])
def test_fillers_and_short_sequence_numbers_are_no_reference(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["000000000010", "SEB2611250001", "15180015077602405"])
def test_real_references_including_zero_padded_serials_count(value: str) -> None:
    assert not is_placeholder(value)


def test_different_amounts_dates_or_directions_are_different_money() -> None:
    for other in (
        line(amount=Decimal("2500.01")),
        line(booking_date=DAY + dt.timedelta(days=1)),
        line(direction="debit"),
        line(is_batch=True),
    ):
        assert compare(line(), other).verdict is Verdict.DIFFERENT


def test_a_shared_bank_reference_makes_two_formats_the_same_money() -> None:
    notification = line(bank_refs={"acct_svcr_ref": "SEB2611250001"})
    statement = line(
        source_format="camt.053", bank_refs={"acct_svcr_ref": "SEB2611250001"}, payer_refs=frozenset()
    )
    assert compare(statement, notification).verdict is Verdict.SAME


def test_a_bankgirot_serial_equal_to_a_camt_reference_ties_them_too() -> None:
    bgmax = line(source_format="bgmax", bank_refs={"bank_serial": "000000001010"})
    camt = line(bank_refs={"acct_svcr_ref": "000000001010"})
    assert compare(camt, bgmax).verdict is Verdict.SAME


def test_a_shared_bank_reference_with_different_ocrs_is_only_possible() -> None:
    first = line(bank_refs={"bank_serial": "000000000001"}, source_format="bgmax")
    second = line(
        bank_refs={"bank_serial": "000000000001"}, source_format="bgmax", payer_refs=frozenset({"100362"})
    )
    assert compare(second, first).verdict is Verdict.POSSIBLE


def test_different_references_prove_different_money_only_within_one_format() -> None:
    a = line(bank_refs={"acct_svcr_ref": "SEB2611250001"})
    b = line(bank_refs={"acct_svcr_ref": "SEB2611250002"})
    assert compare(b, a).verdict is Verdict.DIFFERENT
    assert compare(dataclasses.replace(b, source_format="camt.053"), a).verdict is Verdict.POSSIBLE


def test_two_payers_references_tell_payments_apart_without_any_bank_reference() -> None:
    other = line(payer_refs=frozenset({"100362"}), statement_id="BG-NTF-2")
    assert compare(other, line()).verdict is Verdict.DIFFERENT


def test_equal_content_is_a_redelivery_only_with_the_same_statement_or_in_complete_statements() -> None:
    assert compare(line(), line()).verdict is Verdict.SAME  # the same notification re-sent
    assert (
        compare(line(statement_id="BG-NTF-2"), line()).verdict is Verdict.POSSIBLE
    )  # a customer paying twice?
    complete = line(source_format="camt.053", statement_id="S1")
    assert compare(dataclasses.replace(complete, statement_id="S2"), complete).verdict is Verdict.SAME


def test_an_earlier_line_absorbs_at_most_one_line_of_a_file() -> None:
    earlier = {7: line(source_format="camt.053", statement_id="S1")}
    twice = [line(source_format="camt.053", statement_id="S2")] * 2

    first, second = resolve(twice, earlier)

    assert (first.verdict, first.match) == (Verdict.SAME, 7)
    assert (second.verdict, second.match) == (None, None)  # the second is money of its own


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES}")
@pytest.mark.parametrize(
    ("sample", "message_id"),
    [
        ("camt054_example.xml", rb"<MsgId>[^<]*</MsgId>"),
        ("camt053_example.xml", rb"<MsgId>[^<]*</MsgId>"),
        ("bgmax_bankgirot_example.txt", rb"^01BGMAX {15}01\d{20}"),
    ],
)
def test_a_real_sample_sent_again_with_a_new_message_id_adds_nothing(
    database: Database, sample: str, message_id: bytes
) -> None:
    data = (SAMPLES / sample).read_bytes()

    def new_id(found: re.Match[bytes]) -> bytes:  # a new message id, or a new BgMax write time
        return found.group(0)[:-4] + b"9999" if sample.startswith("bgmax") else b"<MsgId>RESENT-2</MsgId>"

    resent = re.sub(message_id, new_id, data, count=1, flags=re.MULTILINE)
    assert resent != data

    first = import_file(database.sessions, COMPANY, data, sample, max_bytes=DEFAULT_MAX_BYTES)
    again = import_file(database.sessions, COMPANY, resent, f"resent-{sample}", max_bytes=DEFAULT_MAX_BYTES)

    assert first.status is again.status is ImportStatus.IMPORTED
    assert first.added > 0
    assert (again.added, again.possible_duplicates, again.already_known) == (0, 0, first.added)
    assert counts(database)["transactions"] == first.added
