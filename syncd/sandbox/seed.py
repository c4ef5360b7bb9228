"""Deterministic, realistic Swedish company data for demos, tests and benchmarks.

``seed_demo(sandbox, invoices=250, mix=Mix(draft=0, paid=0, partial=0, credited=0))`` gives 250
open invoices; the default mix has drafts, paid, partially paid and credited ones, in SEK and EUR,
with 25/12/6 % VAT lines. Same ``seed`` -> same data (ids included, for a fresh sandbox).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from stdnum import luhn
from stdnum.se import orgnr

from syncd.domain.money import quantize
from syncd.sandbox.core import Sandbox
from syncd.sandbox.ledger import Books
from syncd.sandbox.readings import Readings
from syncd.sandbox.state import Company

_FIRST = (
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Eva",
    "Anders",
    "Sara",
    "Nils",
    "Ingrid",
    "Olof",
)
_LAST = (
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Lindqvist",
)
_STEMS = (
    "Norrsken",
    "Fjäll",
    "Skärgårds",
    "Älvdals",
    "Björk",
    "Granit",
    "Havs",
    "Lövholm",
    "Tall",
    "Vinter",
    "Mälar",
    "Kustens",
)
_KINDS = ("Bygg", "Konsult", "Data", "Design", "Transport", "Café", "Fastighets", "El", "Måleri", "Trädgård")
_CITIES = (
    ("Stockholm", "111 22"),
    ("Göteborg", "411 03"),
    ("Malmö", "211 20"),
    ("Uppsala", "753 10"),
    ("Umeå", "903 26"),
)
_ITEMS = (
    ("Konsulttimmar", "services", "hour", Decimal(25), (850, 1450)),
    ("Licens, månad", "services", "month", Decimal(25), (299, 2490)),
    ("Material", "goods", "piece", Decimal(25), (45, 900)),
    ("Livsmedel", "goods", "kilogram", Decimal(12), (39, 180)),
    ("Kurslitteratur", "goods", "piece", Decimal(6), (149, 595)),
    ("Persontransport", "services", "kilometer", Decimal(6), (12, 40)),
)
EUR_RATE = Decimal("11.4520")


@dataclass(frozen=True)
class Mix:
    """Fractions of invoices in each end state; the rest stay published and unpaid."""

    draft: float = 0.1
    paid: float = 0.25
    partial: float = 0.15
    credited: float = 0.05
    eur: float = 0.15


def org_number(rng: random.Random) -> str:
    """A valid Swedish organisation number for an aktiebolag (``556xxx-xxxx``, Luhn checked)."""
    body = "556" + "".join(str(rng.randrange(10)) for _ in range(6))
    number = body + luhn.calc_check_digit(body)
    assert orgnr.is_valid(number)  # noqa: S101 - construction invariant
    return f"{number[:6]}-{number[6:]}"


def _customer_body(rng: random.Random, index: int) -> dict[str, object]:
    city, postal = rng.choice(_CITIES)
    address = {
        "line1": f"{rng.choice(_LAST)}gatan {rng.randint(1, 99)}",
        "city": city,
        "postalCode": postal,
        "country": "SE",
    }
    if index % 4 == 3:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        return {
            "name": name,
            "type": "private",
            "paymentTerms": "30",
            "address": address,
            "language": "sv",
            "contactsDetails": [
                {"name": name, "email": f"kund{index}@example.se", "phone": "070-1234567", "isDefault": True}
            ],
        }
    number = org_number(rng)
    name = f"{rng.choice(_STEMS)}{rng.choice(_KINDS).lower()} AB"
    return {
        "name": name,
        "type": "company",
        "orgNumber": number,
        "vatNumber": f"SE{number.replace('-', '')}01",
        "paymentTerms": rng.choice(("10", "20", "30")),
        "address": address,
        "language": "sv",
        "contactsDetails": [
            {
                "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "email": f"faktura{index}@example.se",
                "phone": "08-123 456 78",
                "isDefault": True,
            }
        ],
    }


def _lines(rng: random.Random) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for _ in range(rng.randint(1, 3)):
        description, product, unit, rate, (low, high) = rng.choice(_ITEMS)
        lines.append(
            {
                "itemType": "salesItem",
                "description": description,
                "productType": product,
                "unitType": unit,
                "quantity": Decimal(rng.randint(1, 12)),
                "unitPrice": Decimal(rng.randint(low, high)),
                "taxRate": rate,
            }
        )
    return lines


def seed_demo(
    sandbox: Sandbox,
    *,
    company_id: str | None = None,
    token: str | None = None,
    customers: int = 12,
    invoices: int = 40,
    seed: int = 1,
    mix: Mix | None = None,
    readings: Readings | None = None,
) -> Company:
    """Create and fill one company; returns it. Invoice dates fall in the 90 days before today.

    ``readings`` (default: the sandbox's) are the company's answers to Bokio's open rules.
    """
    mix = mix or Mix()
    rng = random.Random(seed)
    with sandbox.lock:
        company = sandbox.add_company(company_id, name="Demo Konsult AB", token=token, readings=readings)
        company.info["organizationNumber"] = org_number(rng)
        today = sandbox.today()
        for year in (today.year - 1, today.year):
            fid = sandbox.new_id()
            company.fiscal_years[fid] = {
                "id": fid,
                "startDate": f"{year}-01-01",
                "endDate": f"{year}-12-31",
                "accountingMethod": str(company.readings.accounting_method),
                "status": "open" if year == today.year else "closed",
            }
        books = sandbox.books(company.id)
        ids = [books.create_customer(_customer_body(rng, i), via_api=False)["id"] for i in range(customers)]
        for index in range(invoices):
            _one_invoice(books, rng, ids[index % len(ids)], today, mix)
    return company


def _one_invoice(books: Books, rng: random.Random, customer_id: str, today: date, mix: Mix) -> None:
    invoice_date = today - timedelta(days=rng.randint(1, 90))
    eur = rng.random() < mix.eur
    body: dict[str, object] = {
        "customerRef": {"id": customer_id},
        "invoiceDate": invoice_date.isoformat(),
        "lineItems": _lines(rng),
        "currency": "EUR" if eur else "SEK",
        "currencyRate": EUR_RATE if eur else Decimal(1),
    }
    invoice = books.create_invoice(body)
    fate = rng.random()
    if fate < mix.draft:
        return
    invoice_id = invoice["id"]
    books.publish_invoice(invoice_id)
    books.record_invoice(invoice_id)
    fate -= mix.draft
    pay_date = min(today, invoice_date + timedelta(days=rng.randint(3, 25))).isoformat()
    if fate < mix.paid:
        pay_invoice(books, invoice_id, books.remaining(invoice_id), pay_date)
    elif fate < mix.paid + mix.partial:
        part = quantize(books.remaining(invoice_id) * Decimal(rng.choice(("0.25", "0.5", "0.6"))))
        pay_invoice(books, invoice_id, part, pay_date)
    elif fate < mix.paid + mix.partial + mix.credited:
        note = books.credit_invoice(invoice_id)
        books.publish_credit_note(note["id"])


# ----- programmatic Bokio-side changes (for poller property tests) ------------------------------
def create_published_invoice(
    books: Books, customer_id: str, lines: list[dict[str, object]], invoice_date: str, **extra: object
) -> dict[str, object]:
    """Create and publish in one go; returns the rendered invoice."""
    invoice = books.create_invoice(
        {"customerRef": {"id": customer_id}, "invoiceDate": invoice_date, "lineItems": lines, **extra}
    )
    return books.publish_invoice(invoice["id"])


def pay_invoice(
    books: Books, invoice_id: str, amount: Decimal, on: str, *, record: bool = True
) -> dict[str, object]:
    """A payment as if registered in the Bokio UI (recorded by default)."""
    payment = books.create_payment(
        invoice_id, {"date": on, "sumBaseCurrency": amount, "bookkeepingAccountNumber": 1930}
    )
    return books.record_payment(invoice_id, payment["id"]) if record else payment


def settle_invoice(
    books: Books, invoice_id: str, kind: str, amount: Decimal, on: str, *, vat_scheme: str | None = None
) -> dict[str, object]:
    """A recorded settlement of ``kind`` (``currency``, ``bankFee``, ``paymentServiceFee``)."""
    details: dict[str, object] = {"date": on, "sumBaseCurrency": amount}
    if vat_scheme is not None:
        details["vatScheme"] = vat_scheme
    settlement = books.create_settlement(invoice_id, {"type": kind, "invoiceSettlementDetails": details})
    return books.record_settlement(invoice_id, settlement["id"])


def credit_fully(books: Books, invoice_id: str) -> dict[str, object]:
    """Credit the whole invoice and publish the credit note."""
    return books.publish_credit_note(books.credit_invoice(invoice_id)["id"])


def edit_customer(books: Books, customer_id: str, **changes: object) -> dict[str, object]:
    """PUT the customer with ``changes`` applied (moves ``modifiedDateTime``)."""
    current = {k: v for k, v in books.customer(customer_id).items() if k not in ("id", "modifiedDateTime")}
    return books.update_customer(customer_id, {**current, **changes})
