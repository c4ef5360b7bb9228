"""Bank-portal CSV exports: presets for SEB, Swedbank, Handelsbanken and Nordea, plus your own.

No bank publishes a spec (reconciliation.md §1.3), so each preset is *data* — a
:class:`CsvMapping` — built from what public importers observed; a user whose export differs
writes a mapping instead of code. Header names are matched case-insensitively and the header row
is searched for, because some exports put metadata lines above it.
"""

from __future__ import annotations

import codecs
import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncd.bankfiles.model import (
    BankTransaction,
    Direction,
    FileFormat,
    ParseResult,
    ProblemLog,
    Reference,
    RefKind,
    StatementInfo,
    with_fingerprints,
)
from syncd.bankfiles.textio import decode, find_header, read_rows
from syncd.domain.money import parse_amount
from syncd.domain.references import candidate_tokens
from syncd.errors import ConfigError, ParseError

FIELDS = frozenset(
    {
        "booking_date",
        "value_date",
        "amount",
        "credit",
        "debit",
        "text",
        "message",
        "reference",
        "currency",
        "balance",
        "serial",
        "payer_name",
        "payer_account",
        "clearing",
        "account",
    }
)


class SignConvention(enum.StrEnum):
    """SIGNED: one amount column, negative = money out. SEPARATE: credit and debit columns."""

    SIGNED = "signed"
    SEPARATE = "separate"


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvMapping:
    """How to read one bank's CSV: which header holds which field, and how values are written.

    ``columns`` maps a field of :data:`FIELDS` to one or more accepted header names.
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    delimiter: str = ";"
    encoding: str | None = None  # None: BOM / UTF-8 / cp1252 sniffing
    date_format: str = "%Y-%m-%d"
    decimal_comma: bool = True
    sign: SignConvention = SignConvention.SIGNED
    account: str = ""  # the account when the file does not say
    currency: str = "SEK"
    format: FileFormat = FileFormat.CSV_CUSTOM
    required: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        unknown = set(self.columns) - FIELDS
        if unknown:
            raise ConfigError(f"unknown CSV fields {sorted(unknown)}; known: {sorted(FIELDS)}", key=self.name)
        if len(self.delimiter) != 1:
            raise ConfigError("delimiter must be one character", key=self.name)
        amounts = {"amount"} if self.sign is SignConvention.SIGNED else {"credit", "debit"}
        required = {"booking_date"} | amounts
        missing = required - set(self.columns)
        if missing:
            raise ConfigError(f"mapping lacks columns for {sorted(missing)}", key=self.name)
        try:
            datetime.strptime("2026-01-02", "%Y-%m-%d").strftime(self.date_format)  # noqa: DTZ007
        except ValueError as exc:
            raise ConfigError(f"bad date_format {self.date_format!r}", key=self.name) from exc
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError as exc:
                raise ConfigError(f"unknown encoding {self.encoding!r}", key=self.name) from exc
        object.__setattr__(self, "required", frozenset(required))


PRESETS: dict[FileFormat, CsvMapping] = {
    FileFormat.CSV_SEB: CsvMapping(
        name="SEB",
        format=FileFormat.CSV_SEB,
        columns={
            "booking_date": ("Bokföringsdatum",),
            "value_date": ("Valutadatum",),
            "serial": ("Verifikationsnummer",),
            "text": ("Text",),
            "amount": ("Belopp",),
            "balance": ("Saldo",),
        },
    ),
    FileFormat.CSV_SWEDBANK: CsvMapping(
        name="Swedbank",
        format=FileFormat.CSV_SWEDBANK,
        delimiter=",",
        decimal_comma=False,
        columns={
            "serial": ("Radnummer",),
            "clearing": ("Clearingnummer",),
            "account": ("Kontonummer",),
            "currency": ("Valuta",),
            "booking_date": ("Bokföringsdag",),
            "value_date": ("Valutadag",),
            "reference": ("Referens",),
            "text": ("Beskrivning",),
            "amount": ("Belopp",),
            "balance": ("Bokfört saldo",),
        },
    ),
    FileFormat.CSV_HANDELSBANKEN: CsvMapping(
        name="Handelsbanken",
        format=FileFormat.CSV_HANDELSBANKEN,
        columns={
            "booking_date": ("Reskontradatum",),
            "value_date": ("Transaktionsdatum",),
            "text": ("Text",),
            "amount": ("Belopp",),
            "balance": ("Saldo",),
        },
    ),
    FileFormat.CSV_NORDEA: CsvMapping(
        name="Nordea",
        format=FileFormat.CSV_NORDEA,
        date_format="%Y/%m/%d",
        columns={
            "booking_date": ("Bokföringsdag",),
            "amount": ("Belopp",),
            "payer_account": ("Avsändare",),
            "payer_name": ("Namn",),
            "text": ("Rubrik",),
            "message": ("Meddelande",),
            "balance": ("Saldo",),
            "currency": ("Valuta",),
        },
    ),
}


class _Row:
    """One data row with its mapping; accessors raise ValueError naming the column."""

    def __init__(self, mapping: CsvMapping, header: dict[str, int], row: list[str]) -> None:
        self.mapping, self.header, self.row = mapping, header, row

    def get(self, name: str) -> str:
        for alias in self.mapping.columns.get(name, ()):
            col = self.header.get(alias.lower())
            if col is not None and col < len(self.row):
                return self.row[col]
        return ""

    def amount(self, name: str) -> Decimal | None:
        text = self.get(name)
        if not text:
            return None
        if not self.mapping.decimal_comma:
            text = text.replace(",", "")
        try:
            value = parse_amount(text)
        except ValueError as exc:
            raise ValueError(f"{name}: not an amount {text[:30]!r}") from exc
        if not value.is_finite() or abs(value) >= Decimal("1e15"):
            raise ValueError(f"{name}: implausible amount {text[:30]!r}")
        return value

    def day(self, name: str) -> date | None:
        text = self.get(name)
        if not text:
            return None
        try:
            return datetime.strptime(text, self.mapping.date_format).date()  # noqa: DTZ007
        except ValueError as exc:
            raise ValueError(f"{name}: not a date in {self.mapping.date_format} {text[:30]!r}") from exc


def _signed_amount(row: _Row) -> Decimal:
    if row.mapping.sign is SignConvention.SIGNED:
        value = row.amount("amount")
        if value is None:
            raise ValueError("amount: empty")
        return value
    credit, debit = row.amount("credit"), row.amount("debit")
    if credit is None and debit is None:
        raise ValueError("credit and debit are both empty")
    return abs(credit or Decimal(0)) - abs(debit or Decimal(0))


def _transaction(row: _Row, line: int) -> BankTransaction | None:
    mapping = row.mapping
    booking = row.day("booking_date")
    if booking is None:
        raise ValueError("booking_date: empty")
    signed = _signed_amount(row)
    if signed == 0:
        return None
    reference = Reference.classify(row.get("reference")) if row.get("reference") else None
    texts = [t for t in (row.get("text"), row.get("message")) if t]
    if reference is not None and reference.kind not in {RefKind.OCR, RefKind.RF}:
        texts.insert(0, row.get("reference"))  # a payer's free-typed "reference" is just text
        reference = None
    free_text = "\n".join(texts)
    account = " ".join(p for p in (row.get("clearing"), row.get("account")) if p) or mapping.account
    return BankTransaction(
        account=account,
        booking_date=booking,
        value_date=row.day("value_date"),
        amount=abs(signed),
        currency=(row.get("currency") or mapping.currency).upper(),
        direction=Direction.CREDIT if signed > 0 else Direction.DEBIT,
        references=(reference,) if reference else (),
        tokens=tuple(candidate_tokens(" ".join(texts))),
        free_text=free_text,
        payer_name=row.get("payer_name"),
        payer_account=row.get("payer_account"),
        bank_serial=row.get("serial"),
        balance_after=row.amount("balance"),
        source_location=f"line {line}",
    )


def parse_csv(data: bytes, mapping: CsvMapping, *, source: str = "") -> ParseResult:
    """Parse a bank CSV export with ``mapping``; a bad row is an ERROR problem, not an abort."""
    try:
        text, _ = decode(data, mapping.encoding)
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"not {mapping.encoding} text: {exc.reason}", location="line 1", source=source
        ) from exc
    rows = read_rows(text, mapping.delimiter, source)
    required = [frozenset(a.lower() for a in mapping.columns[name]) for name in sorted(mapping.required)]
    found = find_header(rows, required)
    if found is None:
        names = [mapping.columns[name][0] for name in sorted(mapping.required)]
        raise ParseError(
            f"no {mapping.name} header row with columns {names}", location="line 1", source=source
        )
    header_index, header = found
    problems = ProblemLog(source)
    txs: list[BankTransaction] = []
    for line, cells in rows[header_index + 1 :]:
        try:
            tx = _transaction(_Row(mapping, header, cells), line)
        except ValueError as exc:
            problems.error(f"line {line}", f"row skipped: {exc}")
            continue
        if tx is None:
            problems.warning(f"line {line}", "zero amount row skipped")
        else:
            txs.append(tx)
    result = tuple(with_fingerprints(txs))
    days = [t.booking_date for t in result if t.booking_date]
    return ParseResult(
        format=mapping.format,
        transactions=result,
        problems=tuple(problems.items),
        statements=(
            StatementInfo(
                account=result[0].account if result else mapping.account,
                currency=result[0].currency if result else mapping.currency,
                period_from=min(days, default=None),
                period_to=max(days, default=None),
                source_location=f"line {rows[header_index][0]}",
            ),
        ),
        format_version=mapping.name,
    )
