"""Command payloads: the typed Bokio writes, serialised by their field names (never Bokio's wire keys).

Only :mod:`syncd.bokio.writes` turns a write into Bokio's JSON (``to_body()``). The outbox stores
the write's own fields (``sum_base_currency``, ``vat_scheme``…) and rebuilds the same frozen value
before sending, so the read-back after a lost answer and the duplicate detector compare typed
values with what Bokio lists, and a change in Bokio's wire format touches one package.

Commands that refer to an earlier command's result carry its ``seq`` (``payment_seq``,
``settlement_seq``, ``record_seqs``); deletes carry the Bokio id (``payment_id``,
``settlement_id``); a delete that repairs a duplicate also carries ``duplicate_of``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from syncd.bokio.writes import PaymentWrite, SettlementWrite
from syncd.domain.models import SettlementType, VatScheme
from syncd.outbox.kinds import CommandKind

DUPLICATE_OF = "duplicate_of"
"""Payload key of a delete that repairs a duplicate (:mod:`syncd.outbox.duplicates`)."""


def payment(write: PaymentWrite) -> dict[str, Any]:
    """The payload of a ``create_payment`` command."""
    return {
        "date": write.date.isoformat(),
        "sum_base_currency": write.sum_base_currency,
        "bookkeeping_account_number": write.bookkeeping_account_number,
    }


def settlement(write: SettlementWrite) -> dict[str, Any]:
    """The payload of a ``create_settlement`` command."""
    body: dict[str, Any] = {
        "type": write.type.value,
        "date": write.date.isoformat(),
        "sum_base_currency": write.sum_base_currency,
    }
    if write.vat_scheme is not None:
        body["vat_scheme"] = write.vat_scheme.value
    return body


def payment_write(payload: dict[str, Any]) -> PaymentWrite:
    """The write a ``create_payment`` payload stands for."""
    return PaymentWrite(
        dt.date.fromisoformat(str(payload["date"])),
        Decimal(str(payload["sum_base_currency"])),
        int(payload["bookkeeping_account_number"]),
    )


def settlement_write(payload: dict[str, Any]) -> SettlementWrite:
    """The write a ``create_settlement`` payload stands for."""
    on = dt.date.fromisoformat(str(payload["date"]))
    amount = Decimal(str(payload["sum_base_currency"]))
    kind = SettlementType(str(payload["type"]))
    if kind is SettlementType.PAYMENT_SERVICE_FEE:
        return SettlementWrite.payment_service_fee(on, amount, VatScheme(str(payload["vat_scheme"])))
    if kind is SettlementType.CURRENCY:
        return SettlementWrite.currency(on, amount)
    return SettlementWrite.bank_fee(on, amount)


def deleted_target(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """``("payment" | "settlement", Bokio id)`` of a delete command."""
    what = "payment" if kind == CommandKind.DELETE_PAYMENT else "settlement"
    return what, str(payload[f"{what}_id"])
