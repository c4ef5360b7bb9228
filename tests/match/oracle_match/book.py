"""One company's open invoices, indexed by every key a payer may use, plus the running ledger.

Indexing by OCR, invoice number and customer keeps matching O(lines · log invoices) instead of
O(lines · invoices). The ledger (``remaining``) is consumed as allocations are made, so two bank
lines can never allocate more than an invoice's outstanding balance between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from syncd.domain.models import OpenInvoice
from syncd.domain.money import ZERO
from syncd.domain.references import normalise
from syncd.match.names import block_keys, name_score, normalise_name


def number_key(reference: str) -> str:
    """Invoice numbers compare without separators and leading zeros ("0042" is invoice 42)."""
    return normalise(reference).lstrip("0") or "0"


class Book:
    """Open invoices of one company; never sees another company's invoices."""

    __slots__ = (
        "_name_cache",
        "blocks",
        "by_customer",
        "by_number",
        "by_ocr",
        "company_id",
        "customers",
        "invoices",
        "remaining",
    )

    def __init__(self, company_id: str, invoices: Iterable[OpenInvoice]) -> None:
        self.company_id = company_id
        self.invoices: dict[str, OpenInvoice] = {}
        self.remaining: dict[str, Decimal] = {}
        self.by_ocr: dict[str, list[str]] = {}
        self.by_number: dict[str, list[str]] = {}
        self.by_customer: dict[str, list[str]] = {}
        self.customers: dict[str, str] = {}
        self.blocks: dict[str, list[str]] = {}
        self._name_cache: dict[str, list[tuple[str, int]]] = {}
        for inv in sorted(invoices, key=lambda i: (i.due_date, i.invoice_date, i.invoice_number, i.bokio_id)):
            if inv.company_id != company_id:
                raise ValueError(f"invoice {inv.bokio_id} of {inv.company_id} in book of {company_id}")
            self._add(inv)

    def _add(self, inv: OpenInvoice) -> None:
        self.invoices[inv.bokio_id] = inv
        self.remaining[inv.bokio_id] = inv.outstanding
        if inv.ocr:
            self.by_ocr.setdefault(normalise(inv.ocr), []).append(inv.bokio_id)
        self.by_number.setdefault(number_key(inv.invoice_number), []).append(inv.bokio_id)
        self.by_customer.setdefault(inv.customer_id, []).append(inv.bokio_id)
        if inv.customer_id not in self.customers:
            name = normalise_name(inv.customer_name)
            self.customers[inv.customer_id] = name
            for key in sorted(block_keys(name)):
                self.blocks.setdefault(key, []).append(inv.customer_id)

    def age_key(self, invoice_id: str) -> tuple[dt.date, dt.date, str, str]:
        """Oldest first: payers settle their oldest debt first, so ties go that way."""
        inv = self.invoices[invoice_id]
        return (inv.due_date, inv.invoice_date, inv.invoice_number, inv.bokio_id)

    def is_open(self, invoice_id: str) -> bool:
        """True while something is left to allocate to the invoice in this run."""
        return self.remaining.get(invoice_id, ZERO) > ZERO

    def consume(self, invoice_id: str, amount: Decimal) -> None:
        """Take ``amount`` (invoice currency) off the invoice; an overpayment empties it."""
        self.remaining[invoice_id] = max(ZERO, self.remaining[invoice_id] - amount)

    def by_ocr_ref(self, reference: str) -> list[str]:
        """Invoices whose OCR/RF equals ``reference`` (normalised)."""
        return self.by_ocr.get(normalise(reference), [])

    def by_number_ref(self, reference: str) -> list[str]:
        """Invoices whose invoice number equals ``reference``."""
        return self.by_number.get(number_key(reference), [])

    def customers_like(self, payer: str, threshold: int) -> list[tuple[str, int]]:
        """Customers whose normalised name scores ≥ ``threshold`` against ``payer``, best first."""
        cached = self._name_cache.get(payer)
        if cached is None:
            candidates = {cid for key in block_keys(payer) for cid in self.blocks.get(key, ())}
            scored = [(cid, name_score(payer, self.customers[cid])) for cid in candidates]
            cached = sorted(scored, key=lambda pair: (-pair[1], pair[0]))
            self._name_cache[payer] = cached
        return [pair for pair in cached if pair[1] >= threshold]

    def customer_score(self, payer: str, customer_id: str) -> int:
        """How well ``payer`` matches one customer (0 when the payer wrote no name)."""
        return name_score(payer, self.customers.get(customer_id, "")) if payer else 0
