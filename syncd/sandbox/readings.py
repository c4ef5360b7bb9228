"""Readings: one switch per rule Bokio's documentation leaves open, set per sandbox company.

The sandbox must be able to play every reading of Bokio that syncd might meet, so that syncd's
own assumptions can be contradicted by a test. The defaults are the readings the sandbox has
always played (and :mod:`syncd.sandbox.rules` implements each one):

- ``paid_includes_settlements`` -- ``paidAmount`` counts settlements (True) or only payments.
- ``paid_currency`` -- ``paidAmount`` of a foreign-currency invoice in SEK or in the invoice's
  own currency (converted back with its ``currencyRate``).
- ``total_reading`` -- ``totalAmount`` is net of VAT (``net``) or includes it (``gross``).
- ``settlement_sign`` -- ``positive_reduces`` (every type: +x lowers what is owed) or
  ``currency_positive_is_gain`` (a positive ``currency`` settlement is a gain and raises it).
- ``rounding`` -- öresavrundning: ``off``, ``in_total`` (rounded, and ``totalAmount`` carries
  the rounding) or ``beside_total`` (rounded, ``totalAmount`` shows the lines unrounded).
- ``record_requires_recorded_invoice`` -- recording a payment or settlement on an invoice that
  was never recorded is refused with Bokio's error shape.
- ``accounting_method`` -- ``accrual`` or ``cash``, shown as the fiscal years' ``accountingMethod``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class PaidCurrency(enum.StrEnum):
    """Which currency ``paidAmount`` is stated in on a foreign-currency invoice."""

    SEK = "SEK"
    INVOICE = "invoice"


class TotalReading(enum.StrEnum):
    """Whether ``totalAmount`` excludes VAT (``net``) or includes it (``gross``)."""

    NET = "net"
    GROSS = "gross"


class SettlementSign(enum.StrEnum):
    """Which sign of a settlement's ``sumBaseCurrency`` reduces what is owed."""

    POSITIVE_REDUCES = "positive_reduces"
    CURRENCY_POSITIVE_IS_GAIN = "currency_positive_is_gain"


class Rounding(enum.StrEnum):
    """Öresavrundning of the amount to pay (SEK invoices only)."""

    OFF = "off"
    IN_TOTAL = "in_total"
    BESIDE_TOTAL = "beside_total"


class AccountingMethod(enum.StrEnum):
    """The fiscal years' ``accountingMethod``."""

    ACCRUAL = "accrual"
    CASH = "cash"


@dataclass(frozen=True, slots=True)
class Readings:
    """One company's answers to Bokio's open rules; the defaults are the sandbox's old behaviour."""

    paid_includes_settlements: bool = True
    paid_currency: PaidCurrency = PaidCurrency.SEK
    total_reading: TotalReading = TotalReading.NET
    settlement_sign: SettlementSign = SettlementSign.POSITIVE_REDUCES
    rounding: Rounding = Rounding.OFF
    record_requires_recorded_invoice: bool = False
    accounting_method: AccountingMethod = AccountingMethod.ACCRUAL

    def to_json(self) -> dict[str, Any]:
        """The admin API's shape: camelCase keys, enum values as strings."""
        return {_camel(f.name): _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def updated(self, data: Mapping[str, Any]) -> Readings:
        """A copy with the camelCase switches in ``data`` changed; unknown keys or values raise ValueError."""
        changes = {_snake(key): _value(_snake(key), value) for key, value in data.items()}
        return dataclasses.replace(self, **changes)


_KINDS: dict[str, type[enum.StrEnum] | type[bool]] = {
    "paid_includes_settlements": bool,
    "paid_currency": PaidCurrency,
    "total_reading": TotalReading,
    "settlement_sign": SettlementSign,
    "rounding": Rounding,
    "record_requires_recorded_invoice": bool,
    "accounting_method": AccountingMethod,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(key: str) -> str:
    name = "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in key)
    if name not in _KINDS:
        raise ValueError(f"unknown reading {key!r}; known: {', '.join(_camel(k) for k in _KINDS)}")
    return name


def _value(name: str, value: Any) -> Any:
    kind = _KINDS[name]
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"reading {_camel(name)} must be true or false, not {value!r}")
        return value
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(str(member) for member in kind)
        raise ValueError(f"reading {_camel(name)} must be one of {allowed}, not {value!r}") from exc


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, enum.Enum) else value
