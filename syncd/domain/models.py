"""The matcher's inputs and outputs as frozen, slotted values.

Money is :class:`~decimal.Decimal` everywhere; ids are Bokio's strings. Nothing here knows about
the database or HTTP: the mirror converts its rows into these, the matcher returns these, and the
job layer persists them. Enums are ``StrEnum`` so they are stored and logged by value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

BASE_CURRENCY = "SEK"


class Direction(StrEnum):
    """Whether money came in (credit) or went out (debit) of the company's account."""

    CREDIT = "credit"
    DEBIT = "debit"


class SettlementType(StrEnum):
    """Bokio's settlement types (its wire values); syncd creates only :data:`WRITABLE_SETTLEMENTS`.

    ``badDebt`` and ``balanceAdjustment`` are made by people in Bokio; the mirror reads them.
    """

    CURRENCY = "currency"
    BANK_FEE = "bankFee"
    PAYMENT_SERVICE_FEE = "paymentServiceFee"
    BAD_DEBT = "badDebt"
    BALANCE_ADJUSTMENT = "balanceAdjustment"


WRITABLE_SETTLEMENTS = (SettlementType.CURRENCY, SettlementType.BANK_FEE, SettlementType.PAYMENT_SERVICE_FEE)
"""The settlement types Bokio's API can create, so the ones the matcher and reviewers propose."""


class VatScheme(StrEnum):
    """VAT treatment of a ``paymentServiceFee`` settlement (Bokio's wire values)."""

    DOMESTIC = "domestic"
    EU = "eu"
    NON_EU = "nonEu"
    VAT_EXEMPT = "vatExempt"


class Tier(StrEnum):
    """Which kind of evidence produced an allocation, strongest first (design §4)."""

    OCR_EXACT = "ocr_exact"
    OCR_TOLERANCE = "ocr_tolerance"
    OCR_PARTIAL = "ocr_partial"
    OCR_REPAIR = "ocr_repair"
    MULTI_REFERENCE = "multi_reference"
    TEXT_REFERENCE = "text_reference"
    PAYER_AMOUNT = "payer_amount"
    FOREIGN_CURRENCY = "foreign_currency"
    PSP_PAYOUT = "psp_payout"


class Decision(StrEnum):
    """AUTO goes straight to the outbox; REVIEW waits for a person."""

    AUTO = "auto"
    REVIEW = "review"


class MatchKind(StrEnum):
    """How the money compares with what was outstanding."""

    EXACT = "exact"
    BANK_FEE = "bank_fee"
    PARTIAL = "partial"
    OVERPAYMENT = "overpayment"
    CURRENCY = "currency"
    ROUNDING = "rounding"  # at most 50 öre short: öresavrundning? never a bank fee; a person decides


class ProblemCode(StrEnum):
    """Why an item needs a person even though nothing crashed."""

    DEBIT_REFERENCES_INVOICE = "debit_references_invoice"
    REVERSAL = "reversal"
    INVALID_BANK_LINE = "invalid_bank_line"
    DUPLICATE_BANK_LINE = "duplicate_bank_line"
    FUTURE_BANK_LINE = "future_bank_line"
    INVALID_INVOICE = "invalid_invoice"
    UNKNOWN_REFERENCE = "unknown_reference"
    AMBIGUOUS = "ambiguous"
    UNALLOCATED_REMAINDER = "unallocated_remainder"
    PSP_UNKNOWN_REFERENCE = "psp_unknown_reference"
    PSP_UNKNOWN_PROVIDER = "psp_unknown_provider"
    PSP_NET_MISMATCH = "psp_net_mismatch"
    PSP_PAYOUT_REUSED = "psp_payout_reused"


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice with money still owed; ``outstanding`` is derived by the caller (design §2.4)."""

    company_id: str
    bokio_id: str
    invoice_number: str
    ocr: str | None
    customer_id: str
    customer_name: str
    currency: str
    currency_rate: Decimal
    gross_amount: Decimal
    outstanding: Decimal
    outstanding_sek: Decimal
    invoice_date: dt.date
    due_date: dt.date


@dataclass(frozen=True, slots=True)
class BankLine:
    """One payment as the bank reported it (a batch is already split into its payments)."""

    company_id: str
    id: str
    booking_date: dt.date
    amount: Decimal
    currency: str = BASE_CURRENCY
    direction: Direction = Direction.CREDIT
    is_reversal: bool = False
    references: tuple[str, ...] = ()
    free_text: str = ""
    payer_name: str = ""
    payer_account: str = ""
    psp_payout_id: str | None = None


@dataclass(frozen=True, slots=True)
class PspCharge:
    """One customer payment inside a PSP payout; ``invoice_reference`` is what we put in metadata."""

    charge_id: str
    gross: Decimal
    fee: Decimal
    currency: str = BASE_CURRENCY
    invoice_reference: str | None = None


@dataclass(frozen=True, slots=True)
class PspPayoutLine:
    """A PSP payout from the provider's report: the bank receives ``net`` = Σ(gross - fee)."""

    company_id: str
    provider: str
    payout_id: str
    net: Decimal
    currency: str = BASE_CURRENCY
    charges: tuple[PspCharge, ...] = ()


@dataclass(frozen=True, slots=True)
class SettlementPlan:
    """A settlement to create next to the payment; ``amount`` is signed the way Bokio wants it."""

    type: SettlementType
    amount: Decimal
    currency: str = BASE_CURRENCY
    vat_scheme: VatScheme | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """A proposed payment of one bank line (or part of it) to one invoice, with its settlements.

    ``amount`` is the payment's ``sum`` in the invoice currency and ``amount_sek`` its
    ``sumBaseCurrency``. ``cash`` is the bank money it uses, in the bank line's currency, and
    ``consumed`` what payment plus settlements take off the invoice's outstanding balance (invoice
    currency): for a SEK invoice ``consumed == amount + Σ bankFee/paymentServiceFee settlements``.
    """

    company_id: str
    bank_line_id: str
    invoice_id: str
    invoice_number: str
    currency: str
    amount: Decimal
    amount_sek: Decimal
    cash: Decimal
    consumed: Decimal
    tier: Tier
    kind: MatchKind
    decision: Decision
    confidence: int
    group_id: str
    settlements: tuple[SettlementPlan, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()
    overpayment: bool = False

    def evidence_value(self, key: str) -> str | None:
        """The first evidence value recorded under ``key``."""
        return next((value for k, value in self.evidence if k == key), None)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a person should look at; returned as a value, never raised (style §15)."""

    code: ProblemCode
    message: str
    company_id: str
    bank_line_id: str | None = None
    invoice_id: str | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Everything :func:`syncd.match.propose` found, in a deterministic order."""

    allocations: tuple[Allocation, ...] = ()
    unmatched: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def for_line(self, bank_line_id: str) -> tuple[Allocation, ...]:
        """The allocations of one bank line."""
        return tuple(a for a in self.allocations if a.bank_line_id == bank_line_id)
