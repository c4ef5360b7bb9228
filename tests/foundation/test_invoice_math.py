"""syncd's own reading of Bokio's invoice arithmetic (the sandbox plays its own: test_rules.py)."""

from __future__ import annotations

import doctest
from datetime import date
from decimal import Decimal

import pytest

from syncd.domain import invoice_math as im


def line(price: str, rate: int, quantity: str = "1") -> dict[str, object]:
    return {
        "itemType": "salesItem",
        "quantity": Decimal(quantity),
        "unitPrice": Decimal(price),
        "taxRate": Decimal(rate),
    }


def test_the_doctests_hold() -> None:
    assert doctest.testmod(im).failed == 0


def test_each_line_is_rounded_to_ore_before_summing() -> None:
    totals = im.totals([line("0.333", 25, "1"), line("0.333", 25, "1")])
    assert (totals.net, totals.vat) == (Decimal("0.66"), Decimal("0.16"))


def test_the_sandbox_reports_net_totals_and_check_totals_recognises_both_readings() -> None:
    lines = [line("5000", 25), line("500", 25, "10")]
    assert im.reported_totals(lines) == (Decimal("10000.00"), Decimal("2500.00"))
    assert im.check_totals(lines, Decimal(10000), Decimal(2500)) == im.TotalsCheck(
        im.TotalsReading.NET, Decimal(12500)
    )
    assert im.check_totals(lines, Decimal(12500), Decimal(2500)).reading is im.TotalsReading.GROSS
    assert im.check_totals([line("100", 0)], Decimal(100), Decimal(0)).reading is im.TotalsReading.EITHER
    problem = im.check_totals(lines, Decimal(10000), Decimal(2000))
    assert problem.reading is None
    assert "totalTax" in (problem.problem or "")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        im.line_totals(
            {"itemType": "salesItem", "quantity": 1.5, "unitPrice": Decimal(1), "taxRate": Decimal(25)}
        )


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
