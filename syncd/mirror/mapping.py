"""Typed Bokio models (:mod:`syncd.bokio.models`) → mirror columns, and their content hashes.

Pure functions. Bokio's wire format (camelCase, the ``settlementDetails`` quirk) is the client's
business: this module reads typed fields only. Missing optional fields become defaults rather
than errors: Bokio adds fields and sometimes omits them, and one odd record must not stop a page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from syncd import jsonutil
from syncd.clock import parse_timestamp
from syncd.domain.money import ZERO

if TYPE_CHECKING:  # the client's models are only read here: a command using the mirror starts without httpx
    from pydantic import BaseModel

    from syncd.bokio import models as bm


def content_hash(model: BaseModel | Sequence[BaseModel]) -> str:
    """SHA-256 of the typed model's (or models') canonical JSON: 1.50 vs 1.5 is no change.

    Computed from the typed fields (not the raw payload) so the mirror can give the hash a fresh
    read would give after it changed a field itself (:func:`syncd.mirror.repo.set_paid`).
    """
    dumped = [m.model_dump() for m in model] if isinstance(model, Sequence) else model.model_dump()
    return hashlib.sha256(jsonutil.canonical(dumped).encode()).hexdigest()


def _ref_id(ref: bm.Ref | bm.CustomerRef | bm.InvoiceRef | None) -> str | None:
    return str(ref.id) if ref is not None and ref.id else None


def _or_zero(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def invoice_values(invoice: bm.Invoice) -> dict[str, Any]:
    """Columns of an ``invoices`` row."""
    customer = invoice.customer_ref
    return {
        "invoice_number": invoice.invoice_number,
        "payment_reference": invoice.payment_reference,
        "customer_bokio_id": _ref_id(customer),
        "customer_name": customer.name if customer is not None else None,
        "type": invoice.type or "invoice",
        "status": str(invoice.status or "draft"),
        "currency": invoice.currency or "SEK",
        "currency_rate": Decimal(1) if invoice.currency_rate is None else invoice.currency_rate,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "total_amount": _or_zero(invoice.total_amount),
        "total_tax": _or_zero(invoice.total_tax),
        "paid_amount": _or_zero(invoice.paid_amount),
        "paid_from_bokio": True,
        "published_at": parse_timestamp(invoice.published_date_time),
        "journal_entry_id": _ref_id(invoice.journal_entry_ref),
    }


def payment_values(payment: bm.InvoicePayment) -> dict[str, Any]:
    """Columns of an ``invoice_payments`` row."""
    return {
        "invoice_bokio_id": str(payment.invoice_id),
        "date": payment.date,
        "sum_base_currency": payment.sum_base_currency,
        "bookkeeping_account": payment.bookkeeping_account_number,
        "journal_entry_id": _ref_id(payment.journal_entry_ref),
    }


def settlement_values(settlement: bm.InvoiceSettlement) -> dict[str, Any]:
    """Columns of an ``invoice_settlements`` row."""
    details = settlement.details
    return {
        "invoice_bokio_id": str(settlement.invoice_id),
        "type": str(settlement.type) or "unknown",
        "date": details.date,
        "sum_base_currency": details.sum_base_currency,
        "vat_scheme": str(details.vat_scheme) if details.vat_scheme is not None else None,
        "journal_entry_id": _ref_id(settlement.journal_entry_ref),
    }


def credit_note_values(note: bm.CreditNote) -> dict[str, Any]:
    """Columns of a ``credit_notes`` row."""
    return {
        "invoice_bokio_id": _ref_id(note.invoice_ref),
        "credit_note_number": note.invoice_number,
        "status": note.status or "draft",
        "currency": note.currency or "SEK",
        "total_amount": _or_zero(note.total_amount),
        "total_tax": _or_zero(note.total_tax),
        "credit_date": note.credit_date,
        "journal_entry_id": _ref_id(note.journal_entry_ref),
    }


def customer_values(customer: bm.Customer) -> dict[str, Any]:
    """Columns of a ``customers`` row."""
    return {
        "name": customer.name or "",
        "customer_number": customer.customer_number,
        "org_number": customer.org_number,
        "customer_type": str(customer.type) if customer.type is not None else None,
        "modified_at": parse_timestamp(customer.modified_date_time),
    }


def account_values(account: bm.Account) -> dict[str, Any]:
    """Columns of an ``accounts`` row."""
    return {"number": account.account, "name": account.name or "", "account_type": account.account_type}


def fiscal_year_values(year: bm.FiscalYear) -> dict[str, Any]:
    """Columns of a ``fiscal_years`` row."""
    return {
        "start_date": year.start_date,
        "end_date": year.end_date,
        "status": str(year.status) if year.status is not None else None,
        "accounting_method": str(year.accounting_method) if year.accounting_method is not None else None,
    }


Mapper = Callable[[Any], dict[str, Any]]
