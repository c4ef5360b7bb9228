"""When to poll: the budget planner fed with what an incremental pull costs today.

The scheduler calls :func:`poll_plan` after every pull and re-arms its timer with the interval;
bank data arriving calls :meth:`syncd.pull.Puller.refresh_open_invoices` instead of waiting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.budget import BudgetUsage, PollPlan, plan_polls, usage
from syncd.mirror.tables import Company
from syncd.pull.dryrun import plan
from syncd.pull.run import PullConfig
from syncd.settings import BudgetSettings


@dataclass(frozen=True, slots=True)
class BudgetView:
    """One company's budget and the poll interval it allows now."""

    usage: BudgetUsage
    plan: PollPlan
    cost_per_poll: int
    paused_until: dt.datetime | None

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
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
        }


def poll_cost(session: Session, bokio_company_id: str, config: PullConfig, now: dt.datetime) -> int:
    """Requests an incremental pull of customers and invoices would make now (at least 1)."""
    calls = plan(
        session, bokio_company_id, config=config, streams=("customers", "invoices"), full=False, now=now
    )
    return max(1, sum(call.count for call in calls))


def poll_plan(
    session: Session,
    bokio_company_id: str,
    budget: BudgetSettings,
    *,
    now: dt.datetime,
    config: PullConfig | None = None,
) -> BudgetView:
    """Usage this month and the interval the poll share allows (design §2.1)."""
    config = config or PullConfig()
    company = session.scalar(select(Company).where(Company.bokio_company_id == bokio_company_id))
    pk = company.id if company is not None else -1
    used = usage(session, pk, bokio_company_id, quota=budget.monthly_quota, now=now)
    cost = poll_cost(session, bokio_company_id, config, now)
    planned = plan_polls(
        used, poll_share=budget.poll_share, write_reserve=budget.write_reserve, cost_per_poll=cost
    )
    return BudgetView(used, planned, cost, company.paused_until if company is not None else None)
