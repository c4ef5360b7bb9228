"""CSV mappings, PSP payout checks and format detection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncd.bankfiles import PRESETS, CsvMapping, FileFormat, SignConvention, identify, parse
from syncd.errors import ConfigError, ParseError

from .test_fuzz import FORMAT_OF_FIXTURE


@pytest.mark.parametrize(("name", "fmt"), sorted(FORMAT_OF_FIXTURE.items()))
def test_identify_recognises_each_fixture_from_its_head_alone(golden_bytes, name, fmt):
    assert identify(golden_bytes(name)[:8192], name) is fmt


def test_custom_mapping_with_separate_credit_and_debit_columns():
    mapping = CsvMapping(
        name="Sparbanken export",
        columns={
            "booking_date": ("Datum",),
            "credit": ("Insättning",),
            "debit": ("Uttag",),
            "text": ("Text",),
        },
        sign=SignConvention.SEPARATE,
        date_format="%d.%m.%Y",
        account="8000-1 123456789",
    )
    data = "Datum;Text;Insättning;Uttag\n25.11.2026;Faktura 1043;1 250,00;\n25.11.2026;Hyra;;9 000,00\n"
    result = parse(data.encode("cp1252"), "x.csv", csv_mapping=mapping)
    assert [(t.signed_amount, t.account) for t in result.transactions] == [
        (Decimal("1250.00"), "8000-1 123456789"),
        (Decimal("-9000.00"), "8000-1 123456789"),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"columns": {"booking_date": ("D",), "amount": ("A",), "colour": ("C",)}}, "unknown CSV fields"),
        ({"columns": {"booking_date": ("D",)}}, "lacks columns"),
        ({"delimiter": ";;"}, "delimiter"),
        ({"encoding": "klingon"}, "unknown encoding"),
    ],
)
def test_invalid_mapping_is_refused_when_built(overrides, message):
    base = {"name": "m", "columns": {"booking_date": ("D",), "amount": ("A",)}}
    with pytest.raises(ConfigError, match=message):
        CsvMapping(**{**base, **overrides})


def test_unreadable_row_becomes_an_error_problem_and_the_rest_is_kept(golden_bytes):
    data = golden_bytes("seb_utf8bom.csv").replace(b"-349,00", b"-34x9,00")
    result = parse(data, "seb.csv")
    assert len(result.transactions) == 2
    (problem,) = result.errors
    assert problem.location == "line 3"
    assert "amount" in problem.message


def test_csv_without_the_presets_header_is_a_parse_error():
    with pytest.raises(ParseError, match="no SEB header row"):
        parse(b"a;b;c\n1;2;3\n", "x.csv", fmt=FileFormat.CSV_SEB)


def test_presets_are_valid_mappings():
    assert set(PRESETS) == {
        FileFormat.CSV_SEB,
        FileFormat.CSV_SWEDBANK,
        FileFormat.CSV_HANDELSBANKEN,
        FileFormat.CSV_NORDEA,
    }


def test_stripe_payout_equals_the_net_of_its_charges(golden_bytes):
    result = parse(golden_bytes("stripe_balance_transactions.csv"), "stripe.csv")
    first = result.payouts[0]
    assert first.net == sum(c.net for c in first.charges) == Decimal("3317.57")
    assert first.fees == Decimal("57.93")
    assert [c.invoice_reference for c in first.charges] == ["1043", "1050", "1043"]
    assert result.errors == ()


def test_stripe_payout_that_does_not_match_its_charges_is_an_error(golden_bytes):
    data = golden_bytes("stripe_balance_transactions.csv").replace(b"-3317.57", b"-3317.75")
    result = parse(data, "stripe.csv")
    (problem,) = result.errors
    assert "charges net 3317.57, payout is 3317.75" in problem.message


def test_paypal_charges_are_grouped_by_the_following_withdrawal_in_time_order(golden_bytes):
    result = parse(golden_bytes("paypal_activity.csv"), "paypal.csv")
    (payout,) = result.payouts
    assert payout.net == Decimal("1583.54")
    assert [c.invoice_reference for c in payout.charges] == ["1047", "1052"]
    assert all(c.fee > 0 for c in payout.charges)


def test_klarna_capture_rows_become_one_charge_with_gross_and_fee(golden_bytes):
    result = parse(golden_bytes("klarna_settlement.csv"), "klarna.csv")
    (payout,) = result.payouts
    by_ref = {c.invoice_reference: c for c in payout.charges}
    assert (by_ref["1049"].gross, by_ref["1049"].fee) == (Decimal("4950.00"), Decimal("113.19"))
    assert by_ref["1044"].net == Decimal("-375.00")
    assert payout.net == Decimal("5674.62")
