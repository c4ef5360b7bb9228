"""Bank-portal CSV exports: presets for SEB, Swedbank, Handelsbanken and Nordea, plus your own.

No bank publishes a spec (reconciliation.md §1.3), so each preset is *data* — a
:class:`CsvMapping` — built from what public importers observed, with the header variants the
banks' portals actually write (SEB's ``Text/mottagare``, Swedbank's tab-separated export…); a
user whose export differs writes a mapping instead of code. Header names are matched
case-insensitively, the delimiter of a preset is taken from the file, and the header row is
searched for, because exports put metadata lines ("Kontonummer: …", the export date) above it.

Every column of the header must be mapped or deliberately ignored: a column nobody knows is an
ERROR problem naming it, so a renamed ``Text`` column can never again import with every row's
text — and its OCR — silently dropped. Files are read as a stream (:class:`CsvStream`), row by
row, so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import enum
import functools
import itertools
import re
from collections.abc import Iterable, Iterator
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
)
from syncd.bankfiles.occurrences import LeanFingerprinter
from syncd.bankfiles.textio import Row, chunked, limit_bytes, open_table
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

    ``columns`` maps a field of :data:`FIELDS` to one or more accepted header names; ``ignore``
    names columns the bank writes that carry nothing syncd needs (any other column is an error).
    ``delimiter`` None (the presets): taken from the file's first lines.
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    delimiter: str | None = ";"
    ignore: tuple[str, ...] = ()
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
        if self.delimiter is not None and len(self.delimiter) != 1:
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
        delimiter=None,
        columns={
            "booking_date": ("Bokföringsdatum", "Bokföringsdag"),
            "value_date": ("Valutadatum", "Valutadag"),
            "serial": ("Verifikationsnummer", "Verifikationsnr"),
            "text": ("Text", "Text/mottagare", "Text / mottagare", "Mottagare/text"),
            "amount": ("Belopp", "Belopp SEK"),
            "balance": ("Saldo", "Saldo SEK"),
        },
    ),
    FileFormat.CSV_SWEDBANK: CsvMapping(
        name="Swedbank",
        format=FileFormat.CSV_SWEDBANK,
        delimiter=None,
        decimal_comma=False,
        columns={
            "serial": ("Radnummer", "Radnr"),
            "clearing": ("Clearingnummer", "Clearingnr"),
            "account": ("Kontonummer", "Kontonr"),
            "currency": ("Valuta",),
            "booking_date": ("Bokföringsdag", "Bokföringsdatum"),
            "value_date": ("Valutadag", "Valutadatum"),
            "reference": ("Referens",),
            "text": ("Beskrivning", "Text"),
            "amount": ("Belopp",),
            "balance": ("Bokfört saldo", "Saldo"),
        },
        ignore=("Produkt", "Transaktionsdag", "Transaktionsdatum"),
    ),
    FileFormat.CSV_HANDELSBANKEN: CsvMapping(
        name="Handelsbanken",
        format=FileFormat.CSV_HANDELSBANKEN,
        delimiter=None,
        columns={
            "booking_date": ("Reskontradatum", "Bokföringsdatum"),
            "value_date": ("Transaktionsdatum", "Valutadatum"),
            "text": ("Text", "Transaktionstext", "Meddelande"),
            "amount": ("Belopp", "Belopp SEK"),
            "balance": ("Saldo", "Saldo SEK"),
        },
    ),
    FileFormat.CSV_NORDEA: CsvMapping(
        name="Nordea",
        format=FileFormat.CSV_NORDEA,
        delimiter=None,
        date_format="%Y/%m/%d",
        columns={
            "booking_date": ("Bokföringsdag",),
            "amount": ("Belopp",),
            "payer_account": ("Avsändare",),
            "payer_name": ("Namn",),
            "text": ("Rubrik", "Transaktion"),
            "message": ("Meddelande",),
            "balance": ("Saldo",),
            "currency": ("Valuta",),
        },
        ignore=("Mottagare", "Egna anteckningar", "Kategori"),
    ),
}


_CENT = Decimal("0.01")
_DATE_FALLBACKS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y")
_THOUSANDS = str.maketrans("", "", " \u00a0\u202f\u2009'")
_METADATA_ACCOUNT = re.compile(
    r"^\s*(?:kontonummer|kontonr|konto|account(?: number)?|iban)\s*[:;]?\s*"
    r"([A-Z]{0,2}[\d][\d \-.]{3,40})\s*$",
    re.IGNORECASE,
)


def _canonical(name: str) -> str:
    """A header name as compared: lower case, no BOM, single spaces around ``/``."""
    text = " ".join(name.replace("\ufeff", "").split()).lower()
    return re.sub(r"\s*/\s*", "/", text)


class _Row:
    """One data row with its mapping; accessors raise ValueError naming the column."""

    __slots__ = ("cols", "mapping", "row")

    def __init__(self, mapping: CsvMapping, cols: dict[str, tuple[int, ...]], row: list[str]) -> None:
        self.mapping, self.cols, self.row = mapping, cols, row

    def get(self, name: str) -> str:
        for col in self.cols.get(name, ()):
            if col < len(self.row):
                return self.row[col]
        return ""

    def amount(self, name: str) -> Decimal | None:
        raw = self.get(name)
        text = raw.translate(_THOUSANDS).replace("\u2212", "-")
        if not text:
            return None
        if not self.mapping.decimal_comma and "." in text:
            text = text.replace(",", "")  # 1,250.00: the comma groups thousands
        try:
            value = parse_amount(text)
        except ValueError as exc:
            raise ValueError(f"{name}: not an amount {raw[:30]!r}") from exc
        if not value.is_finite() or abs(value) >= Decimal("1e15"):
            raise ValueError(f"{name}: implausible amount {raw[:30]!r}")
        if value.as_tuple().exponent < -2 and value == (cents := value.quantize(_CENT)):  # type: ignore[operator]
            return cents  # SEB writes 715.100: the third decimal is always 0
        return value

    def day(self, name: str) -> date | None:
        text = self.get(name)
        if not text:
            return None
        found = _parse_day(text[:10], self.mapping.date_format)
        if found is None:
            raise ValueError(f"{name}: not a date in {self.mapping.date_format} {text[:30]!r}")
        return found


@functools.lru_cache(maxsize=4096)  # an export has few distinct dates and many rows
def _parse_day(text: str, preferred: str) -> date | None:
    for fmt in (preferred, *_DATE_FALLBACKS):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


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


def _transaction(row: _Row, line: int, account: str) -> BankTransaction | None:
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
    account = " ".join(p for p in (row.get("clearing"), row.get("account")) if p) or account
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


def _header_names(mapping: CsvMapping) -> dict[str, str]:
    """Every header name the mapping knows (canonical → field, or '' for an ignored column)."""
    names = {_canonical(alias): name for name, aliases in mapping.columns.items() for alias in aliases}
    names.update({_canonical(alias): "" for alias in mapping.ignore})
    return names


def _find_header(mapping: CsvMapping, rows: list[Row], source: str) -> int:
    """Index of the header row in ``rows``: the first that has every required field.

    A file without one is a ParseError that names what is missing in the likeliest header row
    (the one sharing the most names with the mapping) and what it has instead.
    """
    known = _header_names(mapping)
    best: tuple[int, int] = (-1, 0)
    for index, (_, cells) in enumerate(rows):
        fields = {known[c] for c in map(_canonical, cells) if c in known}
        if mapping.required <= fields:
            return index
        overlap = len(fields - {""})
        if overlap > best[1]:
            best = (index, overlap)
    wanted = [mapping.columns[name][0] for name in sorted(mapping.required)]
    if best[0] < 0 or best[1] < 2:
        raise ParseError(
            f"no {mapping.name} header row with columns {wanted}", location="line 1", source=source
        )
    line, cells = rows[best[0]]
    fields = {known[c] for c in map(_canonical, cells) if c in known}
    missing = [mapping.columns[name][0] for name in sorted(mapping.required - fields)]
    strange = [c for c in cells if c and _canonical(c) not in known]
    raise ParseError(
        f"the {mapping.name} header lacks {missing}"
        + (f"; unrecognised columns {strange}" if strange else "")
        + ": if the bank renamed a column, import with a custom CSV mapping that names it",
        location=f"line {line}",
        source=source,
    )


def _metadata_account(rows: Iterable[Row]) -> str:
    """The account number a metadata line above the header gives ("Kontonummer: 5678-12 345 67")."""
    for _, cells in rows:
        found = _METADATA_ACCOUNT.match(" ".join(c for c in cells if c))
        if found:
            return found.group(1).strip()
    return ""


class CsvStream:
    """Iterate the transactions of a bank CSV row by row; afterwards ``result()`` has the rest.

    Iterate it once, to the end: the statement summary and the problems are complete only then.
    Memory holds one row (plus the first few while the header is searched), whatever the file's size.
    """

    def __init__(
        self, chunks: Iterable[bytes], mapping: CsvMapping, *, source: str = "", max_bytes: int | None = None
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.problems = ProblemLog(source)
        self._chunks = limit_bytes(chunks, max_bytes, source)
        self._stamp = LeanFingerprinter()  # 2.5 million rows fit in ~30 MB
        self._account = mapping.account
        self._currency = mapping.currency
        self._first_tx = True
        self._days: tuple[date | None, date | None] = (None, None)
        self._header_loc = ""

    def __iter__(self) -> Iterator[BankTransaction]:
        mapping = self.mapping
        try:
            head, rest = open_table(
                self._chunks, delimiter=mapping.delimiter, encoding=mapping.encoding, source=self.source
            )
        except UnicodeError as exc:  # a declared encoding that the bytes do not fit
            raise ParseError(
                f"not {mapping.encoding} text: {exc}", location="line 1", source=self.source
            ) from exc
        index = _find_header(mapping, head, self.source)
        header_line, cells = head[index]
        self._header_loc = f"line {header_line}"
        header = self._check_header(cells, header_line)
        self._account = mapping.account or _metadata_account(head[:index])
        for line, row in itertools.chain(head[index + 1 :], rest):
            yield from self._row(header, line, row)

    def _check_header(self, cells: list[str], line: int) -> dict[str, tuple[int, ...]]:
        """Each field's candidate columns, in alias order; a column the mapping does not know is an ERROR."""
        known = _header_names(self.mapping)
        unknown = [c for c in cells if c and _canonical(c) not in known]
        if unknown:
            self.problems.error(
                f"line {line}",
                f"columns {unknown} are not in the {self.mapping.name} layout and would be dropped: "
                "if the bank added or renamed a column, import the file with a custom CSV mapping "
                "that maps it to a field or lists it under ignore",
            )
        header: dict[str, int] = {}
        for col, cell in enumerate(cells):
            header.setdefault(_canonical(cell), col)
        return {
            name: tuple(header[c] for c in map(_canonical, aliases) if c in header)
            for name, aliases in self.mapping.columns.items()
        }

    def _row(
        self, header: dict[str, tuple[int, ...]], line: int, cells: list[str]
    ) -> Iterator[BankTransaction]:
        try:
            tx = _transaction(_Row(self.mapping, header, cells), line, self._account)
        except ValueError as exc:
            self.problems.error(f"line {line}", f"row skipped: {exc}")
            return
        if tx is None:
            self.problems.warning(f"line {line}", "zero amount row skipped")
            return
        if self._first_tx:
            self._account, self._currency, self._first_tx = tx.account, tx.currency, False
        low, high = self._days
        day = tx.booking_date
        if day is not None:
            self._days = (min(low or day, day), max(high or day, day))
        yield self._stamp(tx)

    def result(self, transactions: Iterable[BankTransaction] = ()) -> ParseResult:
        """The ParseResult for what was iterated (pass the transactions if you kept them)."""
        return ParseResult(
            format=self.mapping.format,
            transactions=tuple(transactions),
            problems=tuple(self.problems.items),
            statements=(
                StatementInfo(
                    account=self._account,
                    currency=self._currency,
                    period_from=self._days[0],
                    period_to=self._days[1],
                    source_location=self._header_loc,
                ),
            ),
            format_version=self.mapping.name,
        )


def parse_csv(data: bytes, mapping: CsvMapping, *, source: str = "") -> ParseResult:
    """Parse a bank CSV export held in memory with ``mapping`` (a bad row is an ERROR problem)."""
    stream = CsvStream(chunked(data), mapping, source=source)
    return stream.result(list(stream))
