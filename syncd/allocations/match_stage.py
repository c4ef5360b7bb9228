"""The match stage: load from the mirror, call the pure matcher, persist in one transaction.

Auto-accepted allocations get their outbox commands in the same transaction, so a crash can
never leave an accepted allocation without its push, or a push without its decision. Proposals
waiting for review hold their bank line (it is not re-proposed) until a person decides or
they expire.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from syncd.allocations import inputs, judgements
from syncd.allocations.push import enqueue_allocation
from syncd.allocations.tables import Allocation as AllocationRow
from syncd.allocations.tables import AllocationState
from syncd.calibration.evidence import Calibration, calibrate
from syncd.calibration.record_order import RecordInvoiceFirst, record_order
from syncd.domain import invoice_math as im
from syncd.domain.models import Allocation, Decision, MatchResult, Problem
from syncd.logging import get_logger
from syncd.match.engine import propose
from syncd.match.explain import explain
from syncd.match.rules import MatchRules, rules_from_mapping
from syncd.mirror import repo
from syncd.settings import CompanySettings

log = get_logger(__name__)

PROPOSAL_TTL = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class MatchReport:
    """What one match run found and did."""

    company: str
    bank_lines: int
    open_invoices: int
    auto_accepted: int
    for_review: int
    unmatched: int
    expired: int
    problems: tuple[Problem, ...]
    by_tier: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    auto_booking_stopped: str | None = None  # why nothing was booked automatically (calibration)

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "bank_lines": self.bank_lines,
            "open_invoices": self.open_invoices,
            "auto_accepted": self.auto_accepted,
            "for_review": self.for_review,
            "unmatched": self.unmatched,
            "expired": self.expired,
            "by_tier": self.by_tier,
            "dry_run": self.dry_run,
            "auto_booking_stopped": self.auto_booking_stopped,
            "problems": [
                {
                    "code": p.code.value,
                    "message": p.message,
                    "bank_line": p.bank_line_id,
                    "invoice": p.invoice_id,
                }
                for p in self.problems
            ],
        }


def company_rules(company: CompanySettings, settlement_sign: str = im.DEFAULT_SETTLEMENT_SIGN) -> MatchRules:
    """The company's matching rules (validated; a bad key is a ConfigError naming it).

    The currency-settlement sign is a fact about Bokio (``[bokio] settlement_sign``), shared with
    the pollers; a company table may still override it.
    """
    table = dict(company.matching)
    table.setdefault("currency_sign", settlement_sign)
    return rules_from_mapping(table)


def run_match(
    sessions: sessionmaker[Session],
    company: CompanySettings,
    *,
    now: dt.datetime,
    today: dt.date,
    dry_run: bool = False,
    readings: im.Readings = im.DEFAULT_READINGS,
    since: dt.date | None = None,
) -> MatchReport:
    """One match run for one company; commits unless ``dry_run``.

    Nothing is booked automatically where the company's own history contradicts ``readings``, or
    on an invoice whose Bokio figures do not follow from what it holds (:mod:`syncd.calibration`).
    """
    rules = company_rules(company, readings.settlement_sign)
    key = str(company.id)
    with sessions.begin() as session:
        company_id = repo.ensure_company(session, key, company.name).id
        expired = 0 if dry_run else expire_stale(session, company_id, now=now)
        invoices = inputs.open_invoices(session, company_id, key)
        memory = inputs.memory(session, company_id, key)
        payouts = inputs.psp_payouts(session, company_id, key)
        world = judgements.world_digest(
            session, company_id, invoices=invoices, memory=memory, payouts=payouts, rules=rules
        )
        selection = judgements.select_lines(session, company_id, key, world=world, since=since)
        lines = selection.lines
        result = propose(invoices, lines, rules, memory, today=today, psp_payouts=payouts)
        calibration = calibrate(session, company_id, readings, keep=True)
        # kept here, under the match lock; the accepts below (and people's) only read it
        record_order(
            session,
            company_id,
            on=today,
            setting=RecordInvoiceFirst(readings.record_invoice_first),
            keep=True,
        )
        result = hold_for_review(result, calibration)
        if dry_run:
            session.rollback()
        else:
            dates = {line.id: line.booking_date for line in lines}
            persist(
                session,
                company_id,
                result,
                dates,
                payment_account=company.payment_account,
                now=now,
                record_first=readings.record_invoice_first,
            )
            judgements.record(session, company_id, selection, result, now=now)
    report = replace(
        _report(key, len(lines), len(invoices), result, expired=expired, dry_run=dry_run),
        auto_booking_stopped=calibration.stop_reason(),
    )
    if report.auto_booking_stopped:
        log.warning("match.auto_booking_stopped", company=key, reason=report.auto_booking_stopped)
    return report


def hold_for_review(result: MatchResult, calibration: Calibration) -> MatchResult:
    """Turn automatic decisions into review where the calibration says syncd may be wrong."""
    stop = calibration.stop_reason()
    held: list[Allocation] = []
    for allocation in result.allocations:
        suspect = calibration.suspects.get(allocation.invoice_id)
        reason = stop or (suspect.reason() if suspect is not None else None)
        if reason is None:
            held.append(allocation)
            continue
        evidence = (*allocation.evidence, ("held", reason))
        held.append(replace(allocation, decision=Decision.REVIEW, evidence=evidence))
    return replace(result, allocations=tuple(held))


def persist(
    session: Session,
    company_id: int,
    result: MatchResult,
    booking_dates: dict[str, dt.date],
    *,
    payment_account: int,
    now: dt.datetime,
    record_first: str = "auto",
) -> list[AllocationRow]:
    """Store the proposals; accept the AUTO ones and enqueue their push (caller's transaction).

    A payment is dated the day the money was booked at the bank, not the day syncd ran.
    """
    rows = []
    for allocation in result.allocations:
        row = _row(company_id, allocation, booking_dates[allocation.bank_line_id], now)
        session.add(row)
        rows.append(row)
    session.flush()
    for row in rows:
        if row.state == AllocationState.ACCEPTED:
            enqueue_allocation(session, row, payment_account=payment_account, record_first=record_first)
    return rows


def _row(company_id: int, allocation: Allocation, booked: dt.date, now: dt.datetime) -> AllocationRow:
    auto = allocation.decision is Decision.AUTO
    return AllocationRow(
        company_id=company_id,
        bank_transaction_id=int(allocation.bank_line_id),
        invoice_bokio_id=allocation.invoice_id,
        invoice_number=allocation.invoice_number,
        group_id=allocation.group_id,
        tier=allocation.tier.value,
        kind=allocation.kind.value,
        decision=allocation.decision.value,
        confidence=allocation.confidence,
        state=AllocationState.ACCEPTED if auto else AllocationState.PROPOSED,
        currency=allocation.currency,
        amount=allocation.amount,
        amount_sek=allocation.amount_sek,
        cash=allocation.cash,
        consumed=allocation.consumed,
        payment_date=booked,
        overpayment=allocation.overpayment,
        settlements={
            "items": [
                {
                    "type": plan.type.value,
                    "amount": plan.amount,
                    "currency": plan.currency,
                    "vat_scheme": plan.vat_scheme.value if plan.vat_scheme else None,
                }
                for plan in allocation.settlements
            ]
        },
        evidence={"items": [[k, v] for k, v in allocation.evidence]},
        explanation=explain(allocation),
        created_at=now,
        decided_at=now if auto else None,
        decided_by="auto" if auto else None,
    )


def expire_stale(session: Session, company_id: int, *, now: dt.datetime) -> int:
    """Proposals nobody decided on within the TTL expire, freeing their bank line."""
    result = session.execute(
        update(AllocationRow)
        .where(
            AllocationRow.company_id == company_id,
            AllocationRow.state == AllocationState.PROPOSED,
            AllocationRow.created_at < now - PROPOSAL_TTL,
        )
        .values(state=AllocationState.EXPIRED, decided_at=now, decided_by="expired")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _report(
    company: str, lines: int, invoices: int, result: MatchResult, *, expired: int, dry_run: bool
) -> MatchReport:
    groups_auto = {a.group_id for a in result.allocations if a.decision is Decision.AUTO}
    groups_review = {a.group_id for a in result.allocations if a.decision is Decision.REVIEW}
    tiers = Counter(f"{a.tier.value}/{a.decision.value}" for a in result.allocations)
    return MatchReport(
        company=company,
        bank_lines=lines,
        open_invoices=invoices,
        auto_accepted=len(groups_auto),
        for_review=len(groups_review),
        unmatched=len(result.unmatched),
        expired=expired,
        problems=result.problems,
        by_tier=dict(sorted(tiers.items())),
        dry_run=dry_run,
    )


def allocations_of_group(session: Session, company_id: int, group_id: str) -> list[AllocationRow]:
    """All allocations one decision covers (a split payment is decided as a whole)."""
    return list(
        session.scalars(
            select(AllocationRow)
            .where(AllocationRow.company_id == company_id, AllocationRow.group_id == group_id)
            .order_by(AllocationRow.id)
        )
    )
