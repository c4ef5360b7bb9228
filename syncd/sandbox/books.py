"""Bokio's business operations on one company: what the routes call and what seeds/tests script.

Every method takes and returns wire-shaped dicts (Decimal money) and raises
:class:`~syncd.sandbox.errors.ApiError` exactly as the HTTP route would answer, so a property
test can make "Bokio-side" changes (a user paying in the UI, deleting a draft) without HTTP.
Callers hold the sandbox lock (``Sandbox.books()`` does).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from syncd.domain.references import make_ocr
from syncd.sandbox import journal
from syncd.sandbox import validation as v
from syncd.sandbox.errors import ApiError, cannot_act, not_allowed, not_found, validation
from syncd.sandbox.state import (
    Company,
    Json,
    balance,
    document_amounts,
    render,
    render_invoice,
    store_totals,
)

_INVOICE_WRITABLE = (
    "orderNumberReference",
    "projectReference",
    "buyerReference",
    "contractReference",
    "deliveryAddress",
    "taxReduction",
)


class BaseBooks:
    """Operations on one :class:`Company`; ``now`` is UTC, ``today`` the Stockholm date.

    Bokio's open rules are the company's own :attr:`Company.readings`.
    """

    def __init__(
        self,
        company: Company,
        *,
        now: Callable[[], datetime],
        today: Callable[[], date],
        new_id: Callable[[], str],
    ) -> None:
        self.company = company
        self.now = now
        self.today = today
        self.new_id = new_id

    # ----- customers -------------------------------------------------------------------------
    def create_customer(self, body: Json, *, via_api: bool = True) -> Json:
        """POST /customers."""
        self._raise(v.customer_errors(body))
        customer = self._customer_fields(body, self.new_id())
        self.company.customers[customer["id"]] = customer
        if via_api:
            self.company.api_customers.add(customer["id"])
        return render(customer)

    def update_customer(self, customer_id: str, body: Json) -> Json:
        """PUT /customers/{id}: full replacement; ``modifiedDateTime`` moves."""
        self.customer(customer_id)
        self._raise(v.customer_errors(body))
        customer = self._customer_fields(body, customer_id)
        self.company.customers[customer_id] = customer
        return render(customer)

    def delete_customer(self, customer_id: str) -> None:
        """DELETE /customers/{id}: only customers created through the API."""
        self.customer(customer_id)
        if customer_id not in self.company.api_customers:
            raise not_allowed(f"Customer with value {customer_id} was not created through the API")
        del self.company.customers[customer_id]

    def customer(self, customer_id: str) -> Json:
        found = self.company.customers.get(customer_id)
        if found is None:
            raise not_found("customer", customer_id)
        return found

    def _customer_fields(self, body: Json, customer_id: str) -> Json:
        contacts = [dict(c, id=c.get("id") or self.new_id()) for c in body.get("contactsDetails") or []]
        customer: Json = {
            "id": customer_id,
            "name": body["name"],
            "type": body["type"],
            "vatNumber": body.get("vatNumber") or "",
            "orgNumber": body.get("orgNumber") or "",
            "paymentTerms": str(body.get("paymentTerms") or ""),
            "contactsDetails": contacts,
            "language": body.get("language", "sv"),
            "modifiedDateTime": self.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if body.get("address"):
            customer["address"] = {"line2": None, **body["address"]}
        if body.get("customerNumber") is not None:
            customer["customerNumber"] = str(body["customerNumber"])
        return customer

    # ----- invoices --------------------------------------------------------------------------
    def invoice(self, invoice_id: str) -> Json:
        found = self.company.invoices.get(invoice_id)
        if found is None:
            raise not_found("invoice", invoice_id)
        return found

    def view(self, invoice: Json) -> Json:
        """Render with derived totals, ``paidAmount`` and ``status`` as of today."""
        return render_invoice(self.company, invoice, self.today())

    def remaining(self, invoice_id: str) -> Decimal:
        """What is still owed in SEK (see :class:`syncd.sandbox.rules.Balance`)."""
        return balance(self.company, self.invoice(invoice_id)).remaining

    def create_invoice(self, body: Json) -> Json:
        """POST /invoices: a draft with computed totals and due date."""
        self._raise(v.invoice_errors(body, self.company))
        invoice = self._invoice_fields(body, {"id": self.new_id(), "lineItems": []})
        self.company.invoices[invoice["id"]] = invoice
        return self.view(invoice)

    def update_invoice(self, invoice_id: str, body: Json) -> Json:
        """PUT /invoices/{id}: drafts only, full replacement."""
        invoice = self._draft(invoice_id)
        self._raise(v.invoice_errors(body, self.company))
        self.company.invoices[invoice_id] = self._invoice_fields(body, invoice)
        return self.view(self.company.invoices[invoice_id])

    def delete_invoice(self, invoice_id: str) -> None:
        """DELETE /invoices/{id}: drafts only."""
        invoice = self.invoice(invoice_id)
        if invoice["invoiceNumber"] is not None:
            raise not_allowed(
                f"Invoice with value {invoice_id} cannot be deleted as it is not in draft status"
            )
        del self.company.invoices[invoice_id]

    def _draft(self, invoice_id: str) -> Json:
        invoice = self.invoice(invoice_id)
        if invoice["invoiceNumber"] is not None:
            raise not_allowed(
                f"Invoice with value {invoice_id} cannot be updated as it is not in draft status"
            )
        return invoice

    def _invoice_fields(self, body: Json, previous: Json) -> Json:
        customer = self.company.customers[body["customerRef"]["id"]]
        invoice_date = date.fromisoformat(body["invoiceDate"])
        terms = customer.get("paymentTerms") or ""
        days = int(terms) if terms.isdigit() else self.company.payment_terms_days
        due = body.get("dueDate") or (invoice_date + timedelta(days=days)).isoformat()
        lines = self._lines(body["lineItems"], previous["lineItems"])
        invoice: Json = {
            "id": previous["id"],
            "type": "invoice",
            "customerRef": {"id": customer["id"], "name": customer["name"]},
            "contactDetailRef": self._contact(customer, body.get("contactDetailRef")),
            "invoiceNumber": None,
            "paymentReference": None,
            **{key: body.get(key) for key in _INVOICE_WRITABLE[:4]},
            "currency": body.get("currency", "SEK"),
            "currencyRate": Decimal(body.get("currencyRate", 1)),
            "totalAmount": Decimal(0),  # set by store_totals below
            "totalTax": Decimal(0),
            "paidAmount": Decimal(0),
            "status": "draft",
            "invoiceDate": invoice_date.isoformat(),
            "dueDate": due,
            "publishedDateTime": None,
            "lineItems": lines,
            "taxReduction": body.get("taxReduction"),
            "attachmentRefs": [],
            "journalEntryRef": None,
            "metadata": dict(body.get("metadata") or {}),
        }
        if customer.get("address"):
            invoice["billingAddress"] = copy.deepcopy(customer["address"])
        if body.get("deliveryAddress"):
            invoice["deliveryAddress"] = copy.deepcopy(body["deliveryAddress"])
        store_totals(self.company, invoice)
        return invoice

    @staticmethod
    def _contact(customer: Json, ref: Any) -> Json | None:
        wanted = ref.get("id") if isinstance(ref, dict) else None
        for contact in customer.get("contactsDetails", []):
            if contact["id"] == wanted or (wanted is None and contact.get("isDefault")):
                return {"id": contact["id"], "email": contact.get("email"), "phone": contact.get("phone")}
        return None

    @staticmethod
    def _lines(lines: list[Json], previous: list[Json]) -> list[Json]:
        known = {line["id"] for line in previous}
        next_id = max(known, default=0) + 1
        out = []
        for line in lines:
            clean = {k: val for k, val in line.items() if k != "itemRef" or val is not None}
            if clean.get("id") not in known:
                clean["id"] = next_id
                next_id += 1
            if clean["itemType"] == "salesItem":
                clean.setdefault("unitType", "unspecified")
                clean["quantity"] = Decimal(clean.get("quantity", 1))
                clean["unitPrice"] = Decimal(clean["unitPrice"])
                clean["taxRate"] = Decimal(clean["taxRate"])
            out.append(clean)
        return out

    def publish_invoice(self, invoice_id: str) -> Json:
        """POST /invoices/{id}/publish: invoice number, Luhn OCR, ``publishedDateTime``."""
        invoice = self._draft(invoice_id)
        number = self.company.next_invoice_number
        self.company.next_invoice_number += 1
        invoice["invoiceNumber"] = str(number)
        invoice["paymentReference"] = make_ocr(str(number))
        invoice["publishedDateTime"] = self._stamp()
        return self.view(invoice)

    def record_invoice(self, invoice_id: str) -> Json:
        """POST /invoices/{id}/record: published and not yet recorded."""
        invoice = self.invoice(invoice_id)
        if invoice["invoiceNumber"] is None or invoice["journalEntryRef"] is not None:
            raise cannot_act("invoice", invoice_id)
        rounding = document_amounts(self.company, invoice).rounding
        entry = self.mint_entry(
            f"Faktura {invoice['invoiceNumber']}",
            invoice["invoiceDate"],
            journal.invoice_lines(invoice, rounding),
        )
        invoice["journalEntryRef"] = {"id": entry["id"]}
        return self.view(invoice)

    def _published(self, invoice_id: str) -> Json:
        invoice = self.invoice(invoice_id)
        if invoice["invoiceNumber"] is None:
            raise not_allowed(f"Invoice with value {invoice_id} is a draft; publish it first")
        return invoice

    def _stamp(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def mint_entry(self, title: str, on: str, lines: list[journal.Line], origin: str = "invoice") -> Json:
        """Create a journal entry (debits equal credits by construction)."""
        number = self.company.next_journal_number
        self.company.next_journal_number += 1
        entry: Json = {
            "id": self.new_id(),
            "title": title,
            "journalEntryNumber": f"V{number}",
            "date": on,
            "items": [
                {"id": index, "debit": debit, "credit": credit, "account": account, "tags": []}
                for index, (account, debit, credit) in enumerate(lines, start=1)
            ],
            "tags": [],
            "reversingJournalEntryId": None,
            "reversedByJournalEntryId": None,
            "_origin": origin,
        }
        self.company.journal_entries[entry["id"]] = entry
        return entry

    def reverse_entry(self, entry_id: str, on: str) -> None:
        """Mint the reversing entry of ``entry_id`` (deleting something already recorded)."""
        original = self.company.journal_entries[entry_id]
        reversal = self.mint_entry(
            f"Rättelse av {original['journalEntryNumber']}", on, journal.reversed_lines(original["items"])
        )
        reversal["reversingJournalEntryId"] = entry_id
        original["reversedByJournalEntryId"] = reversal["id"]

    def _raise(self, errors: list[Any]) -> None:
        if errors:
            raise validation(errors)


def new_uuid(rng: Callable[[int], int]) -> str:
    """A version-4 UUID from a seeded ``getrandbits`` so seeded sandboxes are reproducible."""
    return str(uuid.UUID(int=rng(128), version=4))


__all__ = ["ApiError", "BaseBooks", "new_uuid"]
