"""What a company's invoices show about ``totalAmount`` (net or gross) and öresavrundning.

syncd does not configure these two rules: it reads each invoice's total against its own lines
(:func:`syncd.domain.invoice_math.check_totals`) and leaves one that fits no reading to a
person. This module counts, over the company's history, which reading the invoices show, so
``syncd calibrate`` and doctor can name it. One reading syncd cannot read from an invoice alone
is *rounding beside the total*: ``totalAmount`` shows the lines unrounded while Bokio asks for
whole kronor, which only a paid invoice's ``paidAmount`` reveals; where the books show it,
doctor warns that amounts to pay on such invoices may be up to 50 öre off.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.bokio import models as bm
from syncd.domain import invoice_math as im
from syncd.domain.money import ZERO
from syncd.mirror.derive import line_of
from syncd.mirror.tables import Invoice

EXAMPLES = 5
SEK = "SEK"


@dataclass(frozen=True, slots=True)
class Shown:
    """One invoice's figures, as Bokio showed them."""

    number: str
    currency: str
    total_amount: Decimal
    total_tax: Decimal
    lines: im.Totals
    paid: Decimal | None  # paidAmount of a fully paid invoice Bokio reported itself; else None


def total_reading(shown: Shown) -> str:
    """``net``, ``gross``, ``either`` (no VAT) or ``neither`` for one invoice (pure)."""
    t, total = shown.lines, shown.total_amount
    to_pay = im.to_whole_kronor(t.gross) if shown.currency == SEK else t.gross
    if shown.total_tax == ZERO and total in (t.net, to_pay):
        return "either"
    if total in (t.net, t.net + to_pay - t.gross):
        return "net"
    if total in (t.gross, to_pay):
        return "gross"
    return "neither"


def rounding(shown: Shown) -> str:
    """``in_total``, ``beside_total``, ``off`` or ``undecided`` for one invoice (pure).

    Only a SEK invoice whose lines end in öre can tell; beside-the-total and off only once paid.
    """
    t = shown.lines
    to_pay = im.to_whole_kronor(t.gross)
    if shown.currency != SEK or to_pay == t.gross:
        return "undecided"
    if shown.total_amount in (to_pay, t.net + to_pay - t.gross):
        return "in_total"
    if shown.paid == to_pay:
        return "beside_total"
    if shown.paid == t.gross:
        return "off"
    return "undecided"


@dataclass
class Tally:
    """Invoices per answer, with example invoice numbers."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, answer: str, number: str) -> None:
        self.counts[answer] += 1
        if len(self.examples[answer]) < EXAMPLES:
            self.examples[answer].append(number)

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(sorted(self.counts.items())), "examples": dict(sorted(self.examples.items()))}


@dataclass(frozen=True, slots=True)
class TotalsEvidence:
    """How the company's invoices read ``totalAmount`` and round."""

    total: Tally
    rounding: Tally

    @property
    def rounds_beside_total(self) -> bool:
        """Bokio asked for whole kronor on an invoice whose total showed öre: syncd's amount to
        pay would be off by up to 50 öre on such invoices."""
        return self.rounding.counts["beside_total"] > 0

    def lines(self) -> list[str]:
        t, r = self.total.counts, self.rounding.counts
        return [
            f"totalAmount: {t['net']} invoices net of VAT, {t['gross']} gross, "
            f"{t['either']} without VAT, {t['neither']} fit neither",
            f"öresavrundning: {r['in_total']} in the total, {r['beside_total']} beside the total, "
            f"{r['off']} not rounded, {r['undecided']} cannot tell",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "total_amount": self.total.to_json(),
            "rounding": self.rounding.to_json(),
            "rounds_beside_total": self.rounds_beside_total,
        }


def shown_invoices(session: Session, company_id: int) -> Iterable[Shown]:
    """Every published invoice of the company, from the raw JSON Bokio sent."""
    rows = session.execute(
        select(Invoice.invoice_number, Invoice.raw, Invoice.paid_from_bokio).where(
            Invoice.company_id == company_id,
            Invoice.deleted_at.is_(None),
            Invoice.status != im.Status.DRAFT,
        )
    )
    for number, raw, from_bokio in rows:
        invoice = bm.Invoice.model_validate(raw)
        paid = invoice.paid_amount if from_bokio and invoice.status == im.Status.PAID else None
        yield Shown(
            number=str(number or invoice.id),
            currency=invoice.currency,
            total_amount=invoice.total_amount or ZERO,
            total_tax=invoice.total_tax or ZERO,
            lines=im.totals(line_of(item) for item in invoice.line_items),
            paid=paid,
        )


def totals_evidence(session: Session, company_id: int) -> TotalsEvidence:
    """Count the company's invoices per reading (mirror only, no Bokio call)."""
    total, rounded = Tally(), Tally()
    for shown in shown_invoices(session, company_id):
        total.add(total_reading(shown), shown.number)
        rounded.add(rounding(shown), shown.number)
    return TotalsEvidence(total, rounded)
