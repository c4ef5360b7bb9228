"""The monthly Bokio request budget: usage from the ledger, and a planner that spaces polls.

Bokio allows a private integration 5,000 requests per company per month (~7 an hour). The
ledger counts every call; the planner spaces the poll job's reads over the rest of
the month, keeping a reserve for pushes (design §2.1). Bank data arriving triggers an immediate
open-invoice refresh, so the timer only has to catch changes made in Bokio by people: it polls
when the freshness target makes a poll due, and spends no more than the month's target allows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from syncd.clock import month_bounds
from syncd.mirror import repo
from syncd.mirror.tables import Company, RequestLedger

if TYPE_CHECKING:
    from syncd.bokio.engine import RequestRecord

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SPENT = "budget spent: only bank-data refreshes"
"""The poll plan's reason once neither the target nor the quota's headroom affords a poll."""


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """One company's use of its monthly quota."""

    company: str
    quota: int
    used: int
    reads: int
    writes: int
    month_start: dt.datetime
    month_end: dt.datetime
    now: dt.datetime

    @property
    def remaining(self) -> int:
        return max(self.quota - self.used, 0)

    @property
    def projected_month_end(self) -> int:
        """Linear projection of this month's use from the pace so far."""
        elapsed = (self.now - self.month_start).total_seconds()
        total = (self.month_end - self.month_start).total_seconds()
        if elapsed <= 0:
            return self.used
        return round(self.used * total / elapsed)


@dataclass(frozen=True, slots=True)
class PollPlan:
    """When the poll job may next read Bokio, and why."""

    interval: dt.timedelta
    """From now to the next poll."""
    poll_allowance: int
    """Reads left this month under the target (or, once it is spent, the quota's headroom)."""
    reason: str


def usage(session: Session, company_id: int, company: str, *, quota: int, now: dt.datetime) -> BudgetUsage:
    """Usage this (Stockholm) calendar month, from the request ledger."""
    start, end = month_bounds(now)
    rows = session.execute(
        select(RequestLedger.method, func.count())
        .where(RequestLedger.company_id == company_id, RequestLedger.at >= start, RequestLedger.at < end)
        .group_by(RequestLedger.method)
    ).all()
    writes = sum(count for method, count in rows if method in WRITE_METHODS)
    reads = sum(count for method, count in rows if method not in WRITE_METHODS)
    return BudgetUsage(company, quota, reads + writes, reads, writes, start, end, now)


def plan_polls(
    used: BudgetUsage,
    *,
    target: int,
    write_reserve: int,
    cost_per_poll: int,
    due_in: dt.timedelta,
    min_interval: dt.timedelta = dt.timedelta(minutes=15),
    max_interval: dt.timedelta = dt.timedelta(hours=12),
) -> PollPlan:
    """Poll when the freshness makes it due (``due_in``), no sooner; later only if the month's
    target cannot afford polls at that pace.

    Polling more often than the freshness needs buys nothing: bank data arriving refreshes open
    invoices at once, so the timer only catches changes people make in Bokio (design §2.1). Once
    the target is spent, polls are spread over the quota's headroom above the write reserve;
    once that is spent too, only bank data refreshes.

    >>> start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    >>> u = BudgetUsage("c", 5000, 0, 0, 0, start, start + dt.timedelta(days=30), start)
    >>> plan_polls(u, target=700, write_reserve=1000, cost_per_poll=5, due_in=dt.timedelta(hours=20))
    PollPlan(interval=datetime.timedelta(seconds=72000), poll_allowance=700, reason='freshness')
    """
    left = used.month_end - used.now
    ceiling = min(target, used.quota - write_reserve)
    allowance, reason = ceiling - used.reads, "target"
    if allowance < cost_per_poll:
        allowance, reason = used.quota - write_reserve - used.reads, "over target: quota headroom"
    if allowance < cost_per_poll or left <= dt.timedelta(0):
        return PollPlan(max_interval, max(allowance, 0), SPENT)
    affordable = left / (allowance // max(cost_per_poll, 1))
    wait = max(due_in, min_interval)
    if affordable > wait:
        return PollPlan(affordable, allowance, reason)
    return PollPlan(wait, allowance, "freshness" if reason == "target" else f"freshness; {reason}")


@dataclass
class LedgerRecorder:
    """Collects the client's request records and writes them in their own transaction.

    The hook fires while a job's transaction may be open (on SQLite holding the write lock), so it
    only buffers; :meth:`flush` runs after the job's commit or rollback, because a call made is
    spent budget whether or not the job's own work was kept.
    """

    sessions: sessionmaker[Session]
    company_ids: dict[str, int] = field(default_factory=dict)
    on_record: Callable[[RequestRecord], None] | None = None
    _buffer: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, record: RequestRecord) -> None:
        if record.company_id is None or record.error_kind == "not_sent":
            return  # General API calls and requests that never left this machine cost nothing
        with self._lock:
            self._buffer.append(record)
        if self.on_record is not None:
            self.on_record(record)

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def flush(self) -> int:
        """Write what was buffered; returns how many calls were recorded."""
        with self._lock:
            records, self._buffer = self._buffer, []
        if not records:
            return 0
        with self.sessions.begin() as session:
            for record in records:
                company_id = self._company_id(session, str(record.company_id))
                repo.record_request(
                    session,
                    company_id=company_id,
                    at=record.started_at,
                    method=record.method,
                    path_template=record.path_template,
                    status=record.status,
                    duration_ms=round(record.duration_ms),
                    error_kind=record.error_kind,
                )
        return len(records)

    def _company_id(self, session: Session, bokio_company_id: str) -> int:
        if bokio_company_id not in self.company_ids:
            found = session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_company_id))
            self.company_ids[bokio_company_id] = (
                found if found is not None else repo.ensure_company(session, bokio_company_id).id
            )
        return self.company_ids[bokio_company_id]
