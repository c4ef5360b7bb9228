"""BgMax (Bankgiro Inbetalningar) files, for historical imports until the format is retired.

Record layouts are data (:data:`LAYOUTS`: record type → fields with 1-based inclusive columns and a
converter), as in the Bankgirot manual (reconciliation.md §1.1), so a column is fixed in one place.
Each section (TK05 … TK15) is one deposit to the bank account: its payments become transactions
linked by ``batch_key``; sums and counts are checked against TK15 and TK70.
"""

from __future__ import annotations

from collections.abc import Callable
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
    StatementInfo,
    with_fingerprints,
)
from syncd.domain.money import from_ore
from syncd.domain.references import candidate_tokens
from syncd.errors import ParseError

RECORD_LENGTH = 80
Value = str | int | Decimal | date


def _digits(text: str) -> str:
    if not text.strip().isdigit() or not text.strip().isascii():
        raise ValueError(f"expected digits, got {text!r}")
    return text.strip()


def _number(text: str) -> str:
    """A zero-padded account/bankgiro number without its padding ('' when blank or all zeros)."""
    return _digits(text).lstrip("0") if text.strip() else ""


def _ore(text: str) -> Decimal:
    return from_ore(int(_digits(text)))


def _count(text: str) -> int:
    return int(_digits(text))


def _day(text: str) -> date:
    return datetime.strptime(_digits(text), "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no time


def _text(text: str) -> str:
    return text.strip()


@dataclass(frozen=True, slots=True)
class Field:
    """One fixed-width field: 1-based inclusive columns, as the manual numbers them."""

    name: str
    start: int
    end: int
    convert: Callable[[str], Value] = _text


_PAYMENT = (
    Field("sender_bankgiro", 3, 12, _number),
    Field("reference", 13, 37),
    Field("amount", 38, 55, _ore),
    Field("reference_code", 56, 56),
    Field("channel", 57, 57),
    Field("serial", 58, 69),
    Field("image", 70, 70),
)

LAYOUTS: dict[str, tuple[Field, ...]] = {
    "01": (
        Field("layout", 3, 22),
        Field("version", 23, 24),
        Field("written", 25, 44),
        Field("test_mark", 45, 45),
    ),
    "05": (Field("payee_bankgiro", 3, 12, _number), Field("plusgiro", 13, 22), Field("currency", 23, 25)),
    "20": _PAYMENT,
    "21": (*_PAYMENT, Field("deduction_code", 71, 71)),
    "22": _PAYMENT,
    "23": _PAYMENT,
    "25": (Field("text", 3, 52),),
    "26": (Field("name", 3, 37), Field("extra_name", 38, 72)),
    "27": (Field("street", 3, 37), Field("postcode", 38, 46)),
    "28": (Field("town", 3, 37), Field("country", 38, 72), Field("country_code", 73, 74)),
    "29": (Field("org_no", 3, 14),),
    "15": (
        Field("bank_account", 3, 37, _number),
        Field("payment_date", 38, 45, _day),
        Field("deposit_serial", 46, 50),
        Field("amount", 51, 68, _ore),
        Field("currency", 69, 71),
        Field("count", 72, 79, _count),
        Field("deposit_type", 80, 80),
    ),
    "70": (
        Field("payments", 3, 10, _count),
        Field("deductions", 11, 18, _count),
        Field("extra_references", 19, 26, _count),
        Field("deposits", 27, 34, _count),
    ),
}
# records whose loss changes the money: a damaged one makes the whole file unreadable
_VITAL = {"01", "05", "15", "20", "21", "70"}
_REFERENCE_CODES = {"2", "4", "5"}  # the reference field holds one reference (2 = OCR checked)


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded record with typed accessors (the converters decided the types)."""

    code: str
    line: int
    values: dict[str, Value]

    def s(self, name: str) -> str:
        value = self.values[name]
        assert isinstance(value, str)  # noqa: S101 - guaranteed by LAYOUTS
        return value

    def d(self, name: str) -> Decimal:
        value = self.values[name]
        assert isinstance(value, Decimal)  # noqa: S101
        return value

    def i(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int)  # noqa: S101
        return value

    def day(self, name: str) -> date:
        value = self.values[name]
        assert isinstance(value, date)  # noqa: S101
        return value


def read_record(raw: str, line: int, source: str = "") -> Record:
    """Slice one 80-column record by its layout; ParseError names the line and the field."""
    code = raw[:2]
    padded = raw.ljust(RECORD_LENGTH)
    values: dict[str, Value] = {}
    for spec in LAYOUTS[code]:
        try:
            values[spec.name] = spec.convert(padded[spec.start - 1 : spec.end])
        except ValueError as exc:
            raise ParseError(
                f"TK{code} field {spec.name} (columns {spec.start}-{spec.end}): {exc}",
                location=f"line {line}",
                source=source,
            ) from exc
    return Record(code, line, values)


@dataclass(slots=True)
class _Payment:
    """A TK20/21 with the records that follow it, until its section's TK15 gives the date."""

    record: Record
    references: list[Reference] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    name: str = ""
    address: list[str] = field(default_factory=list)
    postcode: str = ""
    org_no: str = ""

    def add_reference(self, rec: Record) -> None:
        code, ref = rec.s("reference_code"), rec.s("reference")
        if code in _REFERENCE_CODES and ref:
            amount = rec.d("amount") or None
            if amount is not None and rec.code in {"21", "23"}:
                amount = -amount
            self.references.append(Reference.classify(ref, amount=amount, scheme=f"bgmax:{code}"))
        elif ref:
            self.texts.append(ref)

    def transaction(self, section: _Section, deposit: Record) -> BankTransaction:
        rec = self.record
        free_text = "\n".join(self.texts)
        org = self.org_no
        return BankTransaction(
            account=section.bankgiro,
            booking_date=deposit.day("payment_date"),
            value_date=deposit.day("payment_date"),
            amount=rec.d("amount"),
            currency=deposit.s("currency") or section.currency,
            direction=Direction.DEBIT if rec.code == "21" else Direction.CREDIT,
            references=tuple(self.references),
            tokens=tuple(candidate_tokens(free_text)),
            free_text=free_text,
            payer_name=self.name,
            payer_address=", ".join(a for a in [*self.address, self.postcode] if a),
            payer_bankgiro=rec.s("sender_bankgiro"),
            payer_org_no=org[2:] if len(org) == 12 and org.startswith("00") else org,
            bank_serial=rec.s("serial"),
            batch_key=section.key(deposit),
            batch_count=deposit.i("count"),
            deposit_total=deposit.d("amount"),
            source_location=f"line {rec.line}",
        )


@dataclass(slots=True)
class _Section:
    bankgiro: str
    currency: str
    line: int
    payments: list[_Payment] = field(default_factory=list)

    def key(self, deposit: Record) -> str:
        serial = deposit.s("deposit_serial")
        return f"bgmax:{deposit.s('bank_account')}:{deposit.day('payment_date').isoformat()}:{serial}"


@dataclass(slots=True)
class _Totals:
    payments: int = 0
    deductions: int = 0
    extra_references: int = 0
    deposits: int = 0


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems = ProblemLog(source)
        self.section: _Section | None = None
        self.totals = _Totals()
        self.transactions: list[BankTransaction] = []
        self.start: Record | None = None
        self.ended = False

    def fail(self, line: int, message: str) -> ParseError:
        return ParseError(message, location=f"line {line}", source=self.source)

    def feed(self, raw: str, line: int) -> None:
        code = raw[:2]
        if code not in LAYOUTS:
            self.problems.warning(f"line {line}", f"unknown record type {code!r} skipped")
            return
        damaged = len(raw) > RECORD_LENGTH or not raw.isprintable()
        if damaged and code in _VITAL:
            raise self.fail(line, f"damaged TK{code} record (not {RECORD_LENGTH} printable characters)")
        if code == "01" and self.start is None:
            self.start = read_record(raw, line, self.source)
            return
        if self.start is None:
            raise self.fail(line, "file does not start with a TK01 BGMAX record")
        if self.ended:
            self.problems.error(f"line {line}", f"TK{code} after the TK70 end record")
            return
        if code in {"22", "23"}:
            self.totals.extra_references += 1
        if damaged:
            self.problems.warning(f"line {line}", f"damaged TK{code} record skipped (TAB or wrong length)")
            return
        self.dispatch(read_record(raw, line, self.source))

    def dispatch(self, rec: Record) -> None:
        if rec.code == "05":
            if self.section is not None and self.section.payments:
                self.problems.error(f"line {rec.line}", "new section before the previous one's TK15 deposit")
            self.section = _Section(rec.s("payee_bankgiro"), rec.s("currency"), rec.line)
        elif rec.code == "15":
            self.deposit(rec)
        elif rec.code == "70":
            self.end(rec)
        elif rec.code == "01":
            self.problems.error(f"line {rec.line}", "second TK01 start record")
        elif self.section is None:
            raise self.fail(rec.line, f"TK{rec.code} outside a TK05 section")
        elif rec.code in {"20", "21"}:
            self.totals.payments += rec.code == "20"
            self.totals.deductions += rec.code == "21"
            payment = _Payment(rec)
            payment.add_reference(rec)
            self.section.payments.append(payment)
        elif not self.section.payments:
            self.problems.warning(f"line {rec.line}", f"TK{rec.code} before any payment record skipped")
        else:
            self.attach(self.section.payments[-1], rec)

    @staticmethod
    def attach(payment: _Payment, rec: Record) -> None:
        if rec.code in {"22", "23"}:
            payment.add_reference(rec)
        elif rec.code == "25":
            payment.texts.append(rec.s("text"))
        elif rec.code == "26":
            payment.name = " ".join(p for p in (rec.s("name"), rec.s("extra_name")) if p)
        elif rec.code == "27":
            payment.address.append(rec.s("street"))
            payment.postcode = rec.s("postcode")
        elif rec.code == "28":
            payment.address += [f"{payment.postcode} {rec.s('town')}".strip(), rec.s("country")]
            payment.postcode = ""
        elif rec.code == "29":
            payment.org_no = rec.s("org_no")

    def deposit(self, rec: Record) -> None:
        section = self.section
        where = f"line {rec.line}"
        if section is None:
            raise self.fail(rec.line, "TK15 deposit without a TK05 section")
        self.totals.deposits += 1
        net = sum((p.transaction(section, rec).signed_amount for p in section.payments), Decimal(0))
        if net != rec.d("amount"):
            self.problems.error(where, f"payments minus deductions = {net}, deposit says {rec.d('amount')}")
        if len(section.payments) != rec.i("count"):
            self.problems.error(
                where, f"{len(section.payments)} payment records, deposit says {rec.i('count')}"
            )
        if rec.s("currency") and section.currency and rec.s("currency") != section.currency:
            self.problems.error(where, f"deposit currency {rec.s('currency')} ≠ section {section.currency}")
        self.transactions += [p.transaction(section, rec) for p in section.payments]
        self.section = None

    def end(self, rec: Record) -> None:
        self.ended = True
        if self.section is not None and self.section.payments:
            self.problems.error(f"line {self.section.line}", "section has payments but no TK15 deposit")
        for name in ("payments", "deductions", "extra_references", "deposits"):
            counted, declared = getattr(self.totals, name), rec.i(name)
            if counted != declared:
                self.problems.error(
                    f"line {rec.line}", f"{counted} {name.replace('_', ' ')}, TK70 says {declared}"
                )


def _timestamp(text: str) -> datetime | None:
    """TK01 write time ``YYYYMMDDhhmmss`` + microseconds; informative only, so never fatal."""
    try:
        return datetime.strptime(text[:20], "%Y%m%d%H%M%S%f")  # noqa: DTZ007 - Bankgirot local time
    except ValueError:
        return None


def parse_bgmax(data: bytes, *, source: str = "") -> ParseResult:
    """Parse a BgMax file (ISO-8859-1, CRLF or LF line endings)."""
    reader = _Reader(source)
    line_no = 0
    for line_no, raw in enumerate(data.decode("latin-1").split("\n"), 1):
        line = raw.removesuffix("\r")
        if line.strip():
            reader.feed(line, line_no)
    if reader.start is None:
        raise ParseError("empty file or no TK01 start record", location="line 1", source=source)
    if reader.start.s("layout") != "BGMAX":
        raise ParseError("TK01 layout name is not BGMAX", location="line 1", source=source)
    if not reader.ended:
        reader.problems.error(f"line {line_no}", "no TK70 end record: the file is truncated")
    is_test = reader.start.s("test_mark") == "T"
    if is_test:
        reader.problems.warning("line 1", "test file (TK01 test mark T): do not import into production")
    txs = tuple(with_fingerprints(reader.transactions))
    written = reader.start.s("written")
    return ParseResult(
        format=FileFormat.BGMAX,
        transactions=txs,
        problems=tuple(reader.problems.items),
        statements=(
            StatementInfo(
                account=txs[0].account if txs else "",
                currency=txs[0].currency if txs else "",
                statement_id=written,
                created=_timestamp(written),
                period_from=min((t.booking_date for t in txs if t.booking_date), default=None),
                period_to=max((t.booking_date for t in txs if t.booking_date), default=None),
                source_location="line 1",
            ),
        ),
        format_version=f"BGMAX {reader.start.s('version')}",
        is_test=is_test,
    )
