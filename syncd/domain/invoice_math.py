"""syncd's reading of the invoice arithmetic Bokio does not document, decided once.

Bokio exposes ``totalAmount``, ``totalTax``, ``paidAmount`` and ``status`` on an invoice but no
outstanding amount, and its material is silent or contradictory on how they relate (reference
§5.1, §7, §17, §18). Every choice syncd makes lives here. The sandbox plays Bokio with its own
code and can play every reading (``syncd.sandbox.rules``), so a wrong choice here shows in a test.
Lines come in as :class:`Line` values (``syncd.mirror`` builds them from Bokio's typed lines),
never in Bokio's wire shape. The choices:

1. **Line rounding.** Each sales line: ``net = round(quantity * unitPrice)`` and
   ``vat = round(net * taxRate / 100)``, both rounded to öre (banker's rounding, as
   :func:`syncd.domain.money.quantize`); the invoice gross is the sum of ``net + vat`` over lines.
   Rounding per line (not on the sum) is what Swedish invoicing programs print line by line.
2. **``totalAmount`` is net of VAT or includes it**: the spec's examples (1*5000 + 10*500 at
   25 % → ``totalAmount`` 10000, ``totalTax`` 2500) read as net, but they may be sloppy, so
   :func:`check_totals` tells for a real invoice which reading its numbers fit, and reports a
   misfit as a problem, never a guess. **Öresavrundning:** Bokio rounds a SEK invoice's amount
   to pay to whole kronor by default (switchable per invoice; the API has no rounding field). A
   SEK ``totalAmount`` that is the lines' gross rounded to whole kronor (or their net plus that
   rounding) fits too, and the rounded amount is what is owed. A payment that differs from what
   is owed by at most :data:`ROUNDING_LIMIT` is never closed with a bank fee
   (``syncd.match.plan``): a person decides.
3. **Money in base currency.** Payments and settlements are in SEK (``sumBaseCurrency``), so
   ``paidAmount`` and the outstanding amount are in base currency: ``gross * currencyRate``
   rounded to öre (:func:`gross_base`).
4. **``paidAmount`` includes settlements** (:data:`PAID_INCLUDES_SETTLEMENTS`): Bokio describes a
   settlement as something that "adjusts the invoice's outstanding amount", and an invoice paid
   990 + a 10 SEK bank fee shows as paid, which only works if the fee counts as paid.
   :func:`outstanding` takes the flag so a differing real Bokio is one constant away.
5. **Settlement sign.** Bokio says both "positive ``sumBaseCurrency`` reduces the outstanding
   amount" and "currency gain or loss is reflected in ``sumBaseCurrency`` being positive or
   negative". :class:`SettlementSign` names the two readings; the default is
   ``POSITIVE_REDUCES`` for every type (design §2.5: configurable, tested).
6. **Status.** Exact to the öre: outstanding 0 → ``paid``; < 0 → ``overPaid``; > 0 and past
   ``dueDate`` (Stockholm "today", passed in) → ``overdue``; > 0 with something paid →
   ``underPaid``; else ``published``. Published credit notes covering the gross → ``credited``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from syncd.domain.money import ORE, ZERO, quantize

PAID_INCLUDES_SETTLEMENTS = True
"""Assumption 4: ``paidAmount`` = Σ payments + Σ settlement effects."""


class TotalsReading(enum.StrEnum):
    """How an invoice's ``totalAmount`` relates to VAT."""

    NET = "net"  # totalAmount excludes VAT; gross = totalAmount + totalTax
    GROSS = "gross"  # totalAmount includes VAT; gross = totalAmount
    EITHER = "either"  # no VAT on the invoice: both readings give the same gross


ROUNDING_LIMIT = Decimal("0.50")
"""Öresavrundning to whole kronor moves an amount by at most 50 öre."""


class SettlementSign(enum.StrEnum):
    """Reading of the sign of a settlement's ``sumBaseCurrency`` (Bokio's docs contradict)."""

    POSITIVE_REDUCES = "positive_reduces"  # every type: +x lowers the outstanding amount by x
    CURRENCY_POSITIVE_IS_GAIN = "currency_positive_is_gain"  # currency: +x is a gain, raises it


DEFAULT_SETTLEMENT_SIGN = SettlementSign.POSITIVE_REDUCES


@dataclass(frozen=True)
class Readings:
    """syncd's reading of the rules Bokio leaves open (``[bokio]`` in the configuration).

    The defaults are spelled here once; settings, the puller and the allocations' lifecycle all
    start from them.
    """

    settlement_sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN
    paid_includes_settlements: bool = PAID_INCLUDES_SETTLEMENTS
    record_invoice_first: str = "auto"
    """Record an unrecorded invoice before its payment: ``auto`` (as the books show), ``always``,
    ``never`` (see syncd.calibration.record_order)."""


DEFAULT_READINGS = Readings()


class Status(enum.StrEnum):
    """Invoice statuses from the spec (``credit`` is listed there but never derived here)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    PAID = "paid"
    OVERPAID = "overPaid"
    UNDERPAID = "underPaid"
    OVERDUE = "overdue"
    CREDITED = "credited"
    CREDIT = "credit"


@dataclass(frozen=True, slots=True)
class LineTotals:
    """Net, VAT and gross of one line, each rounded to öre."""

    net: Decimal
    vat: Decimal
    tax_rate: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over an invoice's lines, in invoice currency."""

    net: Decimal
    vat: Decimal
    lines: tuple[LineTotals, ...]

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True, slots=True)
class TotalsCheck:
    """Result of :func:`check_totals`: the reading that fits, or a problem saying why none does."""

    reading: TotalsReading | None
    gross: Decimal
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice line as the arithmetic needs it; ``priced=False`` for a description-only line."""

    quantity: Decimal = Decimal(1)
    unit_price: Decimal = ZERO
    tax_rate: Decimal = ZERO
    priced: bool = True


def line_totals(line: Line) -> LineTotals | None:
    """Totals of one line; ``None`` for a description-only line.

    >>> line_totals(Line(Decimal("3"), Decimal("33.33"), Decimal("25")))
    LineTotals(net=Decimal('99.99'), vat=Decimal('25.00'), tax_rate=Decimal('25'))
    """
    if not line.priced:
        return None
    net = quantize(line.quantity * line.unit_price)
    return LineTotals(net=net, vat=quantize(net * line.tax_rate / 100), tax_rate=line.tax_rate)


def totals(lines: Iterable[Line]) -> Totals:
    """Net, VAT and gross of a list of lines.

    >>> t = totals([Line(Decimal(1), Decimal(5000), Decimal(25)), Line(priced=False)])
    >>> (t.net, t.vat, t.gross)
    (Decimal('5000.00'), Decimal('1250.00'), Decimal('6250.00'))
    """
    computed = tuple(lt for lt in (line_totals(line) for line in lines) if lt is not None)
    return Totals(
        net=sum((lt.net for lt in computed), ZERO),
        vat=sum((lt.vat for lt in computed), ZERO),
        lines=computed,
    )


def to_whole_kronor(amount: Decimal) -> Decimal:
    """Öresavrundning: the nearest whole krona, 50 öre up.

    >>> to_whole_kronor(Decimal("1249.60")), to_whole_kronor(Decimal("1250.50"))
    (Decimal('1250.00'), Decimal('1251.00'))
    """
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(ORE)


def check_totals(
    lines: Iterable[Line],
    total_amount: Decimal,
    total_tax: Decimal,
    *,
    rounded: bool = False,
    tolerance_per_line: Decimal = ORE,
) -> TotalsCheck:
    """Which reading of ``totalAmount`` a real invoice's numbers fit, and what is to pay.

    Allows ``tolerance_per_line`` of rounding difference per sales line (Bokio may round the
    sum instead of each line). With ``rounded`` (a SEK invoice) a total that carries
    öresavrundning fits as well, and the rounded amount is to pay. A misfit is returned as a
    problem, never resolved by guessing.

    >>> lines = [Line(Decimal(10), Decimal(500), Decimal(25))]
    >>> check_totals(lines, Decimal(5000), Decimal(1250)).reading
    <TotalsReading.NET: 'net'>
    >>> check_totals(lines, Decimal(6250), Decimal(1250)).reading
    <TotalsReading.GROSS: 'gross'>
    >>> check_totals(lines, Decimal(6000), Decimal(1250)).problem is not None
    True
    >>> odd = [Line(Decimal(1), Decimal("999.68"), Decimal(25))]  # gross 1 249,60
    >>> check_totals(odd, Decimal(1250), Decimal("249.92"), rounded=True).gross
    Decimal('1250.00')
    """
    t = totals(lines)
    slack = tolerance_per_line * max(len(t.lines), 1)
    if abs(total_tax - t.vat) > slack:
        return TotalsCheck(None, t.gross, f"totalTax {total_tax} does not match the lines' VAT {t.vat}")
    if total_tax == ZERO and abs(total_amount - t.net) <= slack:
        return TotalsCheck(TotalsReading.EITHER, total_amount)
    if abs(total_amount - t.net) <= slack:
        return TotalsCheck(TotalsReading.NET, total_amount + total_tax)
    if abs(total_amount - t.gross) <= slack:
        return TotalsCheck(TotalsReading.GROSS, total_amount)
    fit = _rounded_fit(t, total_amount) if rounded else None
    return fit or TotalsCheck(
        None,
        t.gross,
        f"totalAmount {total_amount} fits neither net {t.net} nor gross {t.gross} of the lines",
    )


def _rounded_fit(t: Totals, total_amount: Decimal) -> TotalsCheck | None:
    """The reading a total with öresavrundning fits (gross rounded, or net plus the rounding)."""
    to_pay = to_whole_kronor(t.gross)
    if total_amount == to_pay:
        return TotalsCheck(TotalsReading.GROSS, to_pay)
    if total_amount == t.net + (to_pay - t.gross):
        return TotalsCheck(TotalsReading.NET, to_pay)
    return None


def gross_base(gross: Decimal, currency_rate: Decimal) -> Decimal:
    """Gross converted to base currency (SEK), rounded to öre.

    >>> gross_base(Decimal("100.00"), Decimal("11.4567"))
    Decimal('1145.67')
    """
    return quantize(gross * currency_rate)


def settlement_effect(
    settlement_type: str, sum_base: Decimal, sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN
) -> Decimal:
    """By how much a settlement reduces the outstanding amount (negative: raises it).

    >>> settlement_effect("bankFee", Decimal(10))
    Decimal('10')
    >>> settlement_effect("currency", Decimal(10), SettlementSign.CURRENCY_POSITIVE_IS_GAIN)
    Decimal('-10')
    """
    if settlement_type == "currency" and sign is SettlementSign.CURRENCY_POSITIVE_IS_GAIN:
        return -sum_base
    return sum_base


def currency_settlement_sum(difference: Decimal, sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN) -> Decimal:
    """``sumBaseCurrency`` for a currency settlement that removes ``difference`` of outstanding.

    ``difference`` > 0: the customer paid too little SEK (a loss) and the settlement must reduce
    the outstanding amount; < 0: a gain.

    >>> currency_settlement_sum(Decimal("-12.50"))
    Decimal('-12.50')
    >>> currency_settlement_sum(Decimal("-12.50"), SettlementSign.CURRENCY_POSITIVE_IS_GAIN)
    Decimal('12.50')
    """
    if sign is SettlementSign.CURRENCY_POSITIVE_IS_GAIN:
        return -difference
    return difference


def paid_amount(
    payments: Iterable[Decimal],
    settlements: Iterable[tuple[str, Decimal]],
    *,
    sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN,
    includes_settlements: bool = PAID_INCLUDES_SETTLEMENTS,
) -> Decimal:
    """``paidAmount`` as the sandbox reports it from payment sums and ``(type, sum)`` settlements."""
    total = sum(payments, ZERO)
    if includes_settlements:
        total += sum((settlement_effect(kind, amount, sign) for kind, amount in settlements), ZERO)
    return total


def outstanding(
    gross: Decimal,
    paid: Decimal,
    settlements: Iterable[tuple[str, Decimal]] = (),
    *,
    credited: Decimal = ZERO,
    sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN,
    paid_includes_settlements: bool = PAID_INCLUDES_SETTLEMENTS,
) -> Decimal:
    """The one place that derives what is still owed on an invoice, in base currency.

    ``gross`` in base currency, ``paid`` is Bokio's ``paidAmount``, ``settlements`` the invoice's
    ``(type, sumBaseCurrency)`` pairs, ``credited`` the gross of published credit notes. Under
    :data:`PAID_INCLUDES_SETTLEMENTS` the settlements are already inside ``paid``.

    >>> outstanding(Decimal(1000), Decimal(1000), [("bankFee", Decimal(10))])
    Decimal('0')
    >>> outstanding(Decimal(1000), Decimal(990), [("bankFee", Decimal(10))],
    ...             paid_includes_settlements=False)
    Decimal('0')
    """
    remaining = gross - paid - credited
    if not paid_includes_settlements:
        remaining -= sum((settlement_effect(kind, amount, sign) for kind, amount in settlements), ZERO)
    return remaining


def derive_status(  # noqa: PLR0911 - one return per status reads best
    *,
    published: bool,
    gross: Decimal,
    paid: Decimal,
    remaining: Decimal,
    due_date: date,
    today: date,
    credited: Decimal = ZERO,
) -> Status:
    """Bokio's invoice status from the amounts and a Stockholm ``today`` (no clock inside).

    >>> derive_status(published=True, gross=Decimal(100), paid=Decimal(40), remaining=Decimal(60),
    ...               due_date=date(2026, 1, 31), today=date(2026, 1, 15))
    <Status.UNDERPAID: 'underPaid'>
    >>> derive_status(published=True, gross=Decimal(100), paid=Decimal(0), remaining=Decimal(100),
    ...               due_date=date(2026, 1, 31), today=date(2026, 2, 1))
    <Status.OVERDUE: 'overdue'>
    """
    if not published:
        return Status.DRAFT
    if credited > ZERO and credited >= gross:
        return Status.CREDITED
    if remaining == ZERO:
        return Status.PAID
    if remaining < ZERO:
        return Status.OVERPAID
    if today > due_date:
        return Status.OVERDUE
    if paid != ZERO or credited > ZERO:
        return Status.UNDERPAID
    return Status.PUBLISHED


OPEN_STATUSES = frozenset({Status.PUBLISHED, Status.UNDERPAID, Status.OVERDUE})
"""Statuses of invoices that can still receive money."""
