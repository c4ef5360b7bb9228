"""The demo's bank day: the files parse back (with syncd's own parsers) into the intended money."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from syncd.bankfiles import FileFormat, ParseResult, parse
from syncd.bankfiles.model import BankTransaction, RefKind
from syncd.demo.bankday import BANK_FEE, bank_files, mistype, plan_bank_day
from syncd.demo.payments import BankDay, InvoiceFacts, Payment, Scenario
from syncd.demo.writers import Creditor
from syncd.domain.references import luhn_valid, make_ocr
from syncd.match.names import normalise_name
from syncd.match.tiers.ocr import ocr_variants

DAY = date(2026, 11, 25)
CREDITOR = Creditor("Demo Konsult AB", "5154-5572", "SE5950008097313701392196")
CUSTOMERS = (
    ("c1", "Mälardesign AB", False),
    ("c2", "Björkträdgård AB", False),
    ("c3", "Lars Andersson", True),
    ("c4", "Kustenscafé AB", False),
    ("c5", "Norrskenel AB", False),
    ("c6", "Åsa Lindqvist", True),
)


def facts(number: int, amount: str, customer: int, *, currency: str = "SEK") -> InvoiceFacts:
    """An open invoice as the bank day sees it; EUR ones at the sandbox's 11.4520."""
    customer_id, name, private = CUSTOMERS[customer % len(CUSTOMERS)]
    rate = Decimal("11.4520") if currency == "EUR" else Decimal(1)
    outstanding = Decimal(amount)
    return InvoiceFacts(
        number=str(number),
        ocr=make_ocr(str(number)),
        customer_id=customer_id,
        customer=name,
        private_person=private,
        org_number="" if private else "556677-8899",
        street="Storgatan 12",
        postal_code="111 22",
        city="Stockholm",
        invoice_date=date(2026, 10, number % 28 + 1),
        currency=currency,
        currency_rate=rate,
        outstanding=outstanding,
        outstanding_sek=(outstanding * rate).quantize(Decimal("0.01")),
    )


AMOUNTS = (
    *("11364.48", "20960.88", "4378.86", "1478.32", "12344.72", "1927.08", "6343.27"),
    *("23694.48", "832.50", "18195.00", "2109.76", "9875.00", "3125.00", "15000.00"),
)
OPEN = [facts(1001 + i, amount, i) for i, amount in enumerate(AMOUNTS)] + [
    facts(1020, "3272.22", 1, currency="EUR")
]


def planned(seed: int = 1) -> tuple[BankDay, dict[str, bytes]]:
    return bank_files(OPEN, day=DAY, seed=seed, creditor=CREDITOR)


def parsed(files: dict[str, bytes], fmt: FileFormat) -> ParseResult:
    name = next(n for n in files if n.endswith(".xml" if fmt is FileFormat.CAMT054 else ".csv"))
    result = parse(files[name], name)
    assert result.format is fmt
    assert result.problems == ()
    return result


def by_open(number: str) -> InvoiceFacts:
    return next(f for f in OPEN if f.number == number)


def transaction_of(payment: Payment, result: ParseResult) -> BankTransaction:
    """The parsed credit of ``payment`` (payer and amount identify it in the demo day)."""
    found = [t for t in result.transactions if t.payer_name == payment.payer and t.amount == payment.amount]
    assert len(found) == 1, payment
    return found[0]


def test_the_camt054_has_one_booked_credit_per_payment_with_the_planned_amount_and_payer() -> None:
    plan, files = planned()
    result = parsed(files, FileFormat.CAMT054)
    assert result.format_version.endswith("054.001.02")
    assert len(result.transactions) == len(plan.payments)
    assert {(t.payer_name, t.amount, t.currency) for t in result.transactions} == {
        (p.payer, p.amount, "SEK") for p in plan.payments
    }
    assert all(t.direction.value == "credit" and t.status.value == "booked" for t in result.transactions)
    assert all(t.booking_date == DAY for t in result.transactions)
    assert {s.account for s in result.statements} == {"51545572", CREDITOR.iban}


def test_exact_ocr_payments_carry_the_invoice_ocr_and_its_outstanding_amount() -> None:
    plan, files = planned()
    result = parsed(files, FileFormat.CAMT054)
    exact = plan.by_scenario(Scenario.EXACT_OCR)
    assert len(exact) >= 3
    for payment in exact:
        invoice = by_open(payment.invoices[0])
        tx = transaction_of(payment, result)
        assert [(r.value, r.kind, r.valid) for r in tx.references] == [(invoice.ocr, RefKind.OCR, True)]
        assert tx.amount == invoice.outstanding_sek


def test_the_mistyped_ocr_is_an_adjacent_transposition_that_repairs_to_only_its_invoice() -> None:
    plan, files = planned()
    (payment,) = plan.by_scenario(Scenario.MISTYPED_OCR)
    invoice = by_open(payment.invoices[0])
    (ref,) = transaction_of(payment, parsed(files, FileFormat.CAMT054)).references
    assert ref.kind is RefKind.OCR
    assert not ref.valid
    assert not luhn_valid(ref.value)
    assert sorted(ref.value) == sorted(invoice.ocr)
    assert sum(a != b for a, b in zip(ref.value, invoice.ocr, strict=True)) == 2
    same_amount = {f.ocr for f in OPEN if f.outstanding_sek == payment.amount}
    assert [v for v in ocr_variants(ref.value) if v in same_amount] == [invoice.ocr]


def test_one_payment_names_two_invoices_by_ocr_in_the_text_and_pays_both_in_full() -> None:
    plan, files = planned()
    (payment,) = plan.by_scenario(Scenario.TWO_INVOICES)
    first, second = (by_open(n) for n in payment.invoices)
    tx = transaction_of(payment, parsed(files, FileFormat.CAMT054))
    assert tx.references == ()
    assert {first.ocr, second.ocr} <= set(tx.tokens)
    assert tx.amount == first.outstanding_sek + second.outstanding_sek


def test_the_bank_fee_payment_is_short_by_the_fee_within_the_default_tolerance() -> None:
    plan, files = planned()
    (payment,) = plan.by_scenario(Scenario.BANK_FEE)
    invoice = by_open(payment.invoices[0])
    tx = transaction_of(payment, parsed(files, FileFormat.CAMT054))
    assert tx.references[0].value == invoice.ocr
    assert invoice.outstanding_sek - tx.amount == BANK_FEE
    assert Decimal("50.00") >= BANK_FEE


def test_the_euro_invoice_is_paid_in_kronor_at_a_rate_within_the_fx_tolerance() -> None:
    plan, files = planned()
    (payment,) = plan.by_scenario(Scenario.FOREIGN_CURRENCY)
    invoice = by_open(payment.invoices[0])
    tx = transaction_of(payment, parsed(files, FileFormat.CAMT054))
    assert invoice.currency == "EUR"
    assert tx.currency == "SEK"
    assert tx.references[0].value == invoice.ocr
    assert tx.amount != invoice.outstanding_sek
    assert abs(invoice.outstanding_sek - tx.amount) <= invoice.outstanding_sek * Decimal("0.03")


def test_the_payer_only_payment_has_no_reference_and_names_a_customer_the_bank_way() -> None:
    plan, files = planned()
    (payment,) = plan.by_scenario(Scenario.PAYER_ONLY)
    invoice = by_open(payment.invoices[0])
    tx = transaction_of(payment, parsed(files, FileFormat.CAMT054))
    assert (tx.references, tx.free_text) == ((), "")
    assert tx.payer_name == tx.payer_name.upper()
    assert sorted(normalise_name(tx.payer_name).split()) == sorted(normalise_name(invoice.customer).split())
    assert tx.amount == invoice.outstanding_sek


def test_swedish_payers_come_with_addresses_and_company_payers_with_their_org_number() -> None:
    _plan, files = planned()
    result = parsed(files, FileFormat.CAMT054)
    lars = next(t for t in result.transactions if t.payer_name == "ANDERSSON LARS")
    assert lars.payer_address == "Storgatan 12, 111 22 Stockholm"
    companies = [t for t in result.transactions if t.payer_org_no]
    assert companies
    assert all(t.payer_org_no == "5566778899" for t in companies)
    assert all("Stockholm" in t.payer_address for t in companies)


def test_the_stripe_report_explains_the_payout_the_bank_credits_with_its_id_in_the_text() -> None:
    plan, files = planned()
    report = parsed(files, FileFormat.STRIPE)
    (payout,) = report.payouts
    (credit,) = plan.by_scenario(Scenario.STRIPE_PAYOUT)
    tx = transaction_of(credit, parsed(files, FileFormat.CAMT054))
    assert payout.provider == "stripe"
    assert payout.payout_id == plan.payout_id
    assert payout.net == tx.amount == plan.payout_net
    assert "STRIPE" in tx.free_text
    assert payout.payout_id in tx.free_text
    assert 2 <= len(payout.charges) <= 3
    for charge in payout.charges:
        invoice = by_open(charge.invoice_reference)
        assert charge.gross == invoice.outstanding_sek
        assert Decimal(0) < charge.fee < charge.gross
        assert charge.gross - charge.fee == charge.net
    assert {c.invoice_reference for c in payout.charges} == set(credit.invoices)


def test_every_scenario_pays_different_invoices() -> None:
    plan, _files = planned()
    numbers = [n for p in plan.payments for n in p.invoices]
    assert len(numbers) == len(set(numbers))
    assert {p.scenario for p in plan.payments} == set(Scenario)


def test_the_unplaceable_payment_fits_no_open_invoice_and_names_no_customer() -> None:
    plan, _files = planned()
    (payment,) = plan.by_scenario(Scenario.UNKNOWN_PAYER)
    assert payment.invoices == ()
    assert all(f.outstanding_sek != payment.amount for f in OPEN)
    assert all(normalise_name(f.customer) != normalise_name(payment.payer) for f in OPEN)


def test_the_same_seed_writes_the_same_files_and_another_seed_other_files() -> None:
    assert planned(7)[1] == planned(7)[1]
    assert planned(7)[1] != planned(8)[1]


def test_too_few_open_invoices_is_refused_with_what_is_missing() -> None:
    with pytest.raises(ValueError, match="needs 11 open SEK invoices"):
        plan_bank_day(OPEN[:5] + OPEN[-1:], day=DAY, seed=1)
    with pytest.raises(ValueError, match="open EUR invoice"):
        plan_bank_day(OPEN[:-1], day=DAY, seed=1)


def test_mistype_refuses_a_transposition_that_would_repair_to_more_than_one_invoice() -> None:
    target = facts(1001, "500.00", 0)
    twins = []
    for i in range(len(target.ocr) - 1):
        typo = target.ocr[:i] + target.ocr[i + 1] + target.ocr[i] + target.ocr[i + 2 :]
        if typo != target.ocr and not luhn_valid(typo):
            other = next(v for v in ocr_variants(typo) if v != target.ocr)
            twins.append(replace(target, number=f"90{i}", ocr=other))
    assert mistype(target.ocr, [target], Decimal("500.00")) is not None
    assert mistype(target.ocr, [target, *twins], Decimal("500.00")) is None
