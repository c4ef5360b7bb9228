"""A company's history as evidence for each of Bokio's open rules (queries on the mirror only).

Counted per rule: invoices whose numbers fit only the configured answer (agree), only another
(disagree), or both or neither (undecided), with example invoice numbers. The configured answer
is *contradicted* when some invoices disagree and at least as many disagree as agree: the match
stage then books nothing automatically for the company. One invoice whose ``paidAmount`` does
not follow from its payments and settlements under the configured answers is a *suspect*: never
booked automatically, whatever the rest of the history says.

Only invoices whose paid amount Bokio itself showed count (``paid_from_bokio``): syncd's own
reflection of a push would agree with syncd by construction.

The answer is kept (:class:`~syncd.mirror.tables.MirrorDigest`) with each invoice's own answers
(:class:`~syncd.calibration.tables.InvoiceEvidence`); when the mirror moves, only the invoices whose
rows were stamped since (:func:`syncd.mirror.repo.changed`) are weighed again, so a cycle costs
what is new, not the company's history. :func:`weigh` reads everything: the oracle it must equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from syncd.calibration import changes
from syncd.calibration.readings import (
    READINGS,
    SEK,
    InvoiceFacts,
    Reading,
    Rule,
    fitting,
    shown_paid,
    telling,
)
from syncd.calibration.tables import InvoiceEvidence
from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.tables import Invoice, InvoicePayment, InvoiceSettlement

EXAMPLES = 5
"""Invoice numbers kept per rule and verdict (the first ones by invoice row), to show a person where
to look."""

VERDICTS = ("agree", "disagree", "undecided")

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
            "examples": {key: list(self.examples[key]) for key in VERDICTS if self.examples.get(key)},
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


def company_facts(
    session: Session, company_id: int, bokio_ids: Collection[str] | None = None
) -> list[tuple[int, str, InvoiceFacts]]:
    """``(row id, bokio id, facts)`` of every published invoice whose paid amount Bokio showed.

    In invoice row order; only those among ``bokio_ids`` when given.
    """
    if bokio_ids is not None:
        ids = sorted(bokio_ids)
        found: list[tuple[int, str, InvoiceFacts]] = []
        for start in range(0, len(ids), _CHUNK):
            found += _facts(session, company_id, ids[start : start + _CHUNK])
        return sorted(found, key=lambda item: item[0])
    return _facts(session, company_id, None)


_CHUNK = 500


def _facts(
    session: Session, company_id: int, ids: Sequence[str] | None
) -> list[tuple[int, str, InvoiceFacts]]:
    def among(column: Any) -> tuple[ColumnElement[bool], ...]:
        return () if ids is None else (column.in_(ids),)

    payments: dict[str, list[Decimal]] = defaultdict(list)
    for invoice_id, amount in session.execute(
        select(InvoicePayment.invoice_bokio_id, InvoicePayment.sum_base_currency).where(
            InvoicePayment.company_id == company_id,
            InvoicePayment.deleted_at.is_(None),
            *among(InvoicePayment.invoice_bokio_id),
        )
    ):
        payments[invoice_id].append(amount)
    settlements: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for invoice_id, kind, amount in session.execute(
        select(
            InvoiceSettlement.invoice_bokio_id, InvoiceSettlement.type, InvoiceSettlement.sum_base_currency
        ).where(
            InvoiceSettlement.company_id == company_id,
            InvoiceSettlement.deleted_at.is_(None),
            *among(InvoiceSettlement.invoice_bokio_id),
        )
    ):
        settlements[invoice_id].append((kind, amount))
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.bokio_id,
            Invoice.invoice_number,
            Invoice.currency,
            Invoice.currency_rate,
            Invoice.paid_amount,
        )
        .where(
            Invoice.company_id == company_id,
            Invoice.deleted_at.is_(None),
            Invoice.paid_from_bokio.is_(True),
            Invoice.status != im.Status.DRAFT,
            *among(Invoice.bokio_id),
        )
        .order_by(Invoice.id)
    )
    return [
        (
            row_id,
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
        for row_id, bokio_id, number, currency, rate, paid in rows
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one invoice that counts says: its one answer per rule (None: undecided), and whether
    its figures break the configured reading."""

    invoice_id: int
    bokio_id: str
    number: str
    answers: dict[Rule, str | None]
    suspect: Suspect | None


def outcome(invoice_id: int, bokio_id: str, facts: InvoiceFacts, configured: Reading) -> Outcome | None:
    """The invoice's :class:`Outcome`, or None when it cannot tell anything (no money on it)."""
    if not telling(facts) and facts.paid == 0:
        return None
    fits = fitting(facts)
    answers: dict[Rule, str | None] = {}
    for rule in Rule:
        found = {reading.answer(rule) for reading in fits}
        answers[rule] = found.pop() if len(found) == 1 else None  # none fits, or both answers do
    derived = shown_paid(facts, configured)
    suspect = Suspect(bokio_id, facts.number, facts.paid, derived) if derived != facts.paid else None
    return Outcome(invoice_id, bokio_id, facts.number, answers, suspect)


def _verdict(answer: str | None, configured: str) -> str:
    if answer is None:
        return "undecided"
    return "agree" if answer == configured else "disagree"


def weigh(session: Session, company_id: int, readings: im.Readings) -> Calibration:
    """:func:`calibrate` without what it keeps: every invoice of the company, read now (the oracle)."""
    return _weighed(session, company_id, configured_reading(readings))[0]


def _weighed(session: Session, company_id: int, configured: Reading) -> tuple[Calibration, list[Outcome]]:
    rules = [RuleEvidence(rule, configured.answer(rule)) for rule in Rule]
    suspects: dict[str, Suspect] = {}
    outcomes = []
    for invoice_id, bokio_id, facts in company_facts(session, company_id):
        found = outcome(invoice_id, bokio_id, facts, configured)
        if found is None:
            continue
        outcomes.append(found)
        for evidence in rules:
            evidence.add(_verdict(found.answers[evidence.rule], evidence.configured), found.number)
        if found.suspect is not None:
            suspects[bokio_id] = found.suspect
    return Calibration(rules, suspects, len(outcomes)), outcomes


_DIGEST = "calibration"
_VERSION = 2
"""Of the kept document and the :class:`InvoiceEvidence` rows: another makes calibration weigh anew."""


def calibrate(session: Session, company_id: int, readings: im.Readings, *, keep: bool = False) -> Calibration:
    """Weigh the company's history against ``readings`` (and SEK for ``paidAmount``).

    Equal to :func:`weigh`, at the cost of what changed since the kept answer: nothing but a few
    index reads in a cycle in which nothing was mirrored; the stamped invoices when something was;
    the whole history only when nothing is kept yet, the configured reading changed, or a soft
    delete was written without a stamp. ``keep`` (the match stage, in its own transaction) stores
    the new answer; readers use a kept one and add what changed since in memory.
    """
    configured = configured_reading(readings)
    key = f"v{_VERSION} {configured!r}"
    now = repo.generation(session, company_id)  # first: rows stamped later are weighed again next time
    kept = changes.kept_to_update(session, company_id, _DIGEST, key)
    if kept is None:
        calibration, outcomes = _weighed(session, company_id, configured)
        if keep:
            session.execute(delete(InvoiceEvidence).where(InvoiceEvidence.company_id == company_id))
            _insert(session, company_id, outcomes)
            suspects = {o.bokio_id: o.invoice_id for o in outcomes if o.suspect}
            _store(session, company_id, key, at=now, calibration=calibration, order=suspects)
        return calibration
    calibration, order = _loaded(kept.document["calibration"])
    changed = changes.changed_invoices(session, company_id, kept.generation)
    if changed:
        _reweigh(
            session, company_id, calibration, order=order, changed=changed, configured=configured, keep=keep
        )
    if keep and (changed or kept.generation != now):
        _store(session, company_id, key, at=now, calibration=calibration, order=order)
    return calibration


def _reweigh(
    session: Session,
    company_id: int,
    calibration: Calibration,
    *,
    order: dict[str, int],
    changed: set[str],
    configured: Reading,
    keep: bool,
) -> None:
    """Take the changed invoices' kept outcomes out of ``calibration`` and put their new ones in."""
    old = _kept_answers(session, company_id, changed)
    for _, bokio_id, answers in old:
        calibration.invoices -= 1
        for evidence in calibration.rules:
            evidence.counts[_verdict(answers[evidence.rule], evidence.configured)] -= 1
        calibration.suspects.pop(bokio_id, None)
        order.pop(bokio_id, None)
    fresh = [
        found
        for invoice_id, bokio_id, facts in company_facts(session, company_id, changed)
        if (found := outcome(invoice_id, bokio_id, facts, configured)) is not None
    ]
    for found in fresh:
        calibration.invoices += 1
        for evidence in calibration.rules:
            evidence.counts[_verdict(found.answers[evidence.rule], evidence.configured)] += 1
        if found.suspect is not None:
            calibration.suspects[found.bokio_id] = found.suspect
            order[found.bokio_id] = found.invoice_id
    calibration.suspects = dict(sorted(calibration.suspects.items(), key=lambda item: order[item[0]]))
    stale = {invoice_id for invoice_id, _, _ in old}
    for evidence in calibration.rules:
        evidence.examples.clear()
        for name in VERDICTS:
            numbers = _examples(session, company_id, evidence, name, stale=stale, fresh=fresh)
            if numbers:
                evidence.examples[name] = numbers
    if keep:
        session.execute(delete(InvoiceEvidence).where(InvoiceEvidence.invoice_id.in_(sorted(stale))))
        _insert(session, company_id, fresh)


def _kept_answers(
    session: Session, company_id: int, bokio_ids: Collection[str]
) -> list[tuple[int, str, dict[Rule, str | None]]]:
    """The kept answers of these invoices (those that counted when last weighed)."""
    ids = sorted(bokio_ids)
    found: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        found += session.execute(
            select(InvoiceEvidence, Invoice.bokio_id)
            .join(Invoice, Invoice.id == InvoiceEvidence.invoice_id)
            .where(Invoice.company_id == company_id, Invoice.bokio_id.in_(ids[start : start + _CHUNK]))
        ).all()
    return [
        (row.invoice_id, bokio_id, {rule: getattr(row, rule.value) for rule in Rule})
        for row, bokio_id in found
    ]


def _examples(
    session: Session,
    company_id: int,
    evidence: RuleEvidence,
    name: str,
    *,
    stale: set[int],
    fresh: Iterable[Outcome],
) -> list[str]:
    """The first invoice numbers (by row) of verdict ``name``: kept rows not weighed again, and the
    fresh outcomes. Index range reads: one per answer the verdict stands for."""
    column = getattr(InvoiceEvidence, evidence.rule.value)
    answers = {reading.answer(evidence.rule) for reading in READINGS}
    wanted: list[str | None] = [None]  # undecided
    if name == "agree":
        wanted = [evidence.configured]
    elif name == "disagree":
        wanted = [*sorted(answers - {evidence.configured})]
    found = [
        (o.invoice_id, o.number)
        for o in fresh
        if _verdict(o.answers[evidence.rule], evidence.configured) == name
    ]
    for answer in wanted:
        match = column.is_(None) if answer is None else column == answer
        rows = session.execute(
            select(InvoiceEvidence.invoice_id, InvoiceEvidence.number)
            .where(InvoiceEvidence.company_id == company_id, match)
            .order_by(InvoiceEvidence.invoice_id)
            .limit(EXAMPLES + len(stale))
        )
        found += [(invoice_id, number) for invoice_id, number in rows if invoice_id not in stale]
    return [number for _, number in sorted(found)[:EXAMPLES]]


def _insert(session: Session, company_id: int, outcomes: Sequence[Outcome]) -> None:
    rows = [
        {
            "invoice_id": o.invoice_id,
            "company_id": company_id,
            "number": o.number,
            **{rule.value: o.answers[rule] for rule in Rule},
        }
        for o in outcomes
    ]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(InvoiceEvidence), rows[start : start + 5_000])


def _store(
    session: Session, company_id: int, key: str, *, at: int, calibration: Calibration, order: dict[str, int]
) -> None:
    document = {
        "deleted": changes.settled_deletes(session, company_id, at),
        "calibration": _stored(calibration, order),
    }
    repo.store_digest(session, company_id, _DIGEST, key, document, at=at)


def _stored(calibration: Calibration, order: dict[str, int]) -> dict[str, Any]:
    return {
        "invoices": calibration.invoices,
        "rules": [
            {
                "rule": r.rule.value,
                "configured": r.configured,
                "counts": r.counts,
                "examples": {key: list(value) for key, value in r.examples.items() if value},
            }
            for r in calibration.rules
        ],
        "suspects": [
            [s.bokio_id, s.number, str(s.paid), str(s.derived), order[s.bokio_id]]
            for s in calibration.suspects.values()
        ],
    }


def _loaded(document: dict[str, Any]) -> tuple[Calibration, dict[str, int]]:
    rules = []
    for item in document["rules"]:
        evidence = RuleEvidence(Rule(item["rule"]), item["configured"], dict(item["counts"]))
        evidence.examples.update((k, list(v)) for k, v in item["examples"].items())
        rules.append(evidence)
    suspects = {
        bokio_id: Suspect(bokio_id, number, Decimal(paid), Decimal(derived))
        for bokio_id, number, paid, derived, _ in document["suspects"]
    }
    order = {bokio_id: int(invoice_id) for bokio_id, _, _, _, invoice_id in document["suspects"]}
    return Calibration(rules, suspects, int(document["invoices"])), order
