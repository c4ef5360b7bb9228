"""One invoice's numbers tell which reading of Bokio's open rules they fit."""

from __future__ import annotations

from decimal import Decimal

from syncd.calibration.readings import INVOICE_CURRENCY, SEK, InvoiceFacts, Rule, fitting, verdict
from syncd.domain import invoice_math as im

D = Decimal


def facts(
    paid: str, payments: list[str], settlements: list[tuple[str, str]], currency: str = SEK
) -> InvoiceFacts:
    rate = D("11.4520") if currency != SEK else D(1)
    return InvoiceFacts(
        "1001", currency, rate, D(paid), [D(p) for p in payments], [(k, D(a)) for k, a in settlements]
    )


def test_a_bank_fee_counted_in_paid_amount_agrees_with_settlements_being_paid() -> None:
    fits = fitting(facts("1250.00", ["1240.00"], [("bankFee", "10.00")]))
    assert verdict(fits, Rule.PAID_INCLUDES_SETTLEMENTS, "True") == "agree"
    assert verdict(fits, Rule.PAID_INCLUDES_SETTLEMENTS, "False") == "disagree"


def test_paid_amount_without_the_fee_disagrees_with_settlements_being_paid() -> None:
    fits = fitting(facts("1240.00", ["1240.00"], [("bankFee", "10.00")]))
    assert verdict(fits, Rule.PAID_INCLUDES_SETTLEMENTS, "True") == "disagree"


def test_a_currency_settlement_tells_its_sign_only_when_settlements_count() -> None:
    gain = fitting(facts("1225.00", ["1237.50"], [("currency", "12.50")]))
    assert verdict(gain, Rule.SETTLEMENT_SIGN, im.SettlementSign.POSITIVE_REDUCES) == "disagree"
    assert verdict(gain, Rule.SETTLEMENT_SIGN, im.SettlementSign.CURRENCY_POSITIVE_IS_GAIN) == "agree"


def test_a_sek_invoice_cannot_tell_which_currency_paid_amount_is_in() -> None:
    fits = fitting(facts("1000.00", ["1000.00"], []))
    assert verdict(fits, Rule.PAID_CURRENCY, SEK) == "undecided"
    assert verdict(fits, Rule.PAID_INCLUDES_SETTLEMENTS, "True") == "undecided"


def test_a_euro_invoice_paid_in_kronor_shows_which_currency_paid_amount_is_in() -> None:
    in_euro = fitting(facts("125.00", ["1431.50"], [], currency="EUR"))
    assert verdict(in_euro, Rule.PAID_CURRENCY, SEK) == "disagree"
    assert verdict(in_euro, Rule.PAID_CURRENCY, INVOICE_CURRENCY) == "agree"


def test_figures_no_reading_explains_are_undecided_for_every_rule() -> None:
    fits = fitting(facts("999.00", ["1000.00"], []))
    assert fits == []
    assert {verdict(fits, rule, "True") for rule in Rule} == {"undecided"}
