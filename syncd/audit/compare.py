"""Compare the bookings syncd made with Bokio's ledger (a read SIE file): pure, no database.

A booking is found when a voucher on its date books exactly its receivable amount on 1510
against its counter account(s), and nothing else except VAT rows that net to zero. When more
than one voucher fits, the one naming the invoice number wins, then the lowest number. Each
voucher explains at most one booking. Then, per booking:

- **missing**: no voucher fits, not even as first booked;
- **changed**: a voucher fits as first booked (``#BTRANS``/``#RTRANS``) but not as it stands;
- **reversed**: a later voucher books exactly the opposite rows (a person reversed it, or
  deleted the recorded payment, which Bokio answers with a reversing entry);
- **double booked**: another voucher books the same invoice's receivable (it names the invoice
  number) with the same amount within :data:`DOUBLE_WINDOW` of it and is not itself reversed:
  the payment was registered twice (a person books what the statement shows, on or near its
  date; an earlier instalment of the same size weeks before is not a copy).

Last, rows on the bank accounts syncd books to, in vouchers no booking explains, on days the
imported bank files cover, are paired one to one with imported bank lines of the same date and
signed amount; what is left is money in the ledger that syncd never saw on a statement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from syncd.sie import Row, Voucher

RECEIVABLES = 1510
VAT_ACCOUNTS = frozenset({2614, 2645})
ZERO = Decimal(0)
DOUBLE_WINDOW = dt.timedelta(days=10)


@dataclass(frozen=True)
class Booking:
    """One journal entry syncd caused with a ``record`` call, and what it should contain.

    ``receivable`` is the signed SIE amount on 1510 (a payment credits it: negative);
    ``counter_accounts`` may hold alternatives (a currency settlement is a gain or a loss),
    their rows must sum to ``-receivable``.
    """

    allocation_id: int
    invoice_number: str
    kind: str  # "payment" or the settlement type
    date: dt.date
    receivable: Decimal
    counter_accounts: frozenset[int]
    command_id: int = 0

    @property
    def label(self) -> str:
        return "payment" if self.kind == "payment" else f"{self.kind} settlement"


@dataclass(frozen=True)
class BankLine:
    """An imported bank line: signed amount (credits positive) on its booking and value dates."""

    id: int
    dates: frozenset[dt.date]
    amount: Decimal


@dataclass(frozen=True)
class Finding:
    """One disagreement, for a person: what, which vouchers, which invoice."""

    kind: str  # missing | changed | reversed | double_booked | unseen_bank_money
    booking: Booking | None
    vouchers: tuple[Voucher, ...] = ()
    row: Row | None = None


@dataclass
class AuditResult:
    """Bookings found (with their voucher) and every finding."""

    found: list[tuple[Booking, Voucher]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    vouchers_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def _sums(rows: Iterable[Row]) -> Counter[int]:
    out: Counter[int] = Counter()
    for row in rows:
        out[row.account] += row.amount  # type: ignore[assignment]  # Counter of Decimals
    return out


def fits(booking: Booking, rows: Sequence[Row]) -> bool:
    """The rows book exactly this booking (VAT rows netting to zero allowed)."""
    if not rows:
        return False
    sums = _sums(rows)
    allowed = {RECEIVABLES} | booking.counter_accounts | VAT_ACCOUNTS
    if any(account not in allowed for account in sums):
        return False
    counter = sum((sums.get(a, ZERO) for a in booking.counter_accounts), ZERO)
    vat = sum((sums.get(a, ZERO) for a in VAT_ACCOUNTS), ZERO)
    return sums.get(RECEIVABLES, ZERO) == booking.receivable and counter == -booking.receivable and vat == 0


def names(voucher: Voucher, invoice_number: str) -> bool:
    """The voucher's text, a row's text or an object names the invoice number."""
    if not invoice_number:
        return False
    pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(invoice_number)}(?![0-9A-Za-z])")
    texts = [voucher.text, *(r.text for r in voucher.rows), *(o for r in voucher.rows for _, o in r.objects)]
    return any(pattern.search(text) for text in texts)


def _opposite(a: Voucher, b: Voucher) -> bool:
    left = Counter((r.account, r.amount) for r in a.lines)
    right = Counter((r.account, -r.amount) for r in b.lines)
    return bool(left) and left == right


class _Ledger:
    """The vouchers, and which of them are already explained."""

    def __init__(self, vouchers: Sequence[Voucher]) -> None:
        self.vouchers = sorted(vouchers, key=lambda v: (v.series, _number(v.number), v.line))
        self.claimed: set[int] = set()

    def free(self) -> list[Voucher]:
        return [v for v in self.vouchers if id(v) not in self.claimed]

    def claim(self, voucher: Voucher) -> Voucher:
        self.claimed.add(id(voucher))
        return voucher

    def best(self, booking: Booking, candidates: list[Voucher]) -> Voucher | None:
        if not candidates:
            return None
        named = [v for v in candidates if names(v, booking.invoice_number)]
        return self.claim((named or candidates)[0])

    def reversal_of(self, voucher: Voucher) -> Voucher | None:
        later = [v for v in self.free() if v.date >= voucher.date and _opposite(voucher, v)]
        naming = [v for v in later if re.search(rf"\b{re.escape(voucher.ref)}\b", v.text)]
        return self.claim((naming or later)[0]) if later else None


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def compare(
    bookings: Sequence[Booking],
    vouchers: Sequence[Voucher],
    *,
    bank_accounts: frozenset[int],
    bank_lines: Sequence[BankLine],
    explained_bank_lines: frozenset[int] = frozenset(),
) -> AuditResult:
    """Every booking against the ledger, then the ledger's bank rows against the bank lines."""
    ledger = _Ledger(vouchers)
    result = AuditResult(vouchers_read=len(vouchers))
    ordered = sorted(bookings, key=lambda b: (b.date, b.allocation_id, b.command_id))
    for booking in ordered:
        same_day = [v for v in ledger.free() if v.date == booking.date]
        voucher = ledger.best(booking, [v for v in same_day if fits(booking, v.lines)])
        if voucher is None:
            changed = ledger.best(
                booking, [v for v in same_day if v.changed and fits(booking, v.original_lines)]
            )
            result.findings.append(
                Finding("changed", booking, (changed,)) if changed else Finding("missing", booking)
            )
            continue
        result.found.append((booking, voucher))
        reversal = ledger.reversal_of(voucher)
        if reversal is not None:
            result.findings.append(Finding("reversed", booking, (voucher, reversal)))
    for booking, voucher in result.found:
        _doubles(ledger, booking, voucher, result)
    _unseen(ledger, result, bank_accounts, bank_lines, explained_bank_lines)
    return result


def _doubles(ledger: _Ledger, booking: Booking, voucher: Voucher, result: AuditResult) -> None:
    for other in ledger.free():
        same_receivable = _sums(other.lines).get(RECEIVABLES, ZERO) == booking.receivable
        near = abs(other.date - booking.date) <= DOUBLE_WINDOW
        if not (same_receivable and near and names(other, booking.invoice_number)):
            continue
        ledger.claim(other)
        if ledger.reversal_of(other) is None:  # a duplicate someone already reversed is resolved
            result.findings.append(Finding("double_booked", booking, (voucher, other)))


def _unseen(
    ledger: _Ledger,
    result: AuditResult,
    bank_accounts: frozenset[int],
    bank_lines: Sequence[BankLine],
    explained: frozenset[int],
) -> None:
    for voucher in ledger.free():  # a voucher and its reversal move no money together
        if id(voucher) not in ledger.claimed and ledger.reversal_of(voucher) is not None:
            ledger.claim(voucher)
    covered = {d for line in bank_lines for d in line.dates}
    pool = [line for line in bank_lines if line.id not in explained]
    for voucher in ledger.free():
        for row in voucher.lines:
            if row.account not in bank_accounts or voucher.date not in covered:
                continue
            on = row.date or voucher.date
            line = next(
                (b for b in pool if b.amount == row.amount and (on in b.dates or voucher.date in b.dates)),
                None,
            )
            if line is not None:
                pool.remove(line)
            else:
                result.findings.append(Finding("unseen_bank_money", None, (voucher,), row))
