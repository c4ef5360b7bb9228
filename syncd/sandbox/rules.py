"""Bokio's invoice arithmetic as the sandbox plays it, written from Bokio's documentation.

Deliberately independent of syncd's own reading (``syncd.domain.invoice_math``): a fake that
shares syncd's assumptions could never contradict them. Where Bokio is silent, the company's
:class:`~syncd.sandbox.readings.Readings` choose.

What Bokio documents (reference §5, §7, §19) and this module does:

- **Lines.** A ``salesItem`` is ``quantity * unitPrice`` net (``unitPrice`` is ex VAT), VAT is
  ``net * taxRate / 100``; each rounded to öre per line, as an invoice prints them.
  ``descriptionOnlyItem`` lines carry no amount.
- **Öresavrundning** (help centre: the amount to pay is rounded to whole kronor by default).
  Model: only SEK invoices are rounded; the line gross is rounded to the nearest whole krona,
  half up (50 öre up); the difference is the invoice's *rounding*, booked on 3740.
  ``rounding=in_total``: ``totalAmount`` includes the rounding (net reading: net + rounding,
  gross reading: the rounded gross); ``beside_total``: ``totalAmount``/``totalTax`` show the
  lines unrounded and only what is owed (``paidAmount``, ``status``) sees the rounded amount;
  ``off``: nothing is rounded.
- **totalAmount / totalTax.** ``totalTax`` is the VAT; ``totalAmount`` is net or gross by
  ``total_reading``.
- **Owed, in SEK.** Payments and settlements are in SEK (``sumBaseCurrency``), so what is owed is
  the amount to pay * ``currencyRate``, rounded to öre, less payments, settlement effects and
  published credit notes (their own amount to pay in SEK).
- **Settlements** "adjust the outstanding amount without a customer payment"; the sign of each
  is read by ``settlement_sign``.
- **paidAmount** = payments (+ settlement effects when ``paid_includes_settlements``), in SEK or,
  with ``paid_currency=invoice``, divided by ``currencyRate`` and rounded to cents.
- **status**: ``draft`` unpublished; ``credited`` when credit notes cover the amount; then by
  what is still owed, exact to the öre: 0 ``paid``, < 0 ``overPaid``, > 0 past ``dueDate``
  ``overdue``, > 0 with money or credit against it ``underPaid``, else ``published``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from syncd.domain.money import ZERO, quantize
from syncd.sandbox.readings import PaidCurrency, Readings, Rounding, SettlementSign, TotalReading

ROUNDING_ACCOUNT = 3740
"""Öres- och kronutjämning (BAS): where Bokio books öresavrundning."""
_KRONA = Decimal(1)


@dataclass(frozen=True, slots=True)
class Line:
    """One sales line's net and VAT, each rounded to öre."""

    net: Decimal
    vat: Decimal
    tax_rate: Decimal


@dataclass(frozen=True, slots=True)
class Amounts:
    """An invoice's (or credit note's) amounts in its own currency."""

    net: Decimal
    vat: Decimal
    rounding: Decimal

    @property
    def to_pay(self) -> Decimal:
        """What the customer is asked to pay: the lines' gross plus öresavrundning."""
        return self.net + self.vat + self.rounding


@dataclass(frozen=True, slots=True)
class Balance:
    """What has happened to one invoice, in SEK; ``remaining`` is what is still owed."""

    owed: Decimal
    payments: Decimal
    settled: Decimal
    credited: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.owed - self.payments - self.settled - self.credited

    @property
    def received(self) -> Decimal:
        """Everything set against the amount owed except credit notes."""
        return self.payments + self.settled


def sales_line(line: Mapping[str, Any]) -> Line | None:
    """A line's amounts; ``None`` for a description-only line."""
    if line.get("itemType") != "salesItem":
        return None
    rate = Decimal(line["taxRate"])
    net = quantize(Decimal(line.get("quantity", 1)) * Decimal(line["unitPrice"]))
    return Line(net=net, vat=quantize(net * rate / 100), tax_rate=rate)


def sales_lines(lines: Iterable[Mapping[str, Any]]) -> list[Line]:
    """Amounts of every sales line, in order."""
    return [found for found in (sales_line(line) for line in lines) if found is not None]


def amounts(lines: Iterable[Mapping[str, Any]], currency: str, readings: Readings) -> Amounts:
    """Net, VAT and öresavrundning of a document's lines."""
    computed = sales_lines(lines)
    net = sum((line.net for line in computed), ZERO)
    vat = sum((line.vat for line in computed), ZERO)
    rounding = ZERO
    if readings.rounding is not Rounding.OFF and currency == "SEK":
        rounding = (net + vat).quantize(_KRONA, rounding=ROUND_HALF_UP) - (net + vat)
    return Amounts(net=net, vat=vat, rounding=rounding)


def reported_totals(found: Amounts, readings: Readings) -> tuple[Decimal, Decimal]:
    """``(totalAmount, totalTax)`` as the company's readings show them."""
    total = found.net if readings.total_reading is TotalReading.NET else found.net + found.vat
    if readings.rounding is Rounding.IN_TOTAL:
        total += found.rounding
    return total, found.vat


def in_sek(amount: Decimal, currency_rate: Decimal) -> Decimal:
    """An amount in the document's currency converted to SEK, rounded to öre."""
    return quantize(amount * currency_rate)


def settlement_effect(kind: str, sum_base: Decimal, sign: SettlementSign) -> Decimal:
    """How much a settlement lowers what is owed (negative: raises it)."""
    if kind == "currency" and sign is SettlementSign.CURRENCY_POSITIVE_IS_GAIN:
        return -sum_base
    return sum_base


def currency_settlement_sum(difference: Decimal, sign: SettlementSign) -> Decimal:
    """The ``sumBaseCurrency`` of a currency settlement that removes ``difference`` of what is owed."""
    return -difference if sign is SettlementSign.CURRENCY_POSITIVE_IS_GAIN else difference


def paid_amount(balance: Balance, currency_rate: Decimal, readings: Readings) -> Decimal:
    """Bokio's ``paidAmount`` under the company's readings."""
    paid = balance.received if readings.paid_includes_settlements else balance.payments
    if readings.paid_currency is PaidCurrency.INVOICE and currency_rate != 1:
        return quantize(paid / currency_rate)
    return paid


def status(balance: Balance, *, published: bool, due_date: date, today: date) -> str:
    """Bokio's invoice status from its balance and the Stockholm ``today``."""
    if not published:
        return "draft"
    if balance.credited > ZERO and balance.credited >= balance.owed:
        return "credited"
    return _open_status(balance, due_date, today)


def _open_status(balance: Balance, due_date: date, today: date) -> str:
    remaining = balance.remaining
    if remaining == ZERO:
        return "paid"
    if remaining < ZERO:
        return "overPaid"
    if today > due_date:
        return "overdue"
    if balance.received != ZERO or balance.credited > ZERO:
        return "underPaid"
    return "published"
