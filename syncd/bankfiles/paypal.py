"""PayPal's activity download as PayPal writes it: payouts from withdrawals, charges from payments.

The export is a log of the PayPal balance, not a payout report. Between two withdrawals it holds
customer payments (with PayPal's fee), refunds, "General Currency Conversion" pairs, holds and
their releases, outgoing payments and deposits; the withdrawal itself (the bank credit) is often
still marked *Pending* long after the bank booked it. So:

* a withdrawal counts whatever its status (only denied or cancelled ones are left out);
* customer payments (and refunds, as negative charges) since the previous withdrawal are the
  payout's charges, in the currency the customer paid;
* conversions, holds and releases, outgoing payments and everything else are never charges; they
  only have to *explain* the withdrawal: per currency, what came in, was converted and went out
  must add up to exactly what was withdrawn. Holds released before the withdrawal cancel out.
  Charges in another currency than the withdrawal must be converted by the conversion rows (the
  SEK withdrawal then settles USD charges at the rate the conversion shows, which the matcher
  derives from the payout: see :mod:`syncd.match.tiers.psp`).

A withdrawal whose window does not add up (an outgoing payment, a hold still open, money left on
the balance, charges in two foreign currencies) is not turned into a payout: a WARNING names it
and why, and its bank credit stays for a person to book.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from syncd.bankfiles.model import ProblemLog, PspCharge, PspPayout
from syncd.bankfiles.psp import KIND_MAX, PAYPAL, ZERO, PspStream, UnorderedReport, _checked, _guarded, _Row
from syncd.domain.money import quantize


class Activity(enum.Enum):
    """What one row of the activity download is, for the payout."""

    CHARGE = "customer payment"
    REFUND = "refund"
    WITHDRAWAL = "withdrawal"
    CONVERSION = "currency conversion"
    HOLD = "hold or release"
    OUTGOING = "outgoing payment"
    OTHER = "other balance change"
    NONE = "no balance change"


_DEAD = frozenset({"denied", "canceled", "cancelled", "reversed", "nekad", "avbruten", "failed"})
_NOT_YET = frozenset({"pending", "väntande", "unclaimed", "held", "on hold"}) | _DEAD
_HOLD_WORDS = ("hold", "release", "reserve", "spärr", "frisläpp")


def classify(row: _Row) -> Activity:  # noqa: PLR0911 - one return per kind reads best
    """The row's :class:`Activity`, from Type, Status, Balance Impact and (if given) event code."""
    kind = row.get("type").lower()
    status = row.get("status").lower()
    impact = row.get("impact").lower()
    event = row.get("event").upper()
    if "withdrawal" in kind or "uttag" in kind or event.startswith("T04"):
        return Activity.NONE if status in _DEAD else Activity.WITHDRAWAL
    if impact == "memo" or (not impact and status in _NOT_YET):
        return Activity.NONE
    if "currency conversion" in kind or "valutaomvandling" in kind or event.startswith("T02"):
        return Activity.CONVERSION
    if any(word in kind for word in _HOLD_WORDS) or event.startswith(("T15", "T16")):
        return Activity.HOLD
    if "refund" in kind or "återbetalning" in kind or event.startswith("T11"):
        return Activity.REFUND
    payment = "payment" in kind or "betalning" in kind or event.startswith("T00")
    if payment:
        return Activity.CHARGE if row.amount("gross") > 0 else Activity.OUTGOING
    return Activity.OTHER


@dataclass(slots=True)
class _Window:
    """Balance activity since the previous withdrawal, per currency, plus the charges."""

    charges: list[PspCharge] = field(default_factory=list)
    charge_net: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    converted: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    other: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    unexplained: list[str] = field(default_factory=list)
    rows: int = 0

    def add(self, row: _Row, activity: Activity, problems: ProblemLog) -> None:
        self.rows += 1
        currency = row.get("currency").upper()
        net = row.amount("net", required=False) or row.amount("gross")
        if activity in {Activity.CHARGE, Activity.REFUND}:
            charge = _charge(row, activity, currency, problems)
            self.charges.append(charge)
            self.charge_net[currency] += charge.net
        elif activity is Activity.CONVERSION:
            self.converted[currency] += net
        elif activity is not Activity.NONE:
            self.other[currency] += net
            if activity is not Activity.HOLD:
                text = f"{activity.value} {row.get('id') or row.loc} ({net} {currency}, {row.loc})"
                self.unexplained.append(text)


def _charge(row: _Row, activity: Activity, currency: str, problems: ProblemLog) -> PspCharge:
    return _checked(
        PspCharge(
            charge_id=row.get("id"),
            kind=("refund" if activity is Activity.REFUND else row.get("type") or "payment")[:KIND_MAX],
            gross=row.amount("gross"),
            fee=-row.amount("fee", required=False),  # PayPal writes fees as negative numbers
            net=row.amount("gross") + row.amount("fee", required=False),
            currency=currency,
            invoice_reference=row.get("invoice") or row.get("custom"),
            customer_name=row.get("name"),
            customer_email=row.get("email"),
            created=row.day("date"),
            source_location=row.loc,
        ),
        problems,
    )


@dataclass(frozen=True, slots=True)
class _Withdrawal:
    transaction_id: str
    amount: Decimal
    currency: str
    day: date | None
    loc: str


def _why_not(window: _Window, out: _Withdrawal) -> str | None:  # noqa: PLR0911 - one per reason
    """Why the window does not explain the withdrawal exactly, or None when it does."""
    held = {c: v for c, v in window.other.items() if v and not window.unexplained}
    if window.unexplained:
        return (
            "the balance also moved by "
            + "; ".join(window.unexplained[:3])
            + (f" and {len(window.unexplained) - 3} more" if len(window.unexplained) > 3 else "")
        )
    if held:
        return (
            "a hold is not released before the withdrawal ("
            + ", ".join(f"{v} {c}" for c, v in sorted(held.items()))
            + ")"
        )
    currencies = set(window.charge_net) | set(window.converted)
    for currency in sorted(currencies - {out.currency}):
        left = window.charge_net[currency] + window.converted[currency]
        if window.charge_net[currency] and not window.converted[currency]:
            return (
                f"the {currency} payments were not converted to {out.currency}: "
                "they stay on the PayPal balance"
            )
        if left:
            return f"{left} {currency} of the payments stayed on the PayPal balance (converted only in part)"
    foreign = [c for c in window.charge_net if c != out.currency and window.charge_net[c]]
    if len(foreign) > 1:
        return (
            f"payments in {', '.join(sorted(foreign))} were converted to {out.currency}: one withdrawal "
            "cannot tell the rate of each currency"
        )
    arrived = window.charge_net[out.currency] + window.converted[out.currency]
    if arrived != out.amount:
        return (
            f"the payments since the previous withdrawal add up to {arrived} {out.currency}, the "
            f"withdrawal is {out.amount}: money was on the balance before, or stays on it"
        )
    return None


def _payout(window: _Window, out: _Withdrawal, problems: ProblemLog) -> PspPayout | None:
    if not window.charges:
        problems.warning(out.loc, f"withdrawal {out.transaction_id} has no customer payments in this export")
        return None
    reason = _why_not(window, out)
    if reason is not None:
        problems.warning(
            out.loc,
            f"PayPal withdrawal {out.transaction_id} ({out.amount} {out.currency}) is left for a person: "
            f"{reason}; its {len(window.charges)} customer payments are not booked automatically",
        )
        return None
    rates = {out.currency: Decimal(1)}
    for currency, net in window.charge_net.items():
        if currency != out.currency and net:
            rates[currency] = window.converted[out.currency] / net
    gross = sum((quantize(c.gross * rates[c.currency]) for c in window.charges), ZERO)
    return PspPayout(
        provider="paypal",
        payout_id=out.transaction_id,
        payout_date=out.day,
        currency=out.currency,
        net=out.amount,
        gross=gross,
        fees=gross - out.amount,
        charges=tuple(window.charges),
        source_location=out.loc,
    )


class _Order(enum.Enum):
    OLDEST_FIRST = "oldest first"
    NEWEST_FIRST = "newest first"


def _stamp(row: _Row) -> tuple[date, str]:
    return (row.day("date") or date.min, row.get("time"))


def paypal_payouts(stream: PspStream) -> Iterator[PspPayout]:
    """The payouts of a PayPal activity download, one per withdrawal, as each window completes."""
    problems = stream.problems
    rows: Iterable[_Row] = stream.rows(PAYPAL, ("gross", "net", "id"))
    if not stream.streamed:
        readable = []
        for row in rows:
            try:
                readable.append((_stamp(row), row.line, row))
            except ValueError as exc:
                problems.error(row.loc, f"row skipped: {exc}")
        readable.sort(key=lambda item: item[:2])  # exports are often newest first
        rows = (item[2] for item in readable)
    yield from _Windows(problems, streamed=stream.streamed).run(rows)


class _Windows:
    """Cuts the activity into windows at withdrawals, in either time order (checked as it goes)."""

    def __init__(self, problems: ProblemLog, *, streamed: bool) -> None:
        self.problems = problems
        self.order: _Order | None = None if streamed else _Order.OLDEST_FIRST
        self.last: tuple[date, str] | None = None
        self.undecided: list[tuple[_Row, Activity]] = []
        self.window = _Window()
        self.opened_by: _Withdrawal | None = None  # newest first: the withdrawal the window belongs to
        self.unwithdrawn = 0
        self.first_unwithdrawn = ""

    def run(self, rows: Iterable[_Row]) -> Iterator[PspPayout]:
        found: list[PspPayout] = []
        for row in rows:
            _guarded(row, self.problems, lambda r: found.extend(self._row(r)))
            yield from found
            found.clear()
        if self.order is None:  # every row at one moment: take the file order as time order
            self.order = _Order.OLDEST_FIRST
        yield from self._replay()
        yield from self._end()

    def _row(self, row: _Row) -> Iterator[PspPayout]:
        stamp = _stamp(row)
        activity = classify(row)
        if self.last is not None and stamp != self.last:
            order = _Order.OLDEST_FIRST if stamp > self.last else _Order.NEWEST_FIRST
            if self.order is None:
                self.order = order
                yield from self._replay()
            elif order is not self.order:
                raise UnorderedReport(
                    f"the export is not in time order ({self.order.value} until here): sort it by date "
                    "and time, or import a smaller file (read whole, any order)",
                    location=row.loc,
                )
        self.last = stamp
        if self.order is None:
            self.undecided.append((row, activity))
            return
        yield from self._apply(row, activity)

    def _replay(self) -> Iterator[PspPayout]:
        undecided, self.undecided = self.undecided, []
        for row, activity in undecided:
            yield from self._apply(row, activity)

    def _apply(self, row: _Row, activity: Activity) -> Iterator[PspPayout]:
        if activity is not Activity.WITHDRAWAL:
            if activity is Activity.NONE and row.get("status"):
                self.problems.warning(row.loc, f"{row.get('status').lower()} {row.get('type')} left out")
            self.window.add(row, activity, self.problems)
            return
        out = _Withdrawal(
            row.get("id"), -row.amount("gross"), row.get("currency").upper(), row.day("date"), row.loc
        )
        if self.order is _Order.OLDEST_FIRST:
            payout = _payout(self.window, out, self.problems)
        else:
            payout = self._close_newest_first()
            self.opened_by = out
        self.window = _Window()
        if payout is not None:
            yield payout

    def _close_newest_first(self) -> PspPayout | None:
        if self.opened_by is None:
            self._left_out(self.window)
            return None
        return _payout(self.window, self.opened_by, self.problems)

    def _left_out(self, window: _Window) -> None:
        if window.charges:
            self.problems.warning(
                window.charges[0].source_location,
                f"{len(window.charges)} customer payments are not withdrawn yet and were left out",
            )

    def _end(self) -> Iterator[PspPayout]:
        if self.order is _Order.NEWEST_FIRST:
            payout = self._close_newest_first()
            if payout is not None:
                yield payout
        else:
            self._left_out(self.window)
