"""When to poll: the freshness target, the month's target, and what an incremental pull costs.

A change made in Bokio by a person must be in the mirror by the end of the next bank day
(``[budget] freshness_bank_days``). Bank data arriving refreshes the open invoices at once, so on
a day with bank data the poll job has nothing to do; it reads Bokio only on a bank day that ends
without an open-invoice scan. The scheduler calls :func:`poll_plan` after every poll (and when
one turns out not to be due) and re-arms its timer with the interval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.budget import SPENT, BudgetUsage, PollPlan, plan_polls, usage
from syncd.clock import STOCKHOLM, business_date
from syncd.mirror.dirty import STREAM
from syncd.mirror.syncstate import peek_state
from syncd.mirror.tables import Company
from syncd.pull.dryrun import plan
from syncd.pull.run import PullConfig
from syncd.settings import BudgetSettings

BANK_DAY_ENDS = dt.time(22, 0)
"""When a bank day without bank data gets its poll (Stockholm time): after office hours, before
the nightly sweep."""


def is_bank_day(day: dt.date) -> bool:
    """Monday to Friday (Swedish bank holidays are not modelled: they only cost an extra poll)."""
    return day.weekday() < 5


def poll_due_at(last_scan: dt.datetime | None, bank_days: int) -> dt.datetime | None:
    """The end of the ``bank_days``-th bank day after the last open scan; None: due now.

    >>> friday = dt.datetime(2026, 3, 6, 7, 0, tzinfo=dt.UTC)
    >>> poll_due_at(friday, 1).isoformat()
    '2026-03-09T21:00:00+00:00'
    >>> poll_due_at(friday + dt.timedelta(days=4), 1).isoformat()
    '2026-03-11T21:00:00+00:00'
    """
    if last_scan is None:
        return None
    day, left = business_date(last_scan), bank_days
    while left:
        day += dt.timedelta(days=1)
        left -= is_bank_day(day)
    return dt.datetime.combine(day, BANK_DAY_ENDS, tzinfo=STOCKHOLM).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class BudgetView:
    """One company's budget and when it may next poll."""

    usage: BudgetUsage
    plan: PollPlan
    cost_per_poll: int
    paused_until: dt.datetime | None
    last_open_scan: dt.datetime | None = None
    due_at: dt.datetime | None = None
    """When the freshness target makes the next poll due (None: due now)."""

    @property
    def poll_now(self) -> bool:
        """A poll is due and the budget still allows one."""
        due = self.due_at is None or self.due_at <= self.usage.now
        return due and self.plan.reason != SPENT

    def to_json(self) -> dict[str, Any]:
        u = self.usage
        return {
            "company": u.company,
            "quota": u.quota,
            "used": u.used,
            "reads": u.reads,
            "writes": u.writes,
            "remaining": u.remaining,
            "projected_month_end": u.projected_month_end,
            "poll_interval_s": int(self.plan.interval.total_seconds()),
            "poll_allowance": self.plan.poll_allowance,
            "poll_reason": self.plan.reason,
            "cost_per_poll": self.cost_per_poll,
            "last_open_scan": self.last_open_scan.isoformat() if self.last_open_scan else None,
            "poll_due_at": self.due_at.isoformat() if self.due_at else None,
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
        }


def poll_cost(session: Session, bokio_company_id: str, config: PullConfig, now: dt.datetime) -> int:
    """Requests an incremental pull of customers and invoices would make now (at least 1)."""
    calls = plan(
        session, bokio_company_id, config=config, streams=("customers", "invoices"), full=False, now=now
    )
    return max(1, sum(call.count for call in calls))


def last_open_scan(session: Session, company_pk: int) -> dt.datetime | None:
    """When open invoices were last listed in full (a poll or a bank-data refresh)."""
    row = peek_state(session, company_pk, STREAM)
    return row.last_success_at if row is not None else None


def poll_plan(
    session: Session,
    bokio_company_id: str,
    budget: BudgetSettings,
    *,
    now: dt.datetime,
    config: PullConfig | None = None,
) -> BudgetView:
    """Usage this month and when the poll job may next read Bokio (design §2.1)."""
    config = config or PullConfig()
    company = session.scalar(select(Company).where(Company.bokio_company_id == bokio_company_id))
    pk = company.id if company is not None else -1
    used = usage(session, pk, bokio_company_id, quota=budget.monthly_quota, now=now)
    cost = poll_cost(session, bokio_company_id, config, now)
    scanned = last_open_scan(session, pk)
    due = poll_due_at(scanned, budget.freshness_bank_days)
    planned = plan_polls(
        used,
        target=budget.monthly_target,
        write_reserve=budget.write_reserve,
        cost_per_poll=cost,
        due_in=max(due - now, dt.timedelta(0)) if due is not None else dt.timedelta(0),
    )
    paused = company.paused_until if company is not None else None
    return BudgetView(used, planned, cost, paused, scanned, due)
