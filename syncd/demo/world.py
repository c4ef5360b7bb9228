"""The demo's Bokio side: a seeded sandbox company, served over real HTTP, and what it has open.

The company comes from :func:`syncd.sandbox.seed.seed_demo` (Swedish customers, 25/12/6 % VAT,
SEK and EUR, some paid, some partly paid, some credited) and is topped up, deterministically
from the seed, until the bank day has every invoice it needs — so no seed yields a dull demo.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from stdnum import iban, luhn

from syncd.demo.payments import InvoiceFacts
from syncd.demo.writers import Creditor
from syncd.domain.invoice_math import OPEN_STATUSES
from syncd.domain.money import quantize
from syncd.sandbox import Sandbox
from syncd.sandbox.seed import EUR_RATE, Mix, create_published_invoice, seed_demo

COMPANY_NAME = "Demo Konsult AB"
MIX = Mix(draft=0.05, paid=0.2, partial=0.1, credited=0.05, eur=0.15)
MIN_OPEN_SEK = 16
"""The bank day pays 11 SEK invoices; a few more stay open, as in any real ledger."""
MIN_OPEN_EUR = 1


@dataclass(frozen=True, slots=True)
class DemoCompany:
    """The seeded company: its Bokio id, the token syncd uses, and where its money arrives."""

    id: str
    token: str
    name: str
    creditor: Creditor


def _bankgiro(rng: random.Random) -> str:
    body = str(rng.randint(500_000, 599_999)) + str(rng.randrange(10))
    number = body + luhn.calc_check_digit(body)
    return f"{number[:4]}-{number[4:]}"


def _iban(rng: random.Random) -> str:
    bban = "5000" + f"{rng.randrange(10**16):016d}"  # SEB's bank code, then the account
    return f"SE{iban.calc_check_digits('SE00' + bban)}{bban}"


def build_sandbox(seed: int) -> tuple[Sandbox, DemoCompany]:
    """A sandbox with Bokio's real limits and one filled company; same seed, same company."""
    rng = random.Random(seed)
    company_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    token = f"demo-{rng.getrandbits(96):024x}"
    sandbox = Sandbox(seed=seed)
    seed_demo(sandbox, company_id=company_id, token=token, customers=14, invoices=40, seed=seed, mix=MIX)
    with sandbox.lock:
        sandbox.companies[company_id].info["name"] = COMPANY_NAME
    top_up(sandbox, company_id, random.Random(seed + 1))
    creditor = Creditor(
        name=COMPANY_NAME,
        bankgiro=_bankgiro(rng),
        iban=_iban(rng),
    )
    return sandbox, DemoCompany(company_id, token, COMPANY_NAME, creditor)


def _line(rng: random.Random) -> dict[str, object]:
    return {
        "itemType": "salesItem",
        "description": "Konsulttimmar",
        "productType": "services",
        "unitType": "hour",
        "quantity": Decimal(rng.randint(2, 16)),
        "unitPrice": Decimal(rng.choice((950, 1150, 1250, 1350))),
        "taxRate": Decimal(25),
    }


def top_up(sandbox: Sandbox, company_id: str, rng: random.Random) -> None:
    """Publish (and record) extra invoices until enough SEK and EUR invoices are open."""
    with sandbox.lock:
        books = sandbox.books(company_id)
        customers = sorted(sandbox.companies[company_id].customers)
        today = sandbox.today()
        for currency, wanted in (("SEK", MIN_OPEN_SEK), ("EUR", MIN_OPEN_EUR)):
            have = sum(1 for facts in open_invoices(sandbox, company_id) if facts.currency == currency)
            for _ in range(wanted - have):
                extra: dict[str, Any] = {"currency": currency}
                if currency == "EUR":
                    extra["currencyRate"] = EUR_RATE
                invoice = create_published_invoice(
                    books,
                    rng.choice(customers),
                    [_line(rng)],
                    (today - timedelta(days=rng.randint(5, 40))).isoformat(),
                    **extra,
                )
                books.record_invoice(str(invoice["id"]))


def open_invoices(sandbox: Sandbox, company_id: str) -> list[InvoiceFacts]:
    """Published invoices with money outstanding, as a payer (and the bank day) sees them."""
    with sandbox.lock:
        company = sandbox.companies[company_id]
        books = sandbox.books(company_id)
        found = []
        for stored in company.invoices.values():
            invoice = books.view(stored)
            remaining = books.remaining(invoice["id"])
            if invoice["status"] not in OPEN_STATUSES or remaining <= 0:
                continue
            customer = company.customers[invoice["customerRef"]["id"]]
            address = customer.get("address") or {}
            rate = Decimal(invoice["currencyRate"])
            found.append(
                InvoiceFacts(
                    number=invoice["invoiceNumber"],
                    ocr=invoice["paymentReference"],
                    customer_id=customer["id"],
                    customer=customer["name"],
                    private_person=customer["type"] == "private",
                    org_number=customer.get("orgNumber") or "",
                    street=address.get("line1") or "",
                    postal_code=address.get("postalCode") or "",
                    city=address.get("city") or "",
                    invoice_date=date.fromisoformat(invoice["invoiceDate"]),
                    currency=invoice["currency"],
                    currency_rate=rate,
                    outstanding=remaining if invoice["currency"] == "SEK" else quantize(remaining / rate),
                    outstanding_sek=remaining,
                )
            )
    return found
