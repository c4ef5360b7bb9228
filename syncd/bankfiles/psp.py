"""PSP payout reports (Stripe, PayPal, Klarna) → one :class:`PspPayout` per bank credit.

A PSP pays out net of its fees (reconciliation.md §3): the bank shows one credit, the report lists
the charges behind it. Each charge keeps gross, fee (positive = cost) and net, and every payout is
checked: Σ net of its charges must equal the payout, otherwise the split cannot be trusted and an
ERROR problem says so. Column names vary between export types, so each field accepts aliases.

Reports are read row by row (:class:`PspStream`), so memory holds one payout, not the file. That
rests on an assumption about order, checked as the rows come: a Stripe or Klarna report keeps the
rows of one payout together (as the payout reconciliation and settlement reports do), and a PayPal
activity export is in time order, newest or oldest first. A report that breaks it raises
:class:`UnorderedReport`; the in-memory parsers (:func:`parse_stripe` …) accept any order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncd.bankfiles.model import FileFormat, ParseResult, ProblemLog, PspCharge, PspPayout
from syncd.bankfiles.textio import Row, chunked, find_header, open_table
from syncd.domain.money import parse_amount
from syncd.errors import ParseError

ZERO = Decimal(0)
KIND_MAX = 40  # the psp_charges.kind column: a PSP's long type name is cut, not refused by the database
_LIMIT = Decimal("1e15")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")

Aliases = dict[str, tuple[str, ...]]

STRIPE_REFERENCE_KEYS: tuple[str, ...] = (
    "invoice_reference (metadata)",
    "payment_metadata[invoice_reference]",
    "metadata[invoice_reference]",
    "invoice_reference",
    "invoice_number",
    "invoice_id",
)
"""Where a Stripe report holds the Bokio invoice number unless a company says otherwise."""

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
    "invoice": STRIPE_REFERENCE_KEYS,
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
    "reference_txn": ("reference txn id",),
    "invoice": ("invoice number", "invoice id"),
    "custom": ("custom number", "custom field"),
    "event": ("transaction event code",),
    "impact": ("balance impact",),
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


class UnorderedReport(ParseError):
    """A streamed report is not in the order streaming relies on (see the module docstring)."""


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

    def column(self, header_name: str) -> str:
        """The cell under a header name (lower case) as written, '' when absent."""
        col = self.header.get(header_name)
        return self.cells[col] if col is not None and col < len(self.cells) else ""

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


def _table(
    chunks: Iterable[bytes], aliases: Aliases, required: tuple[str, ...], source: str
) -> Iterator[_Row]:
    """The report's data rows, read lazily after the header (searched among the first rows)."""
    head, rest = open_table(chunks, delimiter=None, default="utf-8", source=source)
    groups = [frozenset(aliases[name]) for name in required]
    found = find_header(head, groups)
    if found is None:
        wanted = [aliases[name][0] for name in required]
        raise ParseError(f"no header row with columns {wanted}", location="line 1", source=source)
    index, header = found
    rows: Iterable[Row] = itertools.chain(head[index + 1 :], rest)
    return (_Row(line, cells, header, aliases) for line, cells in rows)


def _checked(charge: PspCharge, problems: ProblemLog) -> PspCharge:
    if charge.gross - charge.fee != charge.net:
        problems.error(charge.source_location, f"gross {charge.gross} - fee {charge.fee} ≠ net {charge.net}")
    return charge


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


class _Grouped:
    """Collects rows into payouts by id; streamed, a payout is done when the next one starts."""

    def __init__(self, provider: str, problems: ProblemLog, *, streamed: bool) -> None:
        self.provider = provider
        self.problems = problems
        self.streamed = streamed
        self.open: dict[str, _Payout] = {}
        self.done: set[str] = set()
        self.ready: list[_Payout] = []

    def payout(self, payout_id: str, loc: str) -> _Payout:
        """The payout a row belongs to; streamed, starting a new one closes the previous."""
        found = self.open.get(payout_id)
        if found is not None:
            return found
        if payout_id in self.done:
            raise UnorderedReport(
                f"rows of payout {payout_id} continue after other payouts: a streamed report must keep "
                "each payout's rows together (export it sorted by payout)",
                location=loc,
            )
        if self.streamed:
            self.close()
        self.open[payout_id] = _Payout(payout_id, loc)
        return self.open[payout_id]

    def close(self) -> None:
        """Every open payout is complete."""
        self.done.update(self.open)
        self.ready.extend(self.open.values())
        self.open.clear()

    def take(self) -> list[_Payout]:
        """Completed payouts not handed out yet."""
        ready, self.ready = self.ready, []
        return ready


class _StripeRows:
    """Turns Stripe rows into charges of their payouts; remembers payouts with unreferenced charges."""

    def __init__(self, problems: ProblemLog, groups: _Grouped, reference_keys: Sequence[str]) -> None:
        self.problems, self.groups, self.keys = problems, groups, reference_keys
        self.unpaid: list[str] = []
        self.unreferenced: dict[str, int] = {}

    def handle(self, row: _Row) -> None:
        kind = row.get("type").lower()
        currency = row.get("currency").upper()
        if kind == "payout":
            payout_id = row.get("source") or row.get("payout") or row.get("id")
            payout = self.groups.payout(payout_id, row.loc)
            payout.net, payout.currency, payout.loc = -row.amount("gross"), currency, row.loc
            payout.day = row.day("payout_date") or row.day("created")
            return
        payout_id = row.get("payout")
        reference = next((value for value in map(row.column, self.keys) if value), "")
        charge = _checked(
            PspCharge(
                charge_id=row.get("source") or row.get("id"),
                kind=kind[:KIND_MAX],
                gross=row.amount("gross"),
                fee=row.amount("fee", required=False),
                net=row.amount("net"),
                currency=currency,
                invoice_reference=reference,
                customer_name=row.get("name"),
                customer_email=row.get("email"),
                created=row.day("created"),
                description=row.get("description"),
                source_location=row.loc,
            ),
            self.problems,
        )
        if not payout_id:
            self.unpaid.append(row.loc)
            return
        payout = self.groups.payout(payout_id, row.loc)
        payout.charges.append(charge)
        payout.day = payout.day or row.day("payout_date")
        if kind in _CUSTOMER_KINDS and not reference:
            self.unreferenced[payout_id] = self.unreferenced.get(payout_id, 0) + 1

    def check(self, payout: PspPayout) -> None:
        """A payout none of whose charges names an invoice cannot be booked: say so, naming it."""
        charges = sum(1 for c in payout.charges if c.kind in _CUSTOMER_KINDS)
        if charges and self.unreferenced.pop(payout.payout_id, 0) == charges:
            self.problems.warning(
                payout.source_location,
                f"payout {payout.payout_id}: none of its {charges} charges carries an invoice reference "
                f"in the columns {list(self.keys)}; if the Bokio invoice number is in another metadata "
                "column, set [companies.matching] stripe_reference_keys to it",
            )

    def finish(self) -> None:
        if self.unpaid:
            self.problems.warning(
                self.unpaid[0], f"{len(self.unpaid)} rows belong to no payout yet and were left out"
            )


_CUSTOMER_KINDS = frozenset({"charge", "payment"})


class PspStream:
    """Iterate the payouts of a PSP report as each is complete; afterwards ``result()`` has the rest.

    ``streamed`` False (the in-memory parsers) lifts the order assumption: rows are grouped (or,
    for PayPal, sorted) before payouts are built.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        fmt: FileFormat,
        *,
        source: str = "",
        stripe_reference_keys: Sequence[str] | None = None,
        streamed: bool = True,
    ) -> None:
        if fmt not in {FileFormat.STRIPE, FileFormat.PAYPAL, FileFormat.KLARNA}:
            raise ValueError(f"{fmt.value} is not a PSP report")
        self.format = fmt
        self.source = source
        self.problems = ProblemLog(source)
        self.streamed = streamed
        self._chunks = chunks
        keys = tuple(k.strip().lower() for k in stripe_reference_keys or ()) or STRIPE_REFERENCE_KEYS
        self.reference_keys = keys

    def __iter__(self) -> Iterator[PspPayout]:
        if self.format is FileFormat.STRIPE:
            return self._stripe()
        if self.format is FileFormat.PAYPAL:
            from syncd.bankfiles.paypal import paypal_payouts

            return paypal_payouts(self)
        return self._klarna()

    def rows(self, aliases: Aliases, required: tuple[str, ...]) -> Iterator[_Row]:
        """The report's rows; ``aliases`` extended by any configured reference column."""
        return _table(self._chunks, aliases, required, self.source)

    def _stripe(self) -> Iterator[PspPayout]:
        aliases = {**STRIPE, "invoice": self.reference_keys}
        groups = _Grouped("stripe", self.problems, streamed=self.streamed)
        stripe = _StripeRows(self.problems, groups, self.reference_keys)
        rows = self.rows(aliases, ("gross", "net", "currency"))
        for row in itertools.chain(rows, [None]):
            if row is None:
                groups.close()
            else:
                _guarded(row, self.problems, stripe.handle)
            for payout in groups.take():
                built = payout.build("stripe", self.problems)
                stripe.check(built)
                yield built
        stripe.finish()

    def _klarna(self) -> Iterator[PspPayout]:
        groups = _Grouped("klarna", self.problems, streamed=self.streamed)
        captures: dict[tuple[str, str], _KlarnaCharge] = {}

        def handle(row: _Row) -> None:
            payout_id = row.get("payout")
            if not payout_id:
                raise ValueError("payment_reference: empty")
            payout = groups.payout(payout_id, row.loc)
            if row.get("payout_total"):
                payout.net = row.amount("payout_total")
            payout.day = payout.day or row.day("payout_date")
            kind = row.get("type").upper()
            amount = abs(row.amount("amount"))
            key = (payout_id, row.get("capture_id") or row.get("order_id") or row.loc)
            entry = captures.setdefault(key, _KlarnaCharge(row))
            entry.kinds.append(kind)
            entry.day = entry.day or row.day("capture_date") or row.day("sale_date")
            if "FEE" in kind or kind == "TAX" or "FEE" in row.get("detailed_type").upper():
                entry.fee += amount
            elif kind in _KLARNA_SIGNS:
                entry.gross += _KLARNA_SIGNS[kind] * amount
            else:
                self.problems.warning(row.loc, f"unknown Klarna type {kind!r} taken as written")
                entry.gross += row.amount("amount")

        rows = self.rows(KLARNA, ("amount", "payout", "type"))
        for row in itertools.chain(rows, [None]):
            if row is None:
                groups.close()
            else:
                _guarded(row, self.problems, handle)
            for payout in groups.take():
                for key in [k for k in captures if k[0] == payout.payout_id]:
                    payout.charges.append(captures.pop(key).charge(key[1]))
                yield payout.build("klarna", self.problems)

    def result(self, payouts: Iterable[PspPayout] = ()) -> ParseResult:
        """The ParseResult for what was iterated (pass the payouts if you kept them)."""
        return ParseResult(
            format=self.format,
            payouts=tuple(payouts),
            problems=tuple(self.problems.items),
            format_version=self.format.value,
        )


def _guarded(row: _Row, problems: ProblemLog, handle: Callable[[_Row], None]) -> None:
    """Apply ``handle`` to a row; a row that cannot be read becomes an ERROR problem."""
    try:
        handle(row)
    except UnorderedReport:
        raise
    except ValueError as exc:
        problems.error(row.loc, f"row skipped: {exc}")


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
            kind="+".join(dict.fromkeys(self.kinds)).lower()[:KIND_MAX],
            gross=self.gross,
            fee=self.fee,
            net=self.gross - self.fee,
            currency=row.get("currency").upper(),
            invoice_reference=row.get("reference1") or row.get("capture_reference") or row.get("reference2"),
            created=self.day,
            description=row.get("order_id"),
            source_location=row.loc,
        )


def _parse(data: bytes, fmt: FileFormat, source: str, **options: Sequence[str] | None) -> ParseResult:
    stream = PspStream(chunked(data), fmt, source=source, streamed=False, **options)
    return stream.result(list(stream))


def parse_stripe(
    data: bytes, *, source: str = "", reference_keys: Sequence[str] | None = None
) -> ParseResult:
    """Stripe balance-transactions / payout-reconciliation export, grouped by automatic payout."""
    return _parse(data, FileFormat.STRIPE, source, stripe_reference_keys=reference_keys)


def parse_paypal(data: bytes, *, source: str = "") -> ParseResult:
    """PayPal activity export: the customer payments before each withdrawal make its payout."""
    return _parse(data, FileFormat.PAYPAL, source)


def parse_klarna(data: bytes, *, source: str = "") -> ParseResult:
    """Klarna settlement report: rows grouped by ``payment_reference`` (the bank's payout text)."""
    return _parse(data, FileFormat.KLARNA, source)
