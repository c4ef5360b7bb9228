"""PSP payout reports (Stripe, PayPal, Klarna) → one :class:`PspPayout` per bank credit.

A PSP pays out net of its fees (reconciliation.md §3): the bank shows one credit, the report lists
the charges behind it. Each charge keeps gross, fee (positive = cost) and net, and every payout is
checked: Σ net of its charges must equal the payout, otherwise the split cannot be trusted and an
ERROR problem says so. Column names vary between export types, so each field accepts aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncd.bankfiles.model import FileFormat, ParseResult, ProblemLog, PspCharge, PspPayout
from syncd.bankfiles.textio import decode, find_header, guess_delimiter, read_rows
from syncd.domain.money import parse_amount
from syncd.errors import ParseError

ZERO = Decimal(0)
_LIMIT = Decimal("1e15")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")

Aliases = dict[str, tuple[str, ...]]

STRIPE: Aliases = {
    "id": ("id", "balance_transaction_id"),
    "type": ("type", "reporting_category"),
    "source": ("source", "source_id", "charge_id"),
    "gross": ("amount", "gross"),
    "fee": ("fee",),
    "net": ("net",),
    "currency": ("currency",),
    "created": ("created", "created (utc)", "created_utc"),
    "payout": ("automatic_payout_id", "transfer", "payout_id"),
    "payout_date": (
        "automatic_payout_effective_at",
        "available_on",
        "available on (utc)",
        "available_on_utc",
    ),
    "description": ("description",),
    "invoice": (
        "invoice_reference (metadata)",
        "payment_metadata[invoice_reference]",
        "metadata[invoice_reference]",
        "invoice_reference",
        "invoice_number",
        "invoice_id",
    ),
    "email": ("customer_email", "customer email"),
    "name": ("customer_name", "customer name", "customer_description"),
}
PAYPAL: Aliases = {
    "date": ("date",),
    "time": ("time",),
    "name": ("name",),
    "type": ("type", "description"),
    "status": ("status",),
    "currency": ("currency",),
    "gross": ("gross",),
    "fee": ("fee",),
    "net": ("net",),
    "email": ("from email address",),
    "id": ("transaction id",),
    "invoice": ("invoice number", "invoice id"),
    "custom": ("custom number", "custom field"),
    "event": ("transaction event code",),
}
KLARNA: Aliases = {
    "type": ("type",),
    "detailed_type": ("detailed_type",),
    "amount": ("amount",),
    "currency": ("currency",),
    "capture_id": ("capture_id",),
    "order_id": ("order_id",),
    "reference1": ("merchant_reference1",),
    "reference2": ("merchant_reference2",),
    "capture_reference": ("merchant_capture_reference",),
    "capture_date": ("capture_date",),
    "sale_date": ("sale_date",),
    "payout": ("payment_reference",),
    "payout_date": ("payout_date",),
    "payout_total": ("summary_total_settlement_amount", "total_settlement_amount"),
}


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    cells: list[str]
    header: dict[str, int]
    aliases: Aliases

    @property
    def loc(self) -> str:
        return f"line {self.line}"

    def get(self, name: str) -> str:
        for alias in self.aliases[name]:
            col = self.header.get(alias)
            if col is not None and col < len(self.cells):
                return self.cells[col]
        return ""

    def amount(self, name: str, *, required: bool = True) -> Decimal:
        text = self.get(name)
        if not text and not required:
            return ZERO
        try:
            value = parse_amount(text)
        except ValueError as exc:
            raise ValueError(f"{name}: not an amount {text[:30]!r}") from exc
        if abs(value) >= _LIMIT:
            raise ValueError(f"{name}: implausible amount {text[:30]!r}")
        return value

    def day(self, name: str) -> date | None:
        text = self.get(name)[:10]
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
            except ValueError:
                continue
        if text:
            raise ValueError(f"{name}: not a date {text!r}")
        return None


def _table(data: bytes, aliases: Aliases, required: tuple[str, ...], source: str) -> list[_Row]:
    text, _ = decode(data, default="utf-8")
    rows = read_rows(text, guess_delimiter(text), source)
    groups = [frozenset(aliases[name]) for name in required]
    found = find_header(rows, groups)
    if found is None:
        wanted = [aliases[name][0] for name in required]
        raise ParseError(f"no header row with columns {wanted}", location="line 1", source=source)
    index, header = found
    return [_Row(line, cells, header, aliases) for line, cells in rows[index + 1 :]]


@dataclass(slots=True)
class _Payout:
    payout_id: str
    loc: str
    charges: list[PspCharge] = field(default_factory=list)
    currency: str = ""
    net: Decimal | None = None  # as the report states it, when it does
    day: date | None = None

    def build(self, provider: str, problems: ProblemLog) -> PspPayout:
        net_sum = sum((c.net for c in self.charges), ZERO)
        if self.net is not None and net_sum != self.net:
            problems.error(self.loc, f"payout {self.payout_id}: charges net {net_sum}, payout is {self.net}")
        currency = self.currency or (self.charges[0].currency if self.charges else "")
        if any(c.currency != currency for c in self.charges):
            problems.error(self.loc, f"payout {self.payout_id} mixes currencies")
        return PspPayout(
            provider=provider,
            payout_id=self.payout_id,
            payout_date=self.day,
            currency=currency,
            net=self.net if self.net is not None else net_sum,
            gross=sum((c.gross for c in self.charges), ZERO),
            fees=sum((c.fee for c in self.charges), ZERO),
            charges=tuple(self.charges),
            source_location=self.loc,
        )


def _checked(charge: PspCharge, problems: ProblemLog) -> PspCharge:
    if charge.gross - charge.fee != charge.net:
        problems.error(charge.source_location, f"gross {charge.gross} - fee {charge.fee} ≠ net {charge.net}")
    return charge


def _rows(rows: list[_Row], problems: ProblemLog, handle: Callable[[_Row], None]) -> None:
    """Apply ``handle`` to each row; a row that cannot be read becomes an ERROR problem."""
    for row in rows:
        try:
            handle(row)
        except ValueError as exc:
            problems.error(row.loc, f"row skipped: {exc}")


def parse_stripe(data: bytes, *, source: str = "") -> ParseResult:
    """Stripe balance-transactions / payout-reconciliation export, grouped by automatic payout."""
    problems = ProblemLog(source)
    payouts: dict[str, _Payout] = {}
    unpaid: list[str] = []

    def handle(row: _Row) -> None:
        kind = row.get("type").lower()
        currency = row.get("currency").upper()
        if kind == "payout":
            payout_id = row.get("source") or row.get("payout") or row.get("id")
            payout = payouts.setdefault(payout_id, _Payout(payout_id, row.loc))
            payout.net, payout.currency, payout.loc = -row.amount("gross"), currency, row.loc
            payout.day = row.day("payout_date") or row.day("created")
            return
        payout_id = row.get("payout")
        charge = _checked(
            PspCharge(
                charge_id=row.get("source") or row.get("id"),
                kind=kind,
                gross=row.amount("gross"),
                fee=row.amount("fee", required=False),
                net=row.amount("net"),
                currency=currency,
                invoice_reference=row.get("invoice"),
                customer_name=row.get("name"),
                customer_email=row.get("email"),
                created=row.day("created"),
                description=row.get("description"),
                source_location=row.loc,
            ),
            problems,
        )
        if not payout_id:
            unpaid.append(row.loc)
            return
        payout = payouts.setdefault(payout_id, _Payout(payout_id, row.loc))
        payout.charges.append(charge)
        payout.day = payout.day or row.day("payout_date")

    _rows(_table(data, STRIPE, ("gross", "net", "currency"), source), problems, handle)
    if unpaid:
        problems.warning(unpaid[0], f"{len(unpaid)} rows belong to no payout yet and were left out")
    return _result(FileFormat.STRIPE, "stripe", payouts.values(), problems)


def parse_paypal(data: bytes, *, source: str = "") -> ParseResult:
    """PayPal activity export: the charges before each withdrawal (in time order) make its payout."""
    problems = ProblemLog(source)
    table = _table(data, PAYPAL, ("gross", "net", "id"), source)
    dated: list[tuple[date, str, int, _Row]] = []
    for row in table:
        try:
            day = row.day("date")
        except ValueError as exc:
            problems.error(row.loc, f"row skipped: {exc}")
            continue
        dated.append((day or date.min, row.get("time"), row.line, row))
    dated.sort(key=lambda item: item[:3])  # exports are often newest first
    payouts: list[_Payout] = []
    pending: list[PspCharge] = []

    def handle(row: _Row) -> None:
        kind, status = row.get("type"), row.get("status").lower()
        if status in {"pending", "denied", "väntande", "nekad"}:
            problems.warning(row.loc, f"{status} transaction left out")
            return
        if "withdrawal" in kind.lower() or "uttag" in kind.lower() or row.get("event") == "T0400":
            payout = _Payout(row.get("id"), row.loc, charges=pending.copy(), net=-row.amount("gross"))
            payout.currency, payout.day = row.get("currency").upper(), row.day("date")
            payouts.append(payout)
            pending.clear()
            return
        fee = -row.amount("fee", required=False)  # PayPal writes fees as negative numbers
        pending.append(
            _checked(
                PspCharge(
                    charge_id=row.get("id"),
                    kind=kind,
                    gross=row.amount("gross"),
                    fee=fee,
                    net=row.amount("net"),
                    currency=row.get("currency").upper(),
                    invoice_reference=row.get("invoice") or row.get("custom"),
                    customer_name=row.get("name"),
                    customer_email=row.get("email"),
                    created=row.day("date"),
                    source_location=row.loc,
                ),
                problems,
            )
        )

    _rows([item[3] for item in dated], problems, handle)
    if pending:
        problems.warning(
            pending[0].source_location, f"{len(pending)} transactions after the last withdrawal left out"
        )
    return _result(FileFormat.PAYPAL, "paypal", payouts, problems)


_KLARNA_SIGNS = {"SALE": 1, "RETURN": -1, "REVERSAL": -1, "RELEASE": 1, "HOLDBACK": -1}


@dataclass(slots=True)
class _KlarnaCharge:
    """Klarna spreads one capture over SALE / FEE / RETURN rows; this collects them."""

    row: _Row
    gross: Decimal = ZERO
    fee: Decimal = ZERO
    kinds: list[str] = field(default_factory=list)
    day: date | None = None

    def charge(self, charge_id: str) -> PspCharge:
        row = self.row
        return PspCharge(
            charge_id=charge_id,
            kind="+".join(dict.fromkeys(self.kinds)).lower(),
            gross=self.gross,
            fee=self.fee,
            net=self.gross - self.fee,
            currency=row.get("currency").upper(),
            invoice_reference=row.get("reference1") or row.get("capture_reference") or row.get("reference2"),
            created=self.day,
            description=row.get("order_id"),
            source_location=row.loc,
        )


def parse_klarna(data: bytes, *, source: str = "") -> ParseResult:
    """Klarna settlement report: rows grouped by ``payment_reference`` (the bank's payout text)."""
    problems = ProblemLog(source)
    payouts: dict[str, _Payout] = {}
    charges: dict[tuple[str, str], _KlarnaCharge] = {}

    def handle(row: _Row) -> None:
        payout_id = row.get("payout")
        if not payout_id:
            raise ValueError("payment_reference: empty")
        payout = payouts.setdefault(payout_id, _Payout(payout_id, row.loc))
        if row.get("payout_total"):
            payout.net = row.amount("payout_total")
        payout.day = payout.day or row.day("payout_date")
        kind = row.get("type").upper()
        amount = abs(row.amount("amount"))
        key = (payout_id, row.get("capture_id") or row.get("order_id") or row.loc)
        entry = charges.setdefault(key, _KlarnaCharge(row))
        entry.kinds.append(kind)
        entry.day = entry.day or row.day("capture_date") or row.day("sale_date")
        if "FEE" in kind or kind == "TAX" or "FEE" in row.get("detailed_type").upper():
            entry.fee += amount
        elif kind in _KLARNA_SIGNS:
            entry.gross += _KLARNA_SIGNS[kind] * amount
        else:
            problems.warning(row.loc, f"unknown Klarna type {kind!r} taken as written")
            entry.gross += row.amount("amount")

    _rows(_table(data, KLARNA, ("amount", "payout", "type"), source), problems, handle)
    for (payout_id, charge_id), entry in charges.items():
        payouts[payout_id].charges.append(entry.charge(charge_id))
    return _result(FileFormat.KLARNA, "klarna", payouts.values(), problems)


def _result(fmt: FileFormat, provider: str, payouts: Iterable[_Payout], problems: ProblemLog) -> ParseResult:
    built = tuple(p.build(provider, problems) for p in payouts)
    return ParseResult(format=fmt, payouts=built, problems=tuple(problems.items), format_version=provider)
