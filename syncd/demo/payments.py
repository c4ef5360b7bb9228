"""The values of a demo bank day: open invoices as a payer sees them, and the money they receive.

Kept apart from :mod:`.bankday` (which decides the payments) and :mod:`.writers` (which renders
the files) so both import plain values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Scenario(StrEnum):
    """What a payment is there to show, and the tier it is meant to reach."""

    EXACT_OCR = "exact_ocr"
    BANK_FEE = "bank_fee"
    TWO_INVOICES = "two_invoices"
    FOREIGN_CURRENCY = "foreign_currency"
    STRIPE_PAYOUT = "stripe_payout"
    MISTYPED_OCR = "mistyped_ocr"
    PAYER_ONLY = "payer_only"
    UNKNOWN_PAYER = "unknown_payer"


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What a payer knows about one open invoice (read from Bokio by the caller)."""

    number: str
    ocr: str
    customer_id: str
    customer: str
    private_person: bool
    org_number: str
    street: str
    postal_code: str
    city: str
    invoice_date: date
    currency: str
    currency_rate: Decimal
    outstanding: Decimal
    """In the invoice's currency."""
    outstanding_sek: Decimal


@dataclass(frozen=True, slots=True)
class Payment:
    """One credit on the company's bankgiro (or, for Stripe, its bank account)."""

    scenario: Scenario
    amount: Decimal
    payer: str
    invoices: tuple[str, ...]
    """Invoice numbers the money is meant for (what the demo expects syncd to find)."""
    reference: str = ""
    """The structured OCR the payer typed (``SCOR``), as typed — possibly wrong."""
    message: str = ""
    """Free text (``Ustrd``)."""
    org_number: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    private_person: bool = False


@dataclass(frozen=True, slots=True)
class StripeCharge:
    """One card payment of an invoice inside the Stripe payout."""

    charge_id: str
    invoice_number: str
    customer: str
    email: str
    gross: Decimal
    fee: Decimal
    created: datetime

    @property
    def net(self) -> Decimal:
        """What reaches the bank for this charge."""
        return self.gross - self.fee


@dataclass(frozen=True, slots=True)
class BankDay:
    """Everything the bank and Stripe report for one day."""

    day: date
    payments: tuple[Payment, ...]
    payout_id: str
    charges: tuple[StripeCharge, ...]

    @property
    def payout_net(self) -> Decimal:
        """The Stripe payout as the bank credits it: Σ net of its charges."""
        return sum((c.net for c in self.charges), Decimal(0))

    def by_scenario(self, scenario: Scenario) -> list[Payment]:
        """The payments playing ``scenario``, in file order."""
        return [p for p in self.payments if p.scenario is scenario]
