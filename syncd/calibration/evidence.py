"""A company's history as evidence for each of Bokio's open rules (queries on the mirror only).

Counted per rule: invoices whose numbers fit only the configured answer (agree), only another
(disagree), or both or neither (undecided), with example invoice numbers. The configured answer
is *contradicted* when some invoices disagree and at least as many disagree as agree: the match
stage then books nothing automatically for the company. One invoice whose ``paidAmount`` does
not follow from its payments and settlements under the configured answers is a *suspect*: never
booked automatically, whatever the rest of the history says.

Only invoices whose paid amount Bokio itself showed count (``paid_from_bokio``): syncd's own
reflection of a push would agree with syncd by construction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.calibration.readings import (
    SEK,
    InvoiceFacts,
    Reading,
    Rule,
    fitting,
    shown_paid,
    telling,
    verdict,
)
from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.tables import Invoice, InvoicePayment, InvoiceSettlement

EXAMPLES = 5
"""Invoice numbers kept per rule and verdict, to show a person where to look."""

_SAYS = {
    Rule.PAID_INCLUDES_SETTLEMENTS: "paidAmount includes settlements",
    Rule.SETTLEMENT_SIGN: "a currency settlement's sign reads",
    Rule.PAID_CURRENCY: "paidAmount of a foreign-currency invoice is in",
}


@dataclass
class RuleEvidence:
    """How a company's invoices bear on one rule read as ``configured``."""

    rule: Rule
    configured: str
    counts: dict[str, int] = field(default_factory=lambda: {"agree": 0, "disagree": 0, "undecided": 0})
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, outcome: str, number: str) -> None:
        self.counts[outcome] += 1
        if len(self.examples[outcome]) < EXAMPLES:
            self.examples[outcome].append(number)

    @property
    def contradicted(self) -> bool:
        """The history leans against the configured answer."""
        return self.counts["disagree"] > 0 and self.counts["disagree"] >= self.counts["agree"]

    def line(self) -> str:
        """``paidAmount includes settlements (True): 37 invoices agree, 0 disagree, 4 undecided``."""
        c = self.counts
        return (
            f"{_SAYS[self.rule]} {self.configured}: {c['agree']} invoices agree, "
            f"{c['disagree']} disagree, {c['undecided']} cannot tell"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "configured": self.configured,
            "contradicted": self.contradicted,
            **self.counts,
            "examples": {key: list(value) for key, value in self.examples.items()},
        }


@dataclass(frozen=True)
class Suspect:
    """An invoice whose Bokio figures do not follow from what it holds, under the configured answers."""

    bokio_id: str
    number: str
    paid: Decimal
    derived: Decimal

    def reason(self) -> str:
        return (
            f"Bokio shows paidAmount {self.paid} on invoice {self.number}, but its payments and "
            f"settlements give {self.derived} under the configured reading; a person decides"
        )


@dataclass
class Calibration:
    """One company's evidence for every open rule, and its suspect invoices."""

    rules: list[RuleEvidence]
    suspects: dict[str, Suspect]
    invoices: int

    @property
    def contradicted(self) -> list[RuleEvidence]:
        return [rule for rule in self.rules if rule.contradicted]

    def stop_reason(self) -> str | None:
        """Why auto-booking stops for the company, or None."""
        wrong = self.contradicted
        if not wrong:
            return None
        return "the company's own books contradict the configuration: " + "; ".join(r.line() for r in wrong)

    def to_json(self) -> dict[str, Any]:
        return {
            "invoices": self.invoices,
            "rules": [rule.to_json() for rule in self.rules],
            "auto_booking_stopped": self.stop_reason(),
            "suspects": [
                {"invoice": s.number, "paid": s.paid, "derived": s.derived, "reason": s.reason()}
                for s in self.suspects.values()
            ],
        }


def configured_reading(readings: im.Readings) -> Reading:
    """syncd's configured answers as a :class:`Reading` (``paidAmount`` is read as SEK)."""
    return Reading(readings.paid_includes_settlements, readings.settlement_sign, SEK)


def company_facts(session: Session, company_id: int) -> list[tuple[str, InvoiceFacts]]:
    """``(bokio id, facts)`` of every published invoice whose paid amount Bokio showed."""
    payments: dict[str, list[Decimal]] = defaultdict(list)
    for invoice_id, amount in session.execute(
        select(InvoicePayment.invoice_bokio_id, InvoicePayment.sum_base_currency).where(
            InvoicePayment.company_id == company_id, InvoicePayment.deleted_at.is_(None)
        )
    ):
        payments[invoice_id].append(amount)
    settlements: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for invoice_id, kind, amount in session.execute(
        select(
            InvoiceSettlement.invoice_bokio_id, InvoiceSettlement.type, InvoiceSettlement.sum_base_currency
        ).where(InvoiceSettlement.company_id == company_id, InvoiceSettlement.deleted_at.is_(None))
    ):
        settlements[invoice_id].append((kind, amount))
    rows = session.execute(
        select(
            Invoice.bokio_id,
            Invoice.invoice_number,
            Invoice.currency,
            Invoice.currency_rate,
            Invoice.paid_amount,
        ).where(
            Invoice.company_id == company_id,
            Invoice.deleted_at.is_(None),
            Invoice.paid_from_bokio.is_(True),
            Invoice.status != im.Status.DRAFT,
        )
    )
    return [
        (
            bokio_id,
            InvoiceFacts(
                number or bokio_id,
                currency,
                rate,
                paid,
                tuple(payments[bokio_id]),
                tuple(settlements[bokio_id]),
            ),
        )
        for bokio_id, number, currency, rate, paid in rows
    ]


def calibrate(session: Session, company_id: int, readings: im.Readings, *, keep: bool = False) -> Calibration:
    """Weigh the company's history against ``readings`` (and SEK for ``paidAmount``).

    The answer is kept per mirror generation (:func:`syncd.mirror.repo.bump_generation`): a
    cycle in which nothing was mirrored reads one row instead of the company's whole history.
    """
    key = f"{configured_reading(readings)!r} deleted={_deleted_rows(session, company_id)}"
    cached = repo.cached_digest(session, company_id, _DIGEST, key)
    if cached is not None:
        return _loaded(cached)
    calibration = weigh(session, company_id, readings)
    if keep:  # in the caller's transaction (the match stage's); readers only use a kept answer
        repo.store_digest(session, company_id, _DIGEST, key, _stored(calibration))
    return calibration


_DIGEST = "calibration"


def _deleted_rows(session: Session, company_id: int) -> tuple[int, ...]:
    """Soft-deleted invoices, payments and settlements (an index range, not the history).

    A soft delete outside :mod:`syncd.mirror.repo` (the pull's) does not move the generation, but
    it raises one of these counts; anything that brings a row back is an upsert, which does.
    """
    counts = [
        select(func.count())
        .select_from(model)
        .where(model.company_id == company_id, model.deleted_at.is_not(None))
        for model in (Invoice, InvoicePayment, InvoiceSettlement)
    ]
    return tuple(int(n) for n in session.execute(select(*(c.scalar_subquery() for c in counts))).one())


def _stored(calibration: Calibration) -> dict[str, Any]:
    return {
        "invoices": calibration.invoices,
        "rules": [
            {
                "rule": r.rule.value,
                "configured": r.configured,
                "counts": r.counts,
                "examples": dict(r.examples),
            }
            for r in calibration.rules
        ],
        "suspects": [
            [s.bokio_id, s.number, str(s.paid), str(s.derived)] for s in calibration.suspects.values()
        ],
    }


def _loaded(document: dict[str, Any]) -> Calibration:
    rules = []
    for item in document["rules"]:
        evidence = RuleEvidence(Rule(item["rule"]), item["configured"], dict(item["counts"]))
        evidence.examples.update((k, list(v)) for k, v in item["examples"].items())
        rules.append(evidence)
    suspects = {
        bokio_id: Suspect(bokio_id, number, Decimal(paid), Decimal(derived))
        for bokio_id, number, paid, derived in document["suspects"]
    }
    return Calibration(rules, suspects, int(document["invoices"]))


def weigh(session: Session, company_id: int, readings: im.Readings) -> Calibration:
    """:func:`calibrate` without its cache: every invoice of the company, read now."""
    configured = configured_reading(readings)
    rules = [RuleEvidence(rule, configured.answer(rule)) for rule in Rule]
    suspects: dict[str, Suspect] = {}
    counted = 0
    for bokio_id, facts in company_facts(session, company_id):
        if not telling(facts) and facts.paid == 0:
            continue
        counted += 1
        fits = fitting(facts)
        for evidence in rules:
            evidence.add(verdict(fits, evidence.rule, evidence.configured), facts.number)
        derived = shown_paid(facts, configured)
        if derived != facts.paid:
            suspects[bokio_id] = Suspect(bokio_id, facts.number, facts.paid, derived)
    return Calibration(rules, suspects, counted)
