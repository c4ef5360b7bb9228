"""``syncd run``: APScheduler 3.x driving every company's stages, plus health, metrics and systemd.

Jobs per company (all ``max_instances=1``, ``coalesce=True``, an explicit misfire grace):

* ``inbox``  every ``inbox_interval_s``: import bank files; new money triggers refresh → match →
  push at once, without waiting for the next tick (no Bokio call when the inbox is empty);
* ``pull``   the poll job: reads Bokio only when the freshness target makes a poll due (a bank
  day ended without an open-invoice scan; bank data arriving refreshes at once) and the month's
  target allows; re-armed after every run to the time the planner gives (:mod:`syncd.pull.schedule`);
* ``match``  every ``match_interval_s`` (also after every import and pull);
* ``push``   every ``push_interval_s``: retries and unknown outcomes;
* ``sweep``  at ``sweep_at`` (Stockholm time) before each bank day (Mon-Fri): recent credit
  notes and a paced slice of all invoices, every invoice once per ``[pull] sweep_cycle_days``
  (:mod:`syncd.pull.sweep`); a full pull is ``syncd pull --full``;
* ``audit``  every ``audit_interval_s`` (default weekly) counted from the company's last audit:
  syncd's bookings against Bokio's ledger, one request per fiscal year, skipped while the
  month's budget is down to the write reserve; its counts become ``syncd_audit_*`` metrics.

No shared APScheduler job store: every replica schedules every company, and the (company,
stage) locks decide who works; replicas on one PostgreSQL share companies that way. SIGTERM
lets running stages finish (the pusher stops between commands), then the process exits 0.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import ExitStack
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from syncd.app import App
from syncd.audit.run import audit_company, last_run
from syncd.audit.tables import AuditRun
from syncd.budget import usage
from syncd.clock import STOCKHOLM
from syncd.daemon.cycle import CompanyCycle, StageResult
from syncd.daemon.figures import budget_figures, outbox_figures, pause_figures
from syncd.ingest.inbox import InboxWatch
from syncd.logging import get_logger
from syncd.mirror import repo
from syncd.ops.health import DatabaseReadiness, Heartbeat
from syncd.ops.locks import company_job_lock, instance_lock
from syncd.ops.metrics import Metrics
from syncd.ops.sdnotify import SystemdNotifier
from syncd.ops.server import OpsServer
from syncd.ops.shutdown import ShutdownSignal
from syncd.pull.schedule import BudgetView, poll_plan
from syncd.settings import CompanySettings

log = get_logger(__name__)


class Daemon:
    """The scheduler and its companions for one process."""

    def __init__(
        self,
        app: App,
        *,
        shutdown: ShutdownSignal | None = None,
        notifier: SystemdNotifier | None = None,
        serve_ops: bool = True,
    ) -> None:
        self.app = app
        self.settings = app.settings
        self.shutdown = shutdown or ShutdownSignal()
        self.notifier = notifier or SystemdNotifier()
        self.heartbeat = Heartbeat(stale_after=self.settings.daemon.heartbeat_stale_s)
        self.metrics = Metrics(
            outbox_source=lambda: outbox_figures(app.sessions, app.clock()),
            budget_source=lambda: budget_figures(app.sessions, self.settings, app.clock()),
            pause_source=lambda: pause_figures(app.sessions, self.settings, app.clock()),
        )
        app.request_observer = self.metrics.observe_request
        self.puller = app.puller()
        self.serve_ops = serve_ops
        self.ops: OpsServer | None = None
        self.scheduler = BackgroundScheduler(
            timezone=STOCKHOLM,
            executors={"default": ThreadPoolExecutor(max_workers=self.settings.daemon.workers)},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": self.settings.daemon.misfire_grace_s,
            },
        )
        self.failures = 0
        self.inbox_watches: dict[str, InboxWatch] = {}  # per company: what its inbox scans saw
        self._lock = threading.Lock()

    # ----- lifecycle ------------------------------------------------------------------------
    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code (0 after a clean stop)."""
        with instance_lock(self.app.database_url), ExitStack() as served:
            if self.serve_ops and self.settings.web.enabled:  # [web] enabled: the daemon serves the page too
                from syncd.web.server import check_users, serving

                check_users(self.app)
                web = served.enter_context(serving(self.app, self.settings.web.host, self.settings.web.port))
                log.info("daemon.web", url=web)
            if self.serve_ops:
                self.ops = OpsServer(
                    heartbeat=self.heartbeat,
                    readiness=DatabaseReadiness(self.app.database_url),
                    metrics=self.metrics,
                    host=self.settings.http_host,
                    port=self.settings.http_port,
                ).start()
            self.schedule()
            self.scheduler.start()
            self.notifier.ready(f"serving {len(self.settings.companies)} companies")
            log.info(
                "daemon.started",
                companies=len(self.settings.companies),
                ops=self.ops.url if self.ops else None,
            )
            try:
                while not self.shutdown.wait(timeout=self._beat_period()):
                    self._beat()
            finally:
                self.notifier.stopping("finishing the current stages")
                log.info("daemon.stopping", reason=self.shutdown.reason)
                self.scheduler.shutdown(wait=True)
                if self.ops is not None:
                    self.ops.stop()
                log.info("daemon.stopped")
        return 0

    def _beat_period(self) -> float:
        period = self.notifier.watchdog_period()
        limit = self.heartbeat.stale_after / 3
        return min(period, limit) if period else limit

    def _beat(self) -> None:
        """The scheduler is alive: running jobs are not required, a responsive main loop is."""
        self.heartbeat.beat()
        self.notifier.watchdog()

    # ----- jobs -----------------------------------------------------------------------------
    def schedule(self) -> None:
        """Add every company's jobs (first runs staggered a little so they do not all collide)."""
        daemon = self.settings.daemon
        hour, minute = (int(part) for part in daemon.sweep_at.split(":"))
        start = dt.datetime.now(dt.UTC)
        for index, company in enumerate(self.settings.companies):
            first = start + dt.timedelta(seconds=1 + index % 30)
            jobs: list[tuple[str, Any, Any, dt.datetime | None]] = [
                ("inbox", self.inbox_job, IntervalTrigger(seconds=daemon.inbox_interval_s), first),
                ("pull", self.pull_job, IntervalTrigger(seconds=self._pull_interval(company)), first),
                ("match", self.match_job, IntervalTrigger(seconds=daemon.match_interval_s), None),
                ("push", self.push_job, IntervalTrigger(seconds=daemon.push_interval_s), first),
                ("sweep", self.sweep_job, self._sweep_trigger(hour, minute), None),
            ]
            audit_every = IntervalTrigger(seconds=daemon.audit_interval_s)
            jobs.append(("audit", self.audit_job, audit_every, self._first_audit(company, start)))
            for name, func, trigger, at in jobs:
                self._add(name, func, trigger, company=company, first=at)

    @staticmethod
    def _sweep_trigger(hour: int, minute: int) -> CronTrigger:
        """Bank-day mornings (Mon-Fri): a weekend's changes are seen on Monday, within a bank day."""
        return CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=STOCKHOLM)

    def _add(
        self, name: str, func: Any, trigger: Any, *, company: CompanySettings, first: dt.datetime | None
    ) -> None:
        key = str(company.id)
        kwargs: dict[str, Any] = {"next_run_time": first} if first is not None else {}
        self.scheduler.add_job(
            func, trigger, args=[company], id=f"{name}:{key}", name=f"{name} {key}", **kwargs
        )

    def cycle(self, company: CompanySettings) -> CompanyCycle:
        return CompanyCycle(
            self.app,
            company,
            puller=self.puller,
            stop=lambda: self.shutdown.requested,
            on_stage=self._observe,
            inbox_watch=self.inbox_watches.setdefault(str(company.id), InboxWatch()),
        )

    def inbox_job(self, company: CompanySettings) -> None:
        cycle = self.cycle(company)
        imported = cycle.import_inbox()
        if imported.detail.get("new_transactions") or imported.detail.get("new_payouts"):
            log.info("daemon.bank_data_arrived", company=str(company.id), **imported.detail)
            if not self.shutdown.requested:
                cycle.after_bank_data()

    def pull_job(self, company: CompanySettings) -> None:
        """Poll when due (freshness, budget); either way re-arm for the next due time.

        A poll that is not due re-arms from the plan it was judged by (nothing changed since); a
        poll that ran spent requests and scanned, so its next time is planned anew.
        """
        view = self._poll_due(company)
        if view is None or view.poll_now:
            cycle = self.cycle(company)
            result = cycle.pull()
            if result.ok and not result.skipped and not self.shutdown.requested:
                cycle.match()
                cycle.push()
            view = None
        self._rearm_pull(company, view)

    def match_job(self, company: CompanySettings) -> None:
        result = self.cycle(company).match()
        if result.ok and result.detail.get("auto_accepted"):
            self.cycle(company).push()

    def push_job(self, company: CompanySettings) -> None:
        self.cycle(company).push()

    def sweep_job(self, company: CompanySettings) -> None:
        self.cycle(company).pull(sweep=True)

    def audit_job(self, company: CompanySettings) -> None:
        """Audit the company against Bokio's ledger when the budget allows; publish the counts.

        Every replica schedules every company's audit, so it runs under the (company, audit) lock
        and is skipped when another replica finished one within the last half interval: one audit
        a week per company, not one per replica.
        """
        with company_job_lock(self.app.engine, str(company.id), "audit") as acquired:
            if not acquired:
                self.metrics.observe_lock_skipped("audit")
                return
            if self._audited_lately(company):
                return
            self._audit(company)

    def _audited_lately(self, company: CompanySettings) -> bool:
        row = last_run(self.app, company)
        if row is None:
            return False
        since = self.app.clock() - row.finished_at
        if since >= dt.timedelta(seconds=self.settings.daemon.audit_interval_s / 2):
            return False
        log.info("daemon.audit_skipped", company=str(company.id), reason="audited lately", at=row.finished_at)
        self._publish_audit_row(company, row)
        return True

    def _audit(self, company: CompanySettings) -> None:
        if not self._audit_affordable(company):
            return
        with self.metrics.time_job("audit", str(company.id)):
            audit = audit_company(self.app, company)
        log.info(
            "daemon.audit",
            company=str(company.id),
            requests=audit.requests,
            ok=audit.ok,
            found=len(audit.result.found) if audit.result else 0,
        )
        self._publish_audit(company)

    def _audit_affordable(self, company: CompanySettings) -> bool:
        budget = self.settings.budget
        with self.app.sessions.begin() as session:
            pk = repo.ensure_company(session, str(company.id), company.name).id
            left = usage(
                session, pk, str(company.id), quota=budget.monthly_quota, now=self.app.clock()
            ).remaining
        if left <= budget.write_reserve:
            log.warning("daemon.audit_skipped", company=str(company.id), reason="budget", remaining=left)
            return False
        return True

    def _publish_audit(self, company: CompanySettings) -> None:
        self._publish_audit_row(company, last_run(self.app, company))

    def _publish_audit_row(self, company: CompanySettings, row: AuditRun | None) -> None:
        """Publish an audit the caller has just read (None: the company was never audited)."""
        if row is None:
            return
        kinds = ("missing", "changed", "reversed", "double_booked", "unseen_bank_money")
        self.metrics.set_audit(
            str(company.id),
            found=row.found,
            findings={kind: int(getattr(row, kind)) for kind in kinds},
            at=row.finished_at.timestamp(),
        )

    def _first_audit(self, company: CompanySettings, start: dt.datetime) -> dt.datetime:
        """An interval after the last audit (restarts do not postpone it), at least a while after start."""
        soonest = start + dt.timedelta(minutes=10)
        try:
            row = last_run(self.app, company)
            self._publish_audit_row(company, row)
        except Exception:  # a missing table or database hiccup must not stop the daemon from starting
            log.exception("daemon.last_audit_unreadable", company=str(company.id))
            return soonest
        if row is None:
            return soonest
        return max(soonest, row.finished_at + dt.timedelta(seconds=self.settings.daemon.audit_interval_s))

    def _poll_view(self, company: CompanySettings) -> BudgetView:
        with self.app.sessions() as session:
            return poll_plan(
                session,
                str(company.id),
                self.settings.budget,
                now=self.app.clock(),
                config=self.puller.config,
            )

    def _poll_due(self, company: CompanySettings) -> BudgetView | None:
        """The company's poll plan now; None when the planner failed (then poll: stay fresh)."""
        try:
            view = self._poll_view(company)
        except Exception:  # the planner failing must not stop the mirror from being kept fresh
            log.exception("daemon.poll_plan_failed", company=str(company.id))
            return None
        if not view.poll_now:
            log.debug(
                "daemon.poll_not_due", company=str(company.id), due_at=view.due_at, reason=view.plan.reason
            )
        return view

    def _pull_interval(self, company: CompanySettings, view: BudgetView | None = None) -> int:
        """Seconds to the next poll: from ``view`` when the caller just planned, else planned now."""
        try:
            view = view or self._poll_view(company)
            return max(60, int(view.plan.interval.total_seconds()))
        except Exception:  # the planner must not stop the daemon from starting
            log.exception("daemon.poll_plan_failed", company=str(company.id))
            return 3600

    def _rearm_pull(self, company: CompanySettings, view: BudgetView | None = None) -> None:
        if self.shutdown.requested:
            return  # the scheduler is stopping; re-arming now would wait on its own shutdown
        seconds = self._pull_interval(company, view)
        job_id = f"pull:{company.id}"
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.reschedule_job(job_id, trigger=IntervalTrigger(seconds=seconds))
            log.info("daemon.pull_interval", company=str(company.id), seconds=seconds)

    def _observe(self, result: StageResult) -> None:
        company = result.company
        if result.skipped and "another syncd process" in result.skipped:
            self.metrics.observe_lock_skipped(result.stage)
            return
        self.metrics.observe_job(result.stage, company, result.seconds, result.ok)
        if result.stage == "match" and result.detail:
            for key, count in result.detail.get("by_tier", {}).items():
                tier, _, decision = key.partition("/")
                self.metrics.observe_allocation(tier, decision, count)
        if result.stage == "push" and result.complete and company:  # a paused push is no success
            self.metrics.mark_cycle_success(company, time.time())
        if not result.ok:
            with self._lock:
                self.failures += 1
