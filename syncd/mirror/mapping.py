"""Bokio JSON (already parsed with Decimals) → typed mirror columns.

Pure functions; the raw dict is kept next to the columns, so anything not mapped here is still
there to re-derive. Missing optional fields become None rather than errors: Bokio adds fields
and sometimes omits them, and one odd record must not stop a page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from syncd import jsonutil
from syncd.domain.money import ZERO


def content_hash(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON, so reordered keys or 1.50 vs 1.5 are not a change."""
    return hashlib.sha256(jsonutil.canonical(raw).encode()).hexdigest()


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _datetime(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _money(value: Any, default: Decimal = ZERO) -> Decimal:
    if value is None:
        return default
    if isinstance(value, float):
        raise TypeError("Bokio JSON must be parsed with Decimal, got a float")
    return Decimal(str(value))


def _ref_id(value: Any) -> str | None:
    return str(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def invoice_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of an ``invoices`` row."""
    customer = raw.get("customerRef") or {}
    return {
        "invoice_number": raw.get("invoiceNumber"),
        "payment_reference": raw.get("paymentReference"),
        "customer_bokio_id": _ref_id(customer),
        "customer_name": customer.get("name"),
        "type": raw.get("type") or "invoice",
        "status": raw.get("status") or "draft",
        "currency": raw.get("currency") or "SEK",
        "currency_rate": _money(raw.get("currencyRate"), Decimal(1)),
        "invoice_date": _date(raw.get("invoiceDate")),
        "due_date": _date(raw.get("dueDate")),
        "total_amount": _money(raw.get("totalAmount")),
        "total_tax": _money(raw.get("totalTax")),
        "paid_amount": _money(raw.get("paidAmount")),
        "published_at": _datetime(raw.get("publishedDateTime")),
        "journal_entry_id": _ref_id(raw.get("journalEntryRef")),
    }


def payment_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of an ``invoice_payments`` row."""
    account = raw.get("bookkeepingAccountNumber")
    return {
        "invoice_bokio_id": str(raw.get("invoiceId")),
        "date": _date(raw.get("date")),
        "sum_base_currency": _money(raw.get("sumBaseCurrency")),
        "bookkeeping_account": int(account) if account is not None else None,
        "journal_entry_id": _ref_id(raw.get("journalEntryRef")),
    }


def settlement_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of an ``invoice_settlements`` row (accepts both names Bokio uses for details)."""
    details = raw.get("invoiceSettlementDetails") or raw.get("settlementDetails") or {}
    return {
        "invoice_bokio_id": str(raw.get("invoiceId")),
        "type": raw.get("type") or "unknown",
        "date": _date(details.get("date")),
        "sum_base_currency": _money(details.get("sumBaseCurrency")),
        "vat_scheme": details.get("vatScheme"),
        "journal_entry_id": _ref_id(raw.get("journalEntryRef")),
    }


def credit_note_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of a ``credit_notes`` row."""
    return {
        "invoice_bokio_id": _ref_id(raw.get("invoiceRef")),
        "credit_note_number": raw.get("invoiceNumber"),
        "status": raw.get("status") or "draft",
        "currency": raw.get("currency") or "SEK",
        "total_amount": _money(raw.get("totalAmount")),
        "total_tax": _money(raw.get("totalTax")),
        "credit_date": _date(raw.get("creditDate")),
        "journal_entry_id": _ref_id(raw.get("journalEntryRef")),
    }


def customer_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of a ``customers`` row."""
    number = raw.get("customerNumber")
    return {
        "name": raw.get("name") or "",
        "customer_number": str(number) if number is not None else None,
        "org_number": raw.get("orgNumber") or raw.get("organisationNumber"),
        "customer_type": raw.get("type"),
        "modified_at": _datetime(raw.get("modifiedDateTime")),
    }


def account_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of an ``accounts`` row."""
    return {
        "number": int(raw["account"] if "account" in raw else raw["number"]),
        "name": raw.get("name") or "",
        "account_type": raw.get("accountType") or raw.get("type"),
    }


def fiscal_year_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of a ``fiscal_years`` row."""
    return {
        "start_date": _date(raw.get("startDate")),
        "end_date": _date(raw.get("endDate")),
        "status": raw.get("status"),
    }


Mapper = Callable[[Mapping[str, Any]], dict[str, Any]]
