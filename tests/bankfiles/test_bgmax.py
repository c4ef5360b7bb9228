"""BgMax specifics: sums and counts are checked, damaged money records refuse the file."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from syncd.bankfiles import Direction, parse_bgmax
from syncd.bankfiles.bgmax import LAYOUTS, read_record
from syncd.errors import ParseError


def lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def test_every_layout_field_lies_within_the_80_columns_and_does_not_overlap():
    for code, fields in LAYOUTS.items():
        spans = sorted((f.start, f.end) for f in fields)
        assert all(2 < start <= end <= 80 for start, end in spans), code
        assert all(a_end < b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans)), code


def test_deposit_amount_that_differs_from_its_payments_is_an_error_on_the_tk15_line(golden_bytes):
    rows = lines(golden_bytes("bgmax_two_sections.txt"))
    tk15 = next(i for i, row in enumerate(rows) if row.startswith(b"15"))
    rows[tk15] = rows[tk15][:50] + b"000000000001655100" + rows[tk15][68:]
    result = parse_bgmax(b"\r\n".join(rows))
    assert [(p.location, p.message) for p in result.errors] == [
        (f"line {tk15 + 1}", "payments minus deductions = 16550.00, deposit says 16551.00")
    ]


def test_missing_end_record_means_a_truncated_file(golden_bytes):
    rows = lines(golden_bytes("bgmax_lf.txt").replace(b"\n", b"\r\n"))
    result = parse_bgmax(b"\r\n".join(rows[:-1]))
    assert any("truncated" in p.message for p in result.errors)


def test_damaged_payment_record_refuses_the_file_with_its_line(golden_bytes):
    rows = lines(golden_bytes("bgmax_two_sections.txt"))
    rows[2] = rows[2][:20] + b"\t" + rows[2][21:]
    with pytest.raises(ParseError) as caught:
        parse_bgmax(b"\r\n".join(rows))
    assert caught.value.location == "line 3"


def test_non_numeric_amount_names_the_field_and_columns():
    with pytest.raises(ParseError, match=r"TK20 field amount \(columns 38-55\)"):
        read_record("200003783511" + " " * 25 + "00000000000000ABCD", 7)


def test_deduction_is_a_debit_inside_the_deposit(golden_bytes):
    result = parse_bgmax(golden_bytes("bgmax_two_sections.txt"))
    deduction = next(t for t in result.transactions if t.direction is Direction.DEBIT)
    assert deduction.amount == Decimal("500.00")
    assert deduction.batch_key == result.transactions[0].batch_key
    assert sum(t.signed_amount for t in result.transactions if t.currency == "SEK") == Decimal("16550.00")


def test_file_that_does_not_start_with_tk01_is_refused():
    with pytest.raises(ParseError, match="TK01"):
        parse_bgmax(b"050009912346          SEK")
