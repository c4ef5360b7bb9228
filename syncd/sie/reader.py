"""Read a SIE 4 file (the Swedish accounting export) into vouchers, accounts and fiscal years.

Written by hand: the only PyPI package that parses SIE 4, ``pysie-accounting`` (one 0.0.2
release, July 2024, no tests or maintenance since), is not one to build an audit on; no other
was found in the package lists. The reader is pure (bytes in, :class:`SieFile` out).

What it reads (SIE 4B/4E as Bokio exports it): ``#FLAGGA``, ``#FORMAT``, ``#SIETYP``,
``#PROGRAM``, ``#GEN``, ``#FNAMN``, ``#ORGNR``, ``#RAR``, ``#KONTO``, ``#DIM``, ``#OBJEKT`` and
``#VER`` with a ``{ … }`` block of ``#TRANS``, ``#RTRANS`` (a row added later; the standard
repeats it as a ``#TRANS``) and ``#BTRANS`` (a row removed later) rows. Text is CP437 ("PC8");
fields are separated by blanks, may be quoted (``\\"`` escapes a quote), object lists are
``{dim "object" …}`` and may be empty. Other labels (``#IB``, ``#UB``, ``#RES``, ``#KSUMMA``,
``#SRU``, …) are allowed by the standard to be skipped and are, counted in ``skipped``.
Anything it cannot read raises :class:`SieError` naming the line, what and why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal, cast

RowKind = Literal["TRANS", "RTRANS", "BTRANS"]
Token = str | tuple[str, ...]  # a field, or an object list's fields
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_LABEL = re.compile(r"^#(\w+)\s*(.*)$")


class SieError(ValueError):
    """A line the reader cannot read: where (``line``), what (``record``) and why."""

    def __init__(self, line: int, record: str, why: str) -> None:
        self.line, self.record, self.why = line, record, why
        super().__init__(f"SIE line {line}: {record}: {why}")


@dataclass(frozen=True)
class Row:
    """One ``#TRANS``/``#RTRANS``/``#BTRANS`` row; debit positive, credit negative."""

    kind: RowKind
    account: int
    amount: Decimal
    objects: tuple[tuple[str, str], ...] = ()
    date: dt.date | None = None
    text: str = ""
    quantity: Decimal | None = None
    sign: str = ""
    line: int = 0


@dataclass(frozen=True)
class Voucher:
    """A ``#VER``: series and number (``V 12``) with its rows in file order."""

    series: str
    number: str
    date: dt.date
    text: str
    rows: tuple[Row, ...]
    registered: dt.date | None = None
    sign: str = ""
    line: int = 0

    @property
    def ref(self) -> str:
        """How a person finds it in Bokio: series and number run together (``V12``)."""
        return f"{self.series}{self.number}"

    @property
    def lines(self) -> tuple[Row, ...]:
        """The rows in force: ``#TRANS`` (an ``#RTRANS`` is repeated as one)."""
        return tuple(r for r in self.rows if r.kind == "TRANS")

    @property
    def changed(self) -> bool:
        """Rows were added or removed after the voucher was first booked."""
        return any(r.kind != "TRANS" for r in self.rows)

    @property
    def original_lines(self) -> tuple[Row, ...]:
        """The rows as first booked: in force, less those added later, plus those removed."""
        added = [r for r in self.rows if r.kind == "RTRANS"]
        kept: list[Row] = []
        for row in self.lines:
            twin = next((a for a in added if (a.account, a.amount) == (row.account, row.amount)), None)
            if twin is not None:
                added.remove(twin)
            else:
                kept.append(row)
        return tuple(kept) + tuple(r for r in self.rows if r.kind == "BTRANS")


@dataclass(frozen=True)
class FiscalYearRange:
    """``#RAR``: 0 is the exported year, -1 the one before."""

    index: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class SieFile:
    """Everything read from one file."""

    flag: int | None = None
    format: str = ""
    sie_type: int | None = None
    program: str = ""
    generated: dt.date | None = None
    company_name: str = ""
    org_number: str = ""
    fiscal_years: tuple[FiscalYearRange, ...] = ()
    accounts: dict[int, str] = field(default_factory=dict)
    dimensions: dict[int, str] = field(default_factory=dict)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)
    vouchers: tuple[Voucher, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)


def decode(data: bytes) -> str:
    """SIE 4 text is CP437 ("PC8"); a UTF-8 BOM is tolerated and means UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    return data.decode("cp437")


def tokenize(text: str, line: int, record: str = "") -> list[Token]:
    """Split one line into fields; quoted fields unescaped, ``{…}`` as a tuple of fields."""
    tokens: list[Token] = []
    group: list[str] | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        if ch == "{":
            if group is not None:
                raise SieError(line, record, "an object list inside an object list")
            group, i = [], i + 1
            continue
        if ch == "}":
            if group is None:
                raise SieError(line, record, "'}' without '{'")
            tokens.append(tuple(group))
            group, i = None, i + 1
            continue
        if ch == '"':
            value, i = _quoted(text, i + 1, line, record)
        else:
            j = i
            while j < n and text[j] not in ' \t{}"':
                j += 1
            value, i = text[i:j], j
        (tokens if group is None else group).append(value)
    if group is not None:
        raise SieError(line, record, "object list not closed with '}'")
    return tokens


def _quoted(text: str, i: int, line: int, record: str) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise SieError(line, record, "a quoted field is not closed")


def _date(value: Token, line: int, record: str, what: str) -> dt.date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{8}", value):
        raise SieError(line, record, f"{what} {value!r} is not a date YYYYMMDD")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise SieError(line, record, f"{what} {value!r} is not a calendar date") from None


def _opt_date(value: Token | None, line: int, record: str, what: str) -> dt.date | None:
    return None if value in (None, "") else _date(value or "", line, record, what)


def _amount(value: Token, line: int, record: str, what: str = "amount") -> Decimal:
    if not isinstance(value, str) or not _AMOUNT.match(value):
        raise SieError(line, record, f"{what} {value!r} is not a number like -1234.50")
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise SieError(line, record, f"{what} {value!r} is not a number") from None


def _int(value: Token, line: int, record: str, what: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise SieError(line, record, f"{what} {value!r} is not a whole number")
    return int(value)


def _text(value: Token | None, line: int, record: str, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SieError(line, record, f"{what} is an object list, expected text")
    return value


def _need(tokens: list[Token], count: int, line: int, record: str, fields: str) -> None:
    if len(tokens) < count:
        raise SieError(line, record, f"needs {fields}")


def _field(tokens: list[Token], index: int) -> Token | None:
    return tokens[index] if index < len(tokens) else None


def _objects(value: Token, line: int, record: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        raise SieError(line, record, f"expected an object list {{…}} after the account, found {value!r}")
    if len(value) % 2:
        raise SieError(line, record, "an object list holds pairs of dimension and object")
    pairs = []
    for k in range(0, len(value), 2):
        _int(value[k], line, record, "dimension")
        pairs.append((value[k], value[k + 1]))
    return tuple(pairs)


def _row(kind: RowKind, tokens: list[Token], line: int) -> Row:
    record = "#" + kind
    _need(tokens, 3, line, record, "account, object list and amount")
    quantity = _field(tokens, 5)
    return Row(
        kind=kind,
        account=_int(tokens[0], line, record, "account"),
        objects=_objects(tokens[1], line, record),
        amount=_amount(tokens[2], line, record),
        date=_opt_date(_field(tokens, 3), line, record, "transaction date"),
        text=_text(_field(tokens, 4), line, record, "transaction text"),
        quantity=None if quantity in (None, "") else _amount(quantity or "", line, record, "quantity"),
        sign=_text(_field(tokens, 6), line, record, "signature"),
        line=line,
    )


@dataclass
class _Builder:
    flag: int | None = None
    format: str = ""
    sie_type: int | None = None
    program: str = ""
    generated: dt.date | None = None
    company_name: str = ""
    org_number: str = ""
    years: list[FiscalYearRange] = field(default_factory=list)
    accounts: dict[int, str] = field(default_factory=dict)
    dimensions: dict[int, str] = field(default_factory=dict)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)
    vouchers: list[Voucher] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def _header(b: _Builder, label: str, tokens: list[Token], line: int) -> bool:  # noqa: C901, PLR0912 - a flat table of labels
    """Read one non-voucher record; False when the label is not one of them."""
    record = "#" + label
    if label == "FLAGGA":
        _need(tokens, 1, line, record, "0 or 1")
        b.flag = _int(tokens[0], line, record, "flag")
    elif label == "FORMAT":
        _need(tokens, 1, line, record, "the character set (PC8)")
        b.format = _text(tokens[0], line, record, "format")
    elif label == "SIETYP":
        _need(tokens, 1, line, record, "the file type 1-4")
        b.sie_type = _int(tokens[0], line, record, "type")
    elif label == "PROGRAM":
        b.program = " ".join(t for t in tokens if isinstance(t, str))
    elif label == "GEN":
        _need(tokens, 1, line, record, "a date")
        b.generated = _date(tokens[0], line, record, "date")
    elif label == "FNAMN":
        _need(tokens, 1, line, record, "the company name")
        b.company_name = _text(tokens[0], line, record, "name")
    elif label == "ORGNR":
        _need(tokens, 1, line, record, "the organisation number")
        b.org_number = _text(tokens[0], line, record, "organisation number")
    elif label == "RAR":
        _need(tokens, 3, line, record, "year index, start and end dates")
        start, end = _date(tokens[1], line, record, "start"), _date(tokens[2], line, record, "end")
        if end < start:
            raise SieError(line, record, f"the year ends ({end}) before it starts ({start})")
        b.years.append(FiscalYearRange(_int(tokens[0], line, record, "year index"), start, end))
    elif label == "KONTO":
        _need(tokens, 2, line, record, "account number and name")
        b.accounts[_int(tokens[0], line, record, "account")] = _text(tokens[1], line, record, "name")
    elif label == "DIM":
        _need(tokens, 2, line, record, "dimension number and name")
        b.dimensions[_int(tokens[0], line, record, "dimension")] = _text(tokens[1], line, record, "name")
    elif label == "OBJEKT":
        _need(tokens, 3, line, record, "dimension, object id and name")
        key = (_int(tokens[0], line, record, "dimension"), _text(tokens[1], line, record, "object id"))
        b.objects[key] = _text(tokens[2], line, record, "name")
    else:
        return False
    return True


def _split(raw: str, line: int) -> tuple[str, list[Token]]:
    found = _LABEL.match(raw.strip())
    if found is None:
        raise SieError(line, raw.strip()[:20], "a record starts with '#LABEL'")
    label = found.group(1).upper()
    return label, tokenize(found.group(2), line, "#" + label)


def _voucher(tokens: list[Token], line: int) -> tuple[str, str, dt.date, str, dt.date | None, str]:
    _need(tokens, 3, line, "#VER", "series, number and date")
    return (
        _text(tokens[0], line, "#VER", "series"),
        _text(tokens[1], line, "#VER", "number"),
        _date(tokens[2], line, "#VER", "voucher date"),
        _text(_field(tokens, 3), line, "#VER", "voucher text"),
        _opt_date(_field(tokens, 4), line, "#VER", "registration date"),
        _text(_field(tokens, 5), line, "#VER", "signature"),
    )


def parse(data: bytes) -> SieFile:
    """Read a whole SIE 4 file; :class:`SieError` for the first line that cannot be read."""
    b = _Builder()
    lines = decode(data).splitlines()
    index = 0
    while index < len(lines):
        number, raw = index + 1, lines[index]
        index += 1
        if not raw.strip():
            continue
        if raw.strip() in ("{", "}"):
            raise SieError(number, raw.strip(), "a block belongs right after a #VER line")
        label, tokens = _split(raw, number)
        if label == "VER":
            head = _voucher(tokens, number)
            rows, index = _block(lines, index, number)
            series, voucher_no, on, text, registered, sign = head
            b.vouchers.append(Voucher(series, voucher_no, on, text, tuple(rows), registered, sign, number))
        elif label in ("TRANS", "RTRANS", "BTRANS"):
            raise SieError(number, "#" + label, "a row outside a #VER { … } block")
        elif not _header(b, label, tokens, number):
            b.skipped[label] = b.skipped.get(label, 0) + 1
    return SieFile(
        flag=b.flag,
        format=b.format,
        sie_type=b.sie_type,
        program=b.program,
        generated=b.generated,
        company_name=b.company_name,
        org_number=b.org_number,
        fiscal_years=tuple(b.years),
        accounts=b.accounts,
        dimensions=b.dimensions,
        objects=b.objects,
        vouchers=tuple(b.vouchers),
        skipped=b.skipped,
    )


def _block(lines: list[str], index: int, ver_line: int) -> tuple[list[Row], int]:
    """The ``{ … }`` after a ``#VER`` (the opening brace on its own line, as the standard says)."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or lines[index].strip() != "{":
        raise SieError(ver_line, "#VER", "is not followed by a '{' line opening its rows")
    index += 1
    rows: list[Row] = []
    while index < len(lines):
        number, raw = index + 1, lines[index]
        index += 1
        if not raw.strip():
            continue
        if raw.strip() == "}":
            return rows, index
        label, tokens = _split(raw, number)
        if label not in ("TRANS", "RTRANS", "BTRANS"):
            raise SieError(
                number, "#" + label, f"only #TRANS/#RTRANS/#BTRANS rows belong in #VER (line {ver_line})"
            )
        rows.append(_row(cast(RowKind, label), tokens, number))
    raise SieError(ver_line, "#VER", "its '{' block is never closed with '}'")
