"""The sandbox's own Bokio arithmetic (:mod:`syncd.sandbox.rules`), rule by rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from syncd.sandbox import journal, rules
from syncd.sandbox.readings import Readings, Rounding, SettlementSign, TotalReading

ROUNDED = Readings(rounding=Rounding.IN_TOTAL, total_reading=TotalReading.GROSS)


def sales(price: str, rate: int = 25, quantity: str = "1") -> dict[str, object]:
    return {
        "itemType": "salesItem",
        "quantity": Decimal(quantity),
        "unitPrice": Decimal(price),
        "taxRate": Decimal(rate),
    }


def test_each_line_is_rounded_to_ore_before_the_lines_are_summed() -> None:
    found = rules.amounts(
        [sales("0.333"), sales("0.333"), {"itemType": "descriptionOnlyItem"}], "SEK", Readings()
    )
    assert (found.net, found.vat, found.rounding) == (Decimal("0.66"), Decimal("0.16"), Decimal(0))


@pytest.mark.parametrize(
    ("price", "to_pay", "rounding"),
    [
        ("999.68", "1250", "0.40"),
        ("999.52", "1249", "-0.40"),
        ("999.60", "1250", "0.50"),
        ("1000", "1250", "0"),
    ],
)
def test_oresavrundning_rounds_the_amount_to_pay_to_the_nearest_krona_half_up(
    price: str, to_pay: str, rounding: str
) -> None:
    found = rules.amounts([sales(price)], "SEK", ROUNDED)
    assert (found.to_pay, found.rounding) == (Decimal(to_pay), Decimal(rounding))


def test_only_sek_invoices_are_rounded() -> None:
    assert rules.amounts([sales("999.68")], "EUR", ROUNDED).rounding == 0


def test_a_rounding_down_is_a_debit_on_the_rounding_account() -> None:
    invoice = {"currencyRate": Decimal(1), "lineItems": [sales("999.52")]}
    lines = journal.invoice_lines(invoice, Decimal("-0.40"))
    assert (rules.ROUNDING_ACCOUNT, Decimal("0.40"), Decimal(0)) in lines
    assert lines[0] == (journal.RECEIVABLES, Decimal("1249.00"), Decimal(0))
    assert sum(d for _, d, _ in lines) == sum(c for _, _, c in lines) == Decimal("1249.40")


@pytest.mark.parametrize("sign", list(SettlementSign))
def test_a_currency_settlement_built_for_a_difference_removes_exactly_that_difference(
    sign: SettlementSign,
) -> None:
    for difference in (Decimal("12.50"), Decimal("-7.25")):
        amount = rules.currency_settlement_sum(difference, sign)
        assert rules.settlement_effect("currency", amount, sign) == difference
    assert rules.settlement_effect("bankFee", Decimal(10), sign) == Decimal(10)


@pytest.mark.parametrize(
    ("payments", "credited", "today", "expected"),
    [
        ("0", "0", date(2026, 1, 10), "published"),
        ("40", "0", date(2026, 1, 10), "underPaid"),
        ("40", "0", date(2026, 2, 1), "overdue"),
        ("100", "0", date(2026, 2, 1), "paid"),
        ("101", "0", date(2026, 1, 10), "overPaid"),
        ("0", "100", date(2026, 2, 1), "credited"),
        ("0", "30", date(2026, 1, 10), "underPaid"),
    ],
)
def test_status_follows_what_is_still_owed(payments: str, credited: str, today: date, expected: str) -> None:
    balance = rules.Balance(
        owed=Decimal(100), payments=Decimal(payments), settled=Decimal(0), credited=Decimal(credited)
    )
    assert rules.status(balance, published=True, due_date=date(2026, 1, 31), today=today) == expected
    assert rules.status(balance, published=False, due_date=date(2026, 1, 31), today=today) == "draft"
