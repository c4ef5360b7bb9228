"""Which reading of Bokio's open rules one invoice's own numbers fit (pure).

Bokio shows an invoice's ``paidAmount`` beside the payments and settlements it holds. Read every
way Bokio's documentation allows -- settlements counted in ``paidAmount`` or not, the sign of a
currency settlement, ``paidAmount`` in SEK or in the invoice's currency -- the payments and
settlements give a few candidate ``paidAmount`` figures; the readings whose figure equals
Bokio's are the ones this invoice is evidence for. An invoice that no reading explains is itself
suspect: syncd never books it automatically (:mod:`syncd.calibration.evidence`).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from syncd.domain import invoice_math as im
from syncd.domain.money import ZERO, quantize


class Rule(enum.StrEnum):
    """A rule Bokio's documentation leaves open, as syncd's configuration names it."""

    PAID_INCLUDES_SETTLEMENTS = "paid_includes_settlements"
    SETTLEMENT_SIGN = "settlement_sign"
    PAID_CURRENCY = "paid_currency"


SEK = "SEK"
INVOICE_CURRENCY = "invoice"


@dataclass(frozen=True, slots=True)
class Reading:
    """One combination of answers to the open rules."""

    paid_includes_settlements: bool
    settlement_sign: im.SettlementSign
    paid_currency: str  # SEK | invoice

    def answer(self, rule: Rule) -> str:
        """This reading's answer to ``rule``, as text (``"True"``, ``"positive_reduces"``, ``"SEK"``)."""
        return str(getattr(self, rule.value))


READINGS = tuple(
    Reading(includes, sign, currency)
    for includes, sign, currency in itertools.product(
        (True, False), tuple(im.SettlementSign), (SEK, INVOICE_CURRENCY)
    )
)


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What the mirror holds of one invoice, as Bokio last showed it."""

    number: str
    currency: str
    currency_rate: Decimal
    paid: Decimal
    payments: Sequence[Decimal]
    settlements: Sequence[tuple[str, Decimal]]


def shown_paid(facts: InvoiceFacts, reading: Reading) -> Decimal:
    """The ``paidAmount`` Bokio would show for ``facts`` under ``reading``."""
    paid = im.paid_amount(
        facts.payments,
        facts.settlements,
        sign=reading.settlement_sign,
        includes_settlements=reading.paid_includes_settlements,
    )
    if reading.paid_currency == INVOICE_CURRENCY and facts.currency != SEK and facts.currency_rate > ZERO:
        return quantize(paid / facts.currency_rate)
    return paid


def fitting(facts: InvoiceFacts) -> list[Reading]:
    """Every reading under which the payments and settlements give Bokio's ``paidAmount``."""
    return [reading for reading in READINGS if shown_paid(facts, reading) == facts.paid]


def telling(facts: InvoiceFacts) -> bool:
    """Whether the invoice can tell readings apart at all (money on it)."""
    return bool(facts.payments) or bool(facts.settlements)


def verdict(fits: Iterable[Reading], rule: Rule, configured: str) -> str:
    """``agree``, ``disagree`` or ``undecided`` for ``rule`` read as ``configured``."""
    answers = {reading.answer(rule) for reading in fits}
    if len(answers) != 1:
        return "undecided"  # no reading fits (the invoice is unexplained), or both answers fit
    return "agree" if configured in answers else "disagree"
