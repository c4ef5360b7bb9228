"""The values every bank-file parser returns: immutable, Decimal money, no I/O.

One shape for all formats (camt, BgMax, CSV, PSP reports) so the import job and the matcher never
care where a transaction came from. Parsers fill the fields they know and leave the rest empty.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncd.domain.references import is_ocr, is_rf, normalise

FINGERPRINT_VERSION = "v1"


class FileFormat(enum.StrEnum):
    """What :func:`syncd.bankfiles.detect.identify` can recognise."""

    CAMT053 = "camt.053"
    CAMT054 = "camt.054"
    BGMAX = "bgmax"
    CSV_SEB = "csv-seb"
    CSV_SWEDBANK = "csv-swedbank"
    CSV_HANDELSBANKEN = "csv-handelsbanken"
    CSV_NORDEA = "csv-nordea"
    CSV_CUSTOM = "csv-custom"
    STRIPE = "stripe"
    PAYPAL = "paypal"
    KLARNA = "klarna"


class Direction(enum.StrEnum):
    """Money in (credit) or out (debit); amounts themselves are always positive magnitudes."""

    CREDIT = "credit"
    DEBIT = "debit"


class Status(enum.StrEnum):
    """Only booked transactions may be matched; pending ones can still change or vanish."""

    BOOKED = "booked"
    PENDING = "pending"
    INFO = "info"


class RefKind(enum.StrEnum):
    """How a structured reference was classified (the matcher trusts OCR/RF most)."""

    OCR = "ocr"
    RF = "rf"
    INVOICE_NUMBER = "invoice_number"
    OTHER = "other"


class Severity(enum.StrEnum):
    """ERROR means the file must not be imported as is (quarantine); WARNING is informational."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Reference:
    """A structured reference as the bank delivered it, classified.

    ``valid`` is the check-digit verdict, kept separately from ``kind`` so that a digits-only OCR
    with a typo stays an OCR candidate for the matcher's repair tier.
    """

    value: str
    kind: RefKind
    valid: bool
    amount: Decimal | None = None
    scheme: str = ""

    @classmethod
    def classify(cls, raw: str, *, amount: Decimal | None = None, scheme: str = "") -> Reference:
        """Classify ``raw`` as RF (by prefix), OCR (2-25 digits) or OTHER."""
        value = normalise(raw)
        if value.startswith("RF"):
            return cls(value, RefKind.RF, is_rf(value), amount, scheme)
        if value.isdigit() and 2 <= len(value) <= 25:
            return cls(value, RefKind.OCR, is_ocr(value), amount, scheme)
        return cls(value, RefKind.OTHER, False, amount, scheme)


@dataclass(frozen=True, slots=True, kw_only=True)
class BankTransaction:
    """One movement of money on an account, or one payment inside a batch.

    ``batch_key`` links the details of one deposit (BgMax TK15, camt ``Btch``) to each other and to
    the statement's batch credit; ``is_batch`` marks a summary credit whose details are expected
    from another file (camt.054 / BgMax), with ``deposit_total`` as the linking amount.
    """

    account: str
    booking_date: date | None
    value_date: date | None
    amount: Decimal
    currency: str
    direction: Direction
    status: Status = Status.BOOKED
    is_reversal: bool = False
    references: tuple[Reference, ...] = ()
    tokens: tuple[str, ...] = ()
    free_text: str = ""
    payer_name: str = ""
    payer_address: str = ""
    payer_bankgiro: str = ""
    payer_account: str = ""
    payer_org_no: str = ""
    acct_svcr_ref: str = ""
    entry_ref: str = ""
    end_to_end_id: str = ""
    tx_id: str = ""
    instr_id: str = ""
    bank_serial: str = ""
    bank_tx_code: str = ""
    return_reason: str = ""
    statement_id: str = ""
    charges: Decimal | None = None
    balance_after: Decimal | None = None
    batch_key: str | None = None
    is_batch: bool = False
    batch_count: int | None = None
    deposit_total: Decimal | None = None
    source_location: str = ""
    fingerprint: str = ""

    @property
    def signed_amount(self) -> Decimal:
        """Amount with the sign of its direction (credits positive)."""
        return self.amount if self.direction is Direction.CREDIT else -self.amount


@dataclass(frozen=True, slots=True, kw_only=True)
class PspCharge:
    """One line of a PSP report: a customer payment (or refund, negative) and the PSP's fee."""

    charge_id: str
    kind: str
    gross: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    invoice_reference: str = ""
    customer_name: str = ""
    customer_email: str = ""
    created: date | None = None
    description: str = ""
    source_location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PspPayout:
    """One transfer from a PSP to the bank: ``net`` is what the bank statement shows."""

    provider: str
    payout_id: str
    payout_date: date | None
    currency: str
    net: Decimal
    gross: Decimal
    fees: Decimal
    charges: tuple[PspCharge, ...]
    source_location: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """A recoverable finding: the file was read, but something in it needs a human's eye."""

    source: str
    location: str
    message: str
    severity: Severity = Severity.WARNING


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementInfo:
    """Header data of one statement / notification / BgMax file (one per camt ``Stmt``)."""

    account: str
    currency: str = ""
    statement_id: str = ""
    created: datetime | None = None
    period_from: date | None = None
    period_to: date | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    source_location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseResult:
    """Everything one file yielded. ``problems`` with severity ERROR mean: quarantine the file."""

    format: FileFormat
    transactions: tuple[BankTransaction, ...] = ()
    payouts: tuple[PspPayout, ...] = ()
    problems: tuple[Problem, ...] = ()
    statements: tuple[StatementInfo, ...] = ()
    format_version: str = ""
    is_test: bool = False

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that make the file unfit for an atomic import."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def account(self) -> str:
        """The first statement's account, or '' (most files hold exactly one)."""
        return self.statements[0].account if self.statements else ""


def _fingerprint_base(tx: BankTransaction) -> str:
    """The identifying fields of ``tx`` as one string.

    Bank ids identify a transaction when present; otherwise its content does. Status is part of the
    identity on purpose: a pending row that later books is a new row, not a duplicate.
    """
    parts = [
        FINGERPRINT_VERSION,
        tx.account,
        tx.direction.value,
        tx.status.value,
        format(tx.amount.normalize(), "f"),
        tx.currency,
        tx.booking_date.isoformat() if tx.booking_date else "",
        tx.batch_key or "",
    ]
    e2e = "" if tx.end_to_end_id.upper() == "NOTPROVIDED" else tx.end_to_end_id
    ids = (tx.acct_svcr_ref, tx.entry_ref, e2e, tx.tx_id, tx.bank_serial)
    if any(ids):
        parts += ["ids", *ids]
    else:
        parts += [
            "content",
            tx.value_date.isoformat() if tx.value_date else "",
            ",".join(r.value for r in tx.references),
            " ".join(tx.free_text.split()),
            tx.payer_name,
            tx.payer_account,
            "" if tx.balance_after is None else format(tx.balance_after.normalize(), "f"),
        ]
    return "\x1f".join(parts)


class Fingerprinter:
    """Assigns fingerprints in file order; identical transactions get an occurrence index.

    Two overlapping statements that both contain a whole day produce the same occurrence indexes
    for that day, so the import can deduplicate on the fingerprint alone. Streaming-friendly: it
    keeps one small counter entry per distinct identity, not the transactions.
    """

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def __call__(self, tx: BankTransaction) -> BankTransaction:
        """Return ``tx`` with its fingerprint set."""
        return dataclasses.replace(tx, fingerprint=self.digest(tx))

    def digest(self, tx: BankTransaction) -> str:
        """The fingerprint of ``tx`` as the next transaction of the file (counts its occurrence)."""
        base = hashlib.sha256(_fingerprint_base(tx).encode()).digest()
        occurrence = self._seen.get(base, 0)
        self._seen[base] = occurrence + 1
        return hashlib.sha256(base + occurrence.to_bytes(8, "big")).hexdigest()[:32]

    def stamp_fresh(self, tx: BankTransaction) -> BankTransaction:
        """Set the fingerprint of a transaction the caller has just built and shared with nobody.

        Same result as calling the stamp, without ``dataclasses.replace`` (≈ 8 % of a camt parse):
        a parser may write the one field of its own, not yet published, frozen value.
        """
        object.__setattr__(tx, "fingerprint", self.digest(tx))
        return tx


def with_fingerprints(transactions: Iterable[BankTransaction]) -> Iterator[BankTransaction]:
    """Fingerprint a file's transactions in order."""
    stamp = Fingerprinter()
    for tx in transactions:
        yield stamp(tx)


@dataclass(slots=True)
class ProblemLog:
    """Collects problems while parsing; parsers pass it down instead of returning tuples."""

    source: str
    items: list[Problem] = field(default_factory=list)

    def warning(self, location: str, message: str) -> None:
        """Record something odd that does not endanger the money."""
        self.items.append(Problem(self.source, location, message, Severity.WARNING))

    def error(self, location: str, message: str) -> None:
        """Record something that makes the file unfit for import (e.g. totals that do not add up)."""
        self.items.append(Problem(self.source, location, message, Severity.ERROR))
