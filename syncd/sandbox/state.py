"""Per-company sandbox state and how it renders to Bokio's wire shapes.

Resources are stored as wire-shaped dicts (money as Decimal); what Bokio derives -- an invoice's
``paidAmount``, ``status`` and ``creditNoteRefs`` -- is computed at render time from the
payments, settlements and credit notes under the company's readings, through
:mod:`syncd.sandbox.rules`; totals are stored and recomputed when the readings switch.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from syncd.domain.money import ZERO
from syncd.sandbox import rules
from syncd.sandbox.readings import Readings, Rounding

Json = dict[str, Any]

# accounts that may receive invoice payments (have "payment account details" in Bokio)
PAYMENT_ACCOUNTS = frozenset({1910, 1920, 1930, 1940})

BASE_ACCOUNTS: dict[int, str] = {
    1510: "Kundfordringar",
    1910: "Kassa",
    1920: "PlusGiro",
    1930: "Företagskonto / checkkonto / affärskonto",
    1940: "Övriga bankkonton",
    2611: "Utgående moms på försäljning inom Sverige, 25 %",
    2614: "Utgående moms omvänd skattskyldighet, 25 %",
    2621: "Utgående moms på försäljning inom Sverige, 12 %",
    2631: "Utgående moms på försäljning inom Sverige, 6 %",
    2645: "Beräknad ingående moms på förvärv från utlandet",
    3001: "Försäljning inom Sverige, 25 % moms",
    3002: "Försäljning inom Sverige, 12 % moms",
    3003: "Försäljning inom Sverige, 6 % moms",
    3004: "Försäljning inom Sverige, momsfri",
    3960: "Valutakursvinster på fordringar och skulder av rörelsekaraktär",
    6570: "Bankkostnader",
    6590: "Övriga externa tjänster",
    6990: "Övriga externa kostnader",
    7960: "Valutakursförluster på fordringar och skulder av rörelsekaraktär",
}


@dataclass
class Company:
    """Everything the sandbox knows about one Bokio company."""

    id: str
    info: Json
    accounts: dict[int, Json] = field(default_factory=dict)
    fiscal_years: dict[str, Json] = field(default_factory=dict)
    customers: dict[str, Json] = field(default_factory=dict)
    api_customers: set[str] = field(default_factory=set)
    invoices: dict[str, Json] = field(default_factory=dict)
    payments: dict[str, dict[str, Json]] = field(default_factory=dict)
    settlements: dict[str, dict[str, Json]] = field(default_factory=dict)
    credit_notes: dict[str, Json] = field(default_factory=dict)
    journal_entries: dict[str, Json] = field(default_factory=dict)
    tag_groups: dict[str, Json] = field(default_factory=dict)
    features: set[str] = field(default_factory=lambda: {"Tags"})
    payment_terms_days: int = 30
    next_invoice_number: int = 1001
    next_credit_number: int = 1
    next_journal_number: int = 1
    readings: Readings = field(default_factory=Readings)

    def set_readings(self, readings: Readings) -> None:
        """Switch the company's readings: stored totals follow; öresavrundning brings its account."""
        self.readings = readings
        for document in [*self.invoices.values(), *self.credit_notes.values()]:
            store_totals(self, document)
        if readings.rounding is not Rounding.OFF:
            self.accounts.setdefault(
                rules.ROUNDING_ACCOUNT,
                {
                    "account": rules.ROUNDING_ACCOUNT,
                    "name": "Öres- och kronutjämning",
                    "accountType": "basePlanAccount",
                },
            )

    @classmethod
    def empty(
        cls,
        company_id: str,
        name: str = "Sandbox AB",
        org_number: str = "556677-8899",
        readings: Readings | None = None,
    ) -> Company:
        """A company with the base chart of accounts and nothing else."""
        info = {
            "id": company_id,
            "companyType": "limitedCompany",
            "name": name,
            "organizationNumber": org_number,
            "phone": "+46812345678",
            "email": "ekonomi@example.se",
            "hasBBA": False,
            "address": {
                "line1": "Sveavägen 1",
                "line2": None,
                "city": "Stockholm",
                "postalCode": "111 57",
                "country": "SE",
            },
        }
        company = cls(id=company_id, info=info)
        for number, account_name in BASE_ACCOUNTS.items():
            company.accounts[number] = {
                "account": number,
                "name": account_name,
                "accountType": "basePlanAccount",
            }
        company.set_readings(readings or Readings())
        return company


def balance(company: Company, invoice: Json) -> rules.Balance:
    """What is owed on ``invoice`` and what has been set against it, in SEK."""
    readings = company.readings
    owed = rules.in_sek(document_amounts(company, invoice).to_pay, invoice["currencyRate"])
    payments = company.payments.get(invoice["id"], {}).values()
    settlements = company.settlements.get(invoice["id"], {}).values()
    settled = (
        rules.settlement_effect(
            s["type"], s["invoiceSettlementDetails"]["sumBaseCurrency"], readings.settlement_sign
        )
        for s in settlements
    )
    credited = (
        rules.in_sek(document_amounts(company, note).to_pay, note["currencyRate"])
        for note in company.credit_notes.values()
        if note["invoiceRef"]["id"] == invoice["id"] and note["status"] == "published"
    )
    return rules.Balance(
        owed=owed,
        payments=sum((p["sumBaseCurrency"] for p in payments), ZERO),
        settled=sum(settled, ZERO),
        credited=sum(credited, ZERO),
    )


def document_amounts(company: Company, document: Json) -> rules.Amounts:
    """Net, VAT and rounding of an invoice or credit note under the company's readings."""
    return rules.amounts(document["lineItems"], document["currency"], company.readings)


def store_totals(company: Company, document: Json) -> None:
    """Set an invoice's or credit note's ``totalAmount``/``totalTax`` as the readings show them.

    Totals are stored (at every write and every switch of readings), not derived at render time,
    so a test can still make Bokio's totals disagree with the lines by editing them.
    """
    found = document_amounts(company, document)
    document["totalAmount"], document["totalTax"] = rules.reported_totals(found, company.readings)


def render_invoice(company: Company, invoice: Json, today: date) -> Json:
    """The invoice as Bokio returns it, with ``paidAmount`` and ``status`` derived."""
    out = copy.deepcopy(invoice)
    found = balance(company, invoice)
    out["paidAmount"] = rules.paid_amount(found, invoice["currencyRate"], company.readings)
    out["status"] = rules.status(
        found,
        published=invoice["invoiceNumber"] is not None,
        due_date=date.fromisoformat(invoice["dueDate"]),
        today=today,
    )
    refs = [
        {"id": cn_id} for cn_id, cn in company.credit_notes.items() if cn["invoiceRef"]["id"] == invoice["id"]
    ]
    out["creditNoteRefs"] = refs
    return out


def render_fiscal_year(company: Company, year: Json) -> Json:
    """A fiscal year showing the company's accounting method."""
    return {**copy.deepcopy(year), "accountingMethod": str(company.readings.accounting_method)}


def render(obj: Json) -> Json:
    """A defensive copy, so callers never alias stored state."""
    return copy.deepcopy(obj)


def render_journal_entry(company: Company, entry: Json) -> Json:
    """Journal entry with tag names filled in from the tag groups."""
    out = copy.deepcopy(entry)
    for private in [key for key in out if key.startswith("_")]:
        out.pop(private)  # the sandbox's own bookkeeping (origin, a person's amendments)
    for tag in out["tags"] + [t for item in out["items"] for t in item["tags"]]:
        for group in company.tag_groups.values():
            for value in group["tags"]:
                if value["id"] == tag["tagId"]:
                    tag.update(tagGroupId=group["id"], tagName=value["name"], tagGroupName=group["name"])
    return out
