"""Request bodies for the writes syncd makes, as frozen values with ``to_body()``.

Plain dataclasses rather than pydantic: a write body is a handful of fields whose JSON must be
exact (Decimals as numbers, only the properties Bokio allows — ``standardSettlementDetails`` has
``additionalProperties: false``), which is easiest to guarantee by writing the dict by hand.
Invoices and customers are created only by tests and the demo, so they take a wire-format dict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from syncd.domain.models import SettlementType, VatScheme


def _money(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class PaymentWrite:
    """Body of ``POST …/invoices/{invoiceId}/payments``; amount in SEK (base currency)."""

    date: dt.date
    sum_base_currency: Decimal
    bookkeeping_account_number: int = 1930

    def to_body(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "sumBaseCurrency": _money(self.sum_base_currency),
            "bookkeepingAccountNumber": self.bookkeeping_account_number,
        }


@dataclass(frozen=True)
class SettlementWrite:
    """Body of ``POST …/invoices/{invoiceId}/settlements``; build it with the three constructors.

    Positive ``sum_base_currency`` reduces what the customer owes, negative increases it.
    """

    type: SettlementType
    date: dt.date
    sum_base_currency: Decimal
    vat_scheme: VatScheme | None = None

    def __post_init__(self) -> None:
        _money(self.sum_base_currency)
        if self.type is SettlementType.PAYMENT_SERVICE_FEE:
            if self.vat_scheme is None:
                raise ValueError("a paymentServiceFee settlement needs a vat_scheme")
            if self.sum_base_currency <= 0:
                raise ValueError("a paymentServiceFee settlement must be > 0")
        elif self.type in (SettlementType.CURRENCY, SettlementType.BANK_FEE):
            if self.vat_scheme is not None:
                raise ValueError(f"a {self.type.value} settlement takes no vat_scheme")
        else:
            raise ValueError(f"Bokio cannot create {self.type.value} settlements")

    @classmethod
    def currency(cls, date: dt.date, amount: Decimal) -> SettlementWrite:
        """Exchange-rate difference; the sign carries gain or loss (see the settlement-sign policy)."""
        return cls(SettlementType.CURRENCY, date, amount)

    @classmethod
    def bank_fee(cls, date: dt.date, amount: Decimal) -> SettlementWrite:
        return cls(SettlementType.BANK_FEE, date, amount)

    @classmethod
    def payment_service_fee(cls, date: dt.date, amount: Decimal, vat_scheme: VatScheme) -> SettlementWrite:
        return cls(SettlementType.PAYMENT_SERVICE_FEE, date, amount, vat_scheme)

    def to_body(self) -> dict[str, Any]:
        details: dict[str, Any] = {"date": self.date.isoformat(), "sumBaseCurrency": self.sum_base_currency}
        if self.vat_scheme is not None:
            details["vatScheme"] = self.vat_scheme.value
        return {"type": self.type.value, "invoiceSettlementDetails": details}


@dataclass(frozen=True)
class TagWeight:
    """A tag on a journal entry or one of its items; weights per tag group sum to at most 1."""

    tag_id: str
    weight: Decimal = Decimal(1)

    def to_body(self) -> dict[str, Any]:
        if not Decimal(0) < _money(self.weight) <= Decimal(1):
            raise ValueError("tag weight must be in (0, 1]")
        return {"tagId": self.tag_id, "weight": self.weight}


@dataclass(frozen=True)
class JournalEntryTagsWrite:
    """Body of ``PUT …/journal-entries/{id}/tags`` (replaces all tags; both empty removes all)."""

    tags: Sequence[TagWeight] = ()
    items: Mapping[int, Sequence[TagWeight]] = field(default_factory=dict)

    def to_body(self) -> dict[str, Any]:
        if self.tags and self.items:
            raise ValueError("tags go on the entry or on its items, never both")
        return {
            "tags": [t.to_body() for t in self.tags],
            "items": [
                {"id": item_id, "tags": [t.to_body() for t in tags]} for item_id, tags in self.items.items()
            ],
        }
