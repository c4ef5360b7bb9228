"""The PSP tier with charges in another currency than the payout (PayPal converting USD to SEK)."""

from __future__ import annotations

from decimal import Decimal

from syncd.domain.models import Decision, MatchKind, PspCharge, PspPayoutLine, SettlementType
from syncd.match import MatchMemory, MatchRules, propose
from tests.match.match_builders import COMPANY, TODAY, invoice, line


def _payout(*charges: PspCharge, net: str) -> PspPayoutLine:
    return PspPayoutLine(COMPANY, "paypal", "4KS60927VX1183350", Decimal(net), "SEK", charges)


def _charge(charge_id: str, gross: str, fee: str, ref: str, currency: str = "USD") -> PspCharge:
    return PspCharge(charge_id, Decimal(gross), Decimal(fee), currency, ref)


def _propose(payout: PspPayoutLine, *invoices):  # type: ignore[no-untyped-def]
    bank = line(str(payout.net), text="PAYPAL 4KS60927VX1183350")
    return propose(list(invoices), [bank], MatchRules(), MatchMemory(), today=TODAY, psp_payouts=[payout])


def test_usd_charges_paid_out_in_sek_are_booked_at_the_rate_the_payout_shows():
    payout = _payout(
        _charge("a", "200.00", "8.10", "2001"), _charge("b", "150.00", "6.15", "2002"), net="3526.04"
    )
    result = _propose(
        payout,
        invoice(2001, "200.00", currency="USD", rate="10.5020"),
        invoice(2002, "150.00", currency="USD", rate="10.45"),
    )
    first, second = sorted(result.allocations, key=lambda a: a.invoice_number)
    assert all(a.decision is Decision.AUTO for a in result.allocations)
    assert (first.amount, first.amount_sek, first.cash) == (
        Decimal("191.90"),
        Decimal("2015.33"),
        Decimal("2015.33"),
    )
    assert [(s.type, s.amount) for s in first.settlements] == [
        (SettlementType.PAYMENT_SERVICE_FEE, Decimal("85.07"))
    ]
    assert first.kind is MatchKind.EXACT
    assert second.cash == Decimal("1510.71")  # the last share takes the öre left, so the shares add up
    assert [s.type for s in second.settlements] == [
        SettlementType.PAYMENT_SERVICE_FEE,
        SettlementType.CURRENCY,
    ]
    assert second.kind is MatchKind.CURRENCY
    assert first.cash + second.cash == payout.net


def test_a_payout_converting_two_foreign_currencies_goes_to_review_with_the_reason():
    payout = _payout(
        _charge("a", "200.00", "8.10", "2001"), _charge("b", "150.00", "6.15", "2002", "EUR"), net="3526.04"
    )
    result = _propose(
        payout,
        invoice(2001, "200.00", currency="USD", rate="10.5"),
        invoice(2002, "150.00", currency="EUR", rate="11.45"),
    )
    assert all(a.decision is Decision.REVIEW for a in result.allocations)
    assert any("cannot tell the rate of each currency" in p.message for p in result.problems)


def test_a_conversion_far_from_the_invoices_rate_is_not_booked_automatically():
    payout = _payout(_charge("a", "200.00", "8.10", "2001"), net="2015.33")
    result = _propose(payout, invoice(2001, "200.00", currency="USD", rate="9.00"))
    assert result.allocations == [] or all(a.decision is Decision.REVIEW for a in result.allocations)
    assert any("more than 3 % apart" in p.message for p in result.problems)
