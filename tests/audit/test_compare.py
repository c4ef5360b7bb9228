"""The comparison on hand-written ledgers: what is missing, and bank money syncd never saw."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from syncd.audit.compare import BankLine, Booking, compare
from syncd.audit.report import text_lines
from syncd.sie import parse

DAY = dt.date(2026, 11, 20)


def _ledger(*vouchers: str) -> list:
    text = "#FLAGGA 0\r\n#SIETYP 4\r\n" + "\r\n".join(vouchers) + "\r\n"
    return list(parse(text.encode("cp437")).vouchers)


def _payment(number: str, amount: str, allocation: int = 1) -> Booking:
    return Booking(allocation, number, "payment", DAY, -Decimal(amount), frozenset({1930}))


PAYMENT_V1 = '#VER V 1 20261120 "Inbetalning faktura 1001"\r\n{\r\n#TRANS 1930 {} 1250.00\r\n#TRANS 1510 {} -1250.00\r\n}'
STRANGER_V2 = '#VER V 2 20261120 "Insättning"\r\n{\r\n#TRANS 1930 {} 999.00\r\n#TRANS 2893 {} -999.00\r\n}'


def test_a_booking_no_voucher_books_on_its_day_is_missing_and_named_by_invoice_number() -> None:
    result = compare(
        [_payment("1001", "1250.00"), _payment("1002", "80.00", 2)],
        _ledger(PAYMENT_V1),
        bank_accounts=frozenset({1930}),
        bank_lines=[BankLine(1, frozenset({DAY}), Decimal("1250.00"))],
    )
    assert [(f.kind, f.booking.invoice_number if f.booking else None) for f in result.findings] == [
        ("missing", "1002")
    ]
    lines = text_lines(2, result)
    assert lines[0] == "1 of 2 bookings found in Bokio's ledger as syncd made them"
    assert "invoice 1002: payment of 80,00 kr on 2026-11-20: no voucher on that day books it" in lines[-1]


def test_bank_money_in_the_ledger_without_an_imported_bank_line_is_reported_with_its_voucher() -> None:
    result = compare(
        [_payment("1001", "1250.00")],
        _ledger(PAYMENT_V1, STRANGER_V2),
        bank_accounts=frozenset({1930}),
        bank_lines=[BankLine(1, frozenset({DAY}), Decimal("1250.00"))],
        explained_bank_lines=frozenset({1}),
    )
    [unseen] = result.findings
    assert unseen.kind == "unseen_bank_money"
    assert unseen.vouchers[0].ref == "V2"
    assert unseen.row is not None
    assert unseen.row.amount == Decimal("999.00")
    assert text_lines(1, result)[0] == "all 1 bookings found in Bokio's ledger"


def test_bank_money_a_person_booked_from_an_imported_bank_line_is_money_syncd_saw() -> None:
    result = compare(
        [_payment("1001", "1250.00")],
        _ledger(PAYMENT_V1, STRANGER_V2),
        bank_accounts=frozenset({1930}),
        bank_lines=[
            BankLine(1, frozenset({DAY}), Decimal("1250.00")),
            BankLine(2, frozenset({DAY}), Decimal("999.00")),
        ],
        explained_bank_lines=frozenset({1}),
    )
    assert result.ok


PERSON_V3 = '#VER V 3 {date} "Inbetalning kundfaktura 1001"\r\n{{\r\n#TRANS 1930 {{}} 1250.00\r\n#TRANS 1510 {{}} -1250.00\r\n}}'


def test_the_same_payment_registered_by_a_person_near_its_date_is_a_double_booking() -> None:
    result = compare(
        [_payment("1001", "1250.00")],
        _ledger(PAYMENT_V1, PERSON_V3.format(date="20261121")),
        bank_accounts=frozenset({1930}),
        bank_lines=[],
    )
    [double] = result.findings
    assert double.kind == "double_booked"
    assert [v.ref for v in double.vouchers] == ["V1", "V3"]


def test_an_earlier_instalment_of_the_same_size_weeks_before_is_not_a_double_booking() -> None:
    result = compare(
        [_payment("1001", "1250.00")],
        _ledger(PAYMENT_V1, PERSON_V3.format(date="20261001")),
        bank_accounts=frozenset({1930}),
        bank_lines=[],
    )
    assert result.ok
