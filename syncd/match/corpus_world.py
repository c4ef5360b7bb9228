"""Building blocks of the evaluation corpus: labelled scenarios and the world they are built in.

Names, amounts and dates are Swedish-looking and drawn from one seeded ``random.Random`` per
scenario, so the corpus is reproducible and a scenario does not change when the size does.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from syncd.domain.models import BankLine, Direction, OpenInvoice, PspPayoutLine, Tier
from syncd.domain.money import from_ore, quantize
from syncd.domain.references import luhn_valid, make_ocr
from syncd.match.rules import MatchMemory

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


@dataclass(frozen=True, slots=True)
class ExpectedAllocation:
    """What a careful bookkeeper would book: this invoice gets this much of the bank money."""

    invoice_id: str
    cash: Decimal


@dataclass(frozen=True, slots=True)
class Scenario:
    """One labelled situation; ``expected`` maps every bank line id to its right allocations."""

    kind: str
    tier: Tier | None
    invoices: tuple[OpenInvoice, ...]
    bank_lines: tuple[BankLine, ...]
    expected: Mapping[str, tuple[ExpectedAllocation, ...]]
    psp_payouts: tuple[PspPayoutLine, ...] = ()
    memory: MatchMemory = field(default_factory=MatchMemory)
    today: dt.date = TODAY


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
        self.memory = MatchMemory()

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
        direction: Direction = Direction.CREDIT, psp_payout_id: str | None = None,
    ) -> BankLine:  # fmt: skip
        line_id = f"s{self.index:05d}-l{len(self.lines)}"
        booked = TODAY - dt.timedelta(days=self.rng.randint(0, 6))
        line = BankLine(
            company_id=company, id=line_id, booking_date=booked, amount=amount, direction=direction,
            references=references, free_text=free_text, payer_name=payer_name, psp_payout_id=psp_payout_id,
        )  # fmt: skip
        self.lines.append(line)
        self.expected[line_id] = tuple(ExpectedAllocation(inv.bokio_id, cash) for inv, cash in expected)
        return line

    def payer(self, customer: str) -> str:
        """How a bank writes the name: upper-case, often without diacritics or legal form."""
        name = customer.upper()
        if self.rng.random() < 0.6:
            name = name.translate(str.maketrans("ÅÄÖÜ", "AAOU"))
        if self.rng.random() < 0.4:
            name = name.removesuffix(" AB").removesuffix(" HB")
        return name


def typo(rng: random.Random, ocr: str) -> str:
    """One substitution or adjacent transposition that the check digit catches."""
    while True:
        i = rng.randrange(len(ocr) - 1)
        if rng.random() < 0.5 and ocr[i] != ocr[i + 1]:
            typo = ocr[:i] + ocr[i + 1] + ocr[i] + ocr[i + 2 :]
        else:
            typo = ocr[:i] + str((int(ocr[i]) + rng.randint(1, 9)) % 10) + ocr[i + 1 :]
        if not luhn_valid(typo):
            return typo
