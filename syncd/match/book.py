"""One company's open invoices, indexed by every key a payer may use, plus the running ledger.

Indexing by OCR, invoice number and customer keeps matching O(lines · log invoices) instead of
O(lines · invoices). The ledger (``remaining``) is consumed as allocations are made, so two bank
lines can never allocate more than an invoice's outstanding balance between them.

The payer tier asks for customers whose name is like the payer's *and* whose open invoices can
add up to the amount paid. Scanning the name's blocks grows with the book (a block holds every
customer with that word), so the book also keeps, per block key, the customers by each exact sum
their open invoices can make: a payer line then meets a handful of customers, not the block.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from syncd.domain.models import OpenInvoice
from syncd.domain.money import ZERO, quantize, to_ore
from syncd.domain.references import normalise
from syncd.match.names import block_keys, name_score, normalise_name

SUM_INDEX_MAX = 6
"""A customer with more open invoices than this (2**6 subset sums) is always looked at."""


def number_key(reference: str) -> str:
    """Invoice numbers compare without separators and leading zeros ("0042" is invoice 42)."""
    return normalise(reference).lstrip("0") or "0"


class Book:
    """Open invoices of one company; never sees another company's invoices."""

    __slots__ = (
        "_big",
        "_by_sum",
        "_sums",
        "block_keys",
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
        self.block_keys: dict[str, tuple[str, ...]] = {}
        self._by_sum: dict[tuple[str, int], set[str]] | None = None  # built on the payer tier's first ask
        self._big: dict[str, set[str]] = {}
        self._sums: dict[str, frozenset[int] | None] = {}
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
            self.block_keys[inv.customer_id] = tuple(sorted(block_keys(name)))

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
        if self._by_sum is not None:
            self._index_sums(self._by_sum, self.invoices[invoice_id].customer_id)

    def by_ocr_ref(self, reference: str) -> list[str]:
        """Invoices whose OCR/RF equals ``reference`` (normalised)."""
        return self.by_ocr.get(normalise(reference), [])

    def by_number_ref(self, reference: str) -> list[str]:
        """Invoices whose invoice number equals ``reference``."""
        return self.by_number.get(number_key(reference), [])

    def customers_paying(self, payer: str, amount: Decimal) -> set[str]:
        """Customers sharing a block key with ``payer`` whose open invoices may sum to ``amount``.

        A superset of those the payer tier can offer: every customer some of whose open invoices
        (whatever their currency or date, rejected or not) sum to ``amount`` in öre, and every
        customer with more than ``SUM_INDEX_MAX`` open invoices. The tier checks the rest.
        """
        by_sum = self._sum_index()
        target = to_ore(quantize(amount))
        found: set[str] = set()
        for key in block_keys(payer):
            found |= by_sum.get((key, target), set())
            found |= self._big.get(key, set())
        return found

    def _sum_index(self) -> dict[tuple[str, int], set[str]]:
        if self._by_sum is None:
            self._by_sum = {}
            for customer_id in self.customers:
                self._index_sums(self._by_sum, customer_id)
        return self._by_sum

    def _index_sums(self, by_sum: dict[tuple[str, int], set[str]], customer_id: str) -> None:
        """(Re-)file the customer under every exact sum its open invoices can make now."""
        keys = self.block_keys[customer_id]
        old = self._sums.get(customer_id, frozenset())
        new = self._open_sums(customer_id)
        if old == new:
            return
        for key in keys:
            for ore in old or ():
                by_sum[(key, ore)].discard(customer_id)
            for ore in new or ():
                by_sum.setdefault((key, ore), set()).add(customer_id)
            if new is None:
                self._big.setdefault(key, set()).add(customer_id)
            elif old is None:
                self._big[key].discard(customer_id)
        self._sums[customer_id] = new

    def _open_sums(self, customer_id: str) -> frozenset[int] | None:
        """Every non-empty subset sum (öre) of the customer's open invoices; None if too many."""
        amounts = [
            to_ore(quantize(self.remaining[i])) for i in self.by_customer[customer_id] if self.is_open(i)
        ]
        if len(amounts) > SUM_INDEX_MAX:
            return None
        sums: set[int] = set()
        for ore in amounts:
            sums |= {ore} | {s + ore for s in sums}
        return frozenset(sums)

    def customer_score(self, payer: str, customer_id: str) -> int:
        """How well ``payer`` matches one customer (0 when the payer wrote no name)."""
        return name_score(payer, self.customers.get(customer_id, "")) if payer else 0
