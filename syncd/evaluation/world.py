"""Building blocks of the evaluation corpus: labelled scenarios and the world they are built in.

Names, amounts and dates are Swedish-looking and drawn from one seeded ``random.Random`` per
scenario, so the corpus is reproducible and a scenario does not change when the size does.
Only :mod:`syncd.domain` is imported: labels come from the bookkeeping rules stated here, never
from the matcher's own functions.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from syncd.domain.models import BankLine, Direction, OpenInvoice, PspPayoutLine, SettlementType, Tier
from syncd.domain.money import from_ore, quantize
from syncd.domain.references import luhn_valid, make_ocr

TODAY = dt.date(2026, 3, 2)
COMPANY = "company-a"
OTHER_COMPANY = "company-b"

CUSTOMERS = (
    "Bergström Bygg AB", "Lindqvist Måleri AB", "Åkesson Transport AB", "Ekholm Fastigheter AB",
    "Fjällvind Design AB", "Holmgren El & Data AB", "Nordin & Söner HB", "Karlsson Konsult",
    "Sjöberg Redovisning AB", "Dahlin Mekaniska Verkstad AB", "Wikström Café HB", "Grönlund IT AB",
    "Östlund Snickeri AB", "Blomqvist Trädgård AB", "Hedlund Juristbyrå AB", "Mattsson Frakt AB",
    "Sandberg Arkitekter AB", "Lundgren VVS AB", "Forsberg Media AB", "Axelsson Tak & Fasad AB",
    "Engström Städ AB", "Nyberg Bageri AB", "Björk Event AB", "Falk Logistik AB",
)  # fmt: skip
LOOK_ALIKES = (
    ("Svensson AB", "Svenssons Bygg AB"),
    ("Lind El AB", "Lindh Elektriska Installationer AB"),
    ("Nordqvist HB", "Nordqvists Trädgårdsservice HB"),
)
FOREIGN = ("Müller Maschinenbau GmbH", "Virtanen Oy", "Hansen Shipping ApS", "Acme Ltd")

# The company's policy as its bookkeeper states it (and configures syncd's defaults to match):
# a shortfall up to FEE_LIMIT SEK is the payer's bank fee, written off; a foreign invoice paid in
# SEK within FX_LIMIT_PERCENT of its booked SEK value is closed with a currency difference.
# Anything beyond is not for a machine to decide.
FEE_LIMIT = Decimal("50.00")
FX_LIMIT_PERCENT = Decimal(3)


@dataclass(frozen=True, slots=True)
class ConfirmedPayer:
    """A payer name people confirmed, that many times, as paying for this customer."""

    company_id: str
    payer_name: str
    customer_id: str
    confirmations: int


@dataclass(frozen=True, slots=True)
class Taught:
    """What people told the matcher before the scenario: pairs they rejected, payers they confirmed."""

    rejected: frozenset[tuple[str, str]] = frozenset()
    """(bank line id, invoice id) pairs a person rejected."""
    confirmed_payers: tuple[ConfirmedPayer, ...] = ()


@dataclass(frozen=True, slots=True)
class ExpectedAllocation:
    """What a careful bookkeeper would book: this invoice gets this much of the bank money."""

    invoice_id: str
    cash: Decimal
    write_off: Decimal | None = None
    """When set, what the settlements next to the payment add up to (0: none; the rest stays open)."""
    settlements: tuple[tuple[SettlementType, Decimal], ...] | None = None
    """When set, exactly these settlements (type, amount whatever its sign), sorted: none is ``()``."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One labelled situation; ``expected`` maps every bank line id to its right allocations.

    A line in ``for_a_person`` has no right booking a machine could make (a near-miss just
    outside a tolerance, an ambiguous payer or amount): the right outcome is to leave it to a
    person, with or without a suggestion; booking it on its own is wrong. A line in
    ``for_confirmation`` has a right booking that the company's policy still has a person confirm
    (an overpayment, a repaired OCR): proposing it is right, booking it alone is wrong.
    """

    kind: str
    tier: Tier | None
    invoices: tuple[OpenInvoice, ...]
    bank_lines: tuple[BankLine, ...]
    expected: Mapping[str, tuple[ExpectedAllocation, ...]]
    psp_payouts: tuple[PspPayoutLine, ...] = ()
    taught: Taught = field(default_factory=Taught)
    for_a_person: frozenset[str] = frozenset()
    today: dt.date = TODAY
    for_confirmation: frozenset[str] = frozenset()


class World:
    """Builds one scenario's invoices and lines from a seeded random source."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.next_number = rng.randint(1000, 9000)
        self.invoices: list[OpenInvoice] = []
        self.lines: list[BankLine] = []
        self.expected: dict[str, tuple[ExpectedAllocation, ...]] = {}
        self.used: set[str] = set()
        self.payouts: list[PspPayoutLine] = []
        self.taught = Taught()
        self.for_a_person: set[str] = set()

    def amount(self) -> Decimal:
        if self.rng.random() < 0.5:
            return from_ore(self.rng.randint(4, 400) * 12_500)  # 500,00 … 50 000,00 in 125-kronor steps
        return from_ore(self.rng.randint(20_000, 9_000_000))

    def name(self) -> str:
        free = [c for c in CUSTOMERS if c not in self.used]
        chosen = self.rng.choice(free)
        self.used.add(chosen)
        return chosen

    def invoice(
        self, customer: str, amount: Decimal | None = None, *, company: str = COMPANY, age: int | None = None,
        currency: str = "SEK", rate: Decimal = Decimal(1), ocr: str | None = None,
    ) -> OpenInvoice:  # fmt: skip
        number = str(self.next_number)
        self.next_number += self.rng.randint(1, 3)
        gross = amount if amount is not None else self.amount()
        issued = TODAY - dt.timedelta(days=age if age is not None else self.rng.randint(8, 70))
        inv = OpenInvoice(
            company_id=company,
            bokio_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            invoice_number=number,
            ocr=ocr or make_ocr(f"{number}{self.rng.randint(10, 99)}"),
            customer_id=f"cust-{customer.lower().replace(' ', '-')}",
            customer_name=customer,
            currency=currency,
            currency_rate=rate,
            gross_amount=gross,
            outstanding=gross,
            outstanding_sek=quantize(gross * rate),
            invoice_date=issued,
            due_date=issued + dt.timedelta(days=30),
        )
        self.invoices.append(inv)
        return inv

    def distractors(self, count: int | None = None) -> None:
        for _ in range(count if count is not None else self.rng.randint(3, 8)):
            self.invoice(self.name())

    def line(
        self, amount: Decimal, expected: list[tuple[OpenInvoice, Decimal]], *, company: str = COMPANY,
        references: tuple[str, ...] = (), free_text: str = "", payer_name: str = "",
        direction: Direction = Direction.CREDIT, psp_payout_id: str | None = None, is_reversal: bool = False,
        booked: dt.date | None = None, write_off: Decimal | None = None,
    ) -> BankLine:  # fmt: skip
        line_id = f"s{self.index:05d}-l{len(self.lines)}"
        booked = booked or TODAY - dt.timedelta(days=self.rng.randint(0, 6))
        line = BankLine(
            company_id=company, id=line_id, booking_date=booked, amount=amount, direction=direction,
            references=references, free_text=free_text, payer_name=payer_name, psp_payout_id=psp_payout_id,
            is_reversal=is_reversal,
        )  # fmt: skip
        self.lines.append(line)
        self.expected[line_id] = tuple(
            ExpectedAllocation(inv.bokio_id, cash, write_off) for inv, cash in expected
        )
        return line

    def for_person(self, amount: Decimal, **kwargs: Any) -> BankLine:
        """A line no machine should book: its right outcome is a person's decision."""
        line = self.line(amount, [], **kwargs)
        self.for_a_person.add(line.id)
        return line

    def payer(self, customer: str) -> str:
        """How a bank writes the name: upper-case, often without diacritics or legal form."""
        name = customer.upper()
        if self.rng.random() < 0.6:
            name = name.translate(str.maketrans("ÅÄÖÜ", "AAOU"))
        if self.rng.random() < 0.4:
            name = name.removesuffix(" AB").removesuffix(" HB")
        return name


def _slip(rng: random.Random, ocr: str) -> str:
    """One substitution or adjacent transposition (a typist's slip), whatever its check digit."""
    while True:
        i = rng.randrange(len(ocr) - 1)
        if rng.random() < 0.5 and ocr[i] != ocr[i + 1]:
            return ocr[:i] + ocr[i + 1] + ocr[i] + ocr[i + 2 :]
        changed = ocr[:i] + str((int(ocr[i]) + rng.randint(1, 9)) % 10) + ocr[i + 1 :]
        if changed != ocr:
            return changed


def typo(rng: random.Random, ocr: str) -> str:
    """One slip that the check digit catches."""
    while True:
        written = _slip(rng, ocr)
        if not luhn_valid(written):
            return written


def two_digit_typo(rng: random.Random, ocr: str) -> str:
    """Two slips in one OCR: the result differs from ``ocr`` in two places (its check may pass)."""
    while True:
        written = _slip(rng, _slip(rng, ocr))
        if sum(a != b for a, b in zip(written, ocr, strict=True)) >= 2:
            return written


def one_slip_away(written: str) -> list[str]:
    """Every valid OCR (check digit right) one substitution or transposition from ``written``."""
    found = []
    for i, digit in enumerate(written):
        found += [written[:i] + d + written[i + 1 :] for d in "0123456789" if d != digit]
        if i + 1 < len(written) and digit != written[i + 1]:
            found.append(written[:i] + written[i + 1] + digit + written[i + 2 :])
    return sorted(v for v in set(found) if luhn_valid(v))
