"""syncd's own reading of Bokio's invoice arithmetic (the sandbox plays its own: test_rules.py)."""

from __future__ import annotations

import doctest
from datetime import date
from decimal import Decimal

import pytest

from syncd.domain import invoice_math as im


def line(price: str, rate: int, quantity: str = "1") -> im.Line:
    return im.Line(Decimal(quantity), Decimal(price), Decimal(rate))


def test_the_doctests_hold() -> None:
    assert doctest.testmod(im).failed == 0


def test_each_line_is_rounded_to_ore_before_summing() -> None:
    totals = im.totals([line("0.333", 25, "1"), line("0.333", 25, "1")])
    assert (totals.net, totals.vat) == (Decimal("0.66"), Decimal("0.16"))


def test_check_totals_recognises_both_readings_of_total_amount() -> None:
    lines = [line("5000", 25), line("500", 25, "10")]
    assert im.check_totals(lines, Decimal(10000), Decimal(2500)) == im.TotalsCheck(
        im.TotalsReading.NET, Decimal(12500)
    )
    assert im.check_totals(lines, Decimal(12500), Decimal(2500)).reading is im.TotalsReading.GROSS
    assert im.check_totals([line("100", 0)], Decimal(100), Decimal(0)).reading is im.TotalsReading.EITHER
    problem = im.check_totals(lines, Decimal(10000), Decimal(2000))
    assert problem.reading is None
    assert "totalTax" in (problem.problem or "")


def test_a_total_rounded_to_whole_kronor_fits_a_sek_invoice_and_the_rounded_amount_is_owed() -> None:
    lines = [line("999.68", 25)]  # 999,68 + 249,92 VAT = 1 249,60
    gross = im.check_totals(lines, Decimal("1250.00"), Decimal("249.92"), rounded=True)
    net = im.check_totals(lines, Decimal("1000.08"), Decimal("249.92"), rounded=True)
    assert (gross.reading, gross.gross) == (im.TotalsReading.GROSS, Decimal("1250.00"))
    assert (net.reading, net.gross) == (im.TotalsReading.NET, Decimal("1250.00"))
    assert im.check_totals(lines, Decimal("1249.60"), Decimal("249.92"), rounded=True).gross == Decimal(
        "1249.60"
    )


def test_rounding_is_never_read_into_an_invoice_in_another_currency_or_past_fifty_ore() -> None:
    lines = [line("999.68", 25)]
    assert im.check_totals(lines, Decimal("1250.00"), Decimal("249.92")).problem is not None
    assert im.check_totals(lines, Decimal("1251.00"), Decimal("249.92"), rounded=True).problem is not None


@pytest.mark.parametrize("sign", list(im.SettlementSign))
def test_a_currency_settlement_made_with_the_helper_always_closes_the_gap(sign: im.SettlementSign) -> None:
    for gap in (Decimal("12.50"), Decimal("-7.25")):
        amount = im.currency_settlement_sum(gap, sign)
        assert im.settlement_effect("currency", amount, sign) == gap
        paid = im.paid_amount([Decimal(1000) - gap], [("currency", amount)], sign=sign)
        assert im.outstanding(Decimal(1000), paid) == 0


def test_outstanding_is_the_same_under_either_paid_amount_reading() -> None:
    settlements = [("bankFee", Decimal(10)), ("paymentServiceFee", Decimal(5))]
    with_settlements = im.paid_amount([Decimal(985)], settlements)
    without = im.paid_amount([Decimal(985)], settlements, includes_settlements=False)
    assert im.outstanding(Decimal(1000), with_settlements, settlements) == 0
    assert im.outstanding(Decimal(1000), without, settlements, paid_includes_settlements=False) == 0


@pytest.mark.parametrize(
    ("paid", "credited", "today", "expected"),
    [
        ("0", "0", date(2026, 1, 10), im.Status.PUBLISHED),
        ("40", "0", date(2026, 1, 10), im.Status.UNDERPAID),
        ("40", "0", date(2026, 2, 1), im.Status.OVERDUE),
        ("100", "0", date(2026, 2, 1), im.Status.PAID),
        ("101", "0", date(2026, 1, 10), im.Status.OVERPAID),
        ("0", "100", date(2026, 2, 1), im.Status.CREDITED),
    ],
)
def test_status_follows_the_documented_rules(
    paid: str, credited: str, today: date, expected: im.Status
) -> None:
    gross = Decimal(100)
    remaining = im.outstanding(gross, Decimal(paid), credited=Decimal(credited))
    status = im.derive_status(
        published=True,
        gross=gross,
        paid=Decimal(paid),
        remaining=remaining,
        due_date=date(2026, 1, 31),
        today=today,
        credited=Decimal(credited),
    )
    assert status is expected
