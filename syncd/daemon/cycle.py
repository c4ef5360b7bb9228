"""One company's pipeline: bank files in → open invoices refreshed → matched → pushed.

Each stage is one unit of work with its own transactions and its own (company, stage) lock, so
a scheduled run, a file-triggered run and an admin's rerun never do the same stage of the same
company at once: whoever comes second skips (the daemon) or is told to wait (an admin). A stage
that fails is reported and logged; the next stage still runs on what is there.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from syncd.allocations.held import BOOKINGS
from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.allocations.match_stage import company_rules, run_match
from syncd.app import App
from syncd.budget import LedgerRecorder
from syncd.clock import business_date
from syncd.ingest.importer import ImportStatus
from syncd.ingest.inbox import InboxWatch, scan_inbox
from syncd.logging import bind_job_context, get_logger
from syncd.mirror import pauses, repo
from syncd.ops.locks import company_job_lock
from syncd.outbox.pusher import Pusher, PushPolicy
from syncd.pull import Puller, PullReport, spread
from syncd.settings import CompanySettings, Settings

log = get_logger(__name__)

STAGES = ("import", "pull", "match", "push")


@dataclass
class StageResult:
    """How one stage of one company went."""

    stage: str
    company: str | None = None
    ok: bool = True
    skipped: str | None = None
    nothing_to_do: bool = False
    """The skip was "nothing to do" (e.g. no inbox configured), not a pause or a busy lock."""
    error: str | None = None
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Ran without failing, or skipped only because there was nothing to do."""
        return self.ok and (self.skipped is None or self.nothing_to_do)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "company": self.company,
            "ok": self.ok,
            "complete": self.complete,
            "skipped": self.skipped,
            "error": self.error,
            "seconds": Decimal(f"{self.seconds:.3f}"),
            "detail": self.detail,
        }


@dataclass
class CycleReport:
    """All stages of one company's cycle."""

    company: str
    stages: list[StageResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(stage.ok for stage in self.stages)

    @property
    def complete(self) -> bool:
        """Every stage did its work (or had none): what ``run --once`` exits 0 on."""
        return all(stage.complete for stage in self.stages)

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "ok": self.ok,
            "complete": self.complete,
            "stages": [s.to_json() for s in self.stages],
        }


class CompanyCycle:
    """The stages of one company, each guarded by its lock and reported, never raising."""

    def __init__(
        self,
        app: App,
        company: CompanySettings,
        *,
        puller: Puller | None = None,
        stop: Callable[[], bool] = lambda: False,
        push_policy: PushPolicy | None = None,
        on_stage: Callable[[StageResult], None] | None = None,
        inbox_watch: InboxWatch | None = None,
    ) -> None:
        self.app = app
        self.company = company
        self.key = str(company.id)
        self.puller = puller or app.puller()
        self.stop = stop
        self.push_policy = push_policy
        self.on_stage = on_stage
        self.inbox_watch = inbox_watch or InboxWatch()

    # ----- stages ---------------------------------------------------------------------------
    def import_inbox(self) -> StageResult:
        """Import the bank files waiting in the company's inbox (no Bokio calls)."""

        def work(result: StageResult) -> None:
            inbox = self.company.bank_inbox
            if inbox is None:
                result.skipped, result.nothing_to_do = "no bank_inbox configured", True
                return
            reports = scan_inbox(  # a missing inbox raises: reported as this stage's error
                self.app.sessions,
                self.key,
                inbox,
                max_bytes=self.app.settings.ingest.max_bytes,
                now=self.app.clock(),
                quiet_s=self.app.settings.ingest.quiet_period_s,
                watch=self.inbox_watch,
                bank_accounts=self.company.bank_accounts,
                stripe_reference_keys=company_rules(self.company).stripe_reference_keys or None,
                bookings=BOOKINGS,
            )
            result.detail = {
                "files": len(reports),
                "new_transactions": sum(r.added for r in reports),
                "new_payouts": sum(r.payouts for r in reports),
                "quarantined": [r.file for r in reports if r.status is ImportStatus.QUARANTINED],
            }
            failed = [r for r in reports if r.status in (ImportStatus.QUARANTINED, ImportStatus.FAILED)]
            if failed:
                result.ok = False
                result.error = "; ".join(f"{r.file}: {r.error}" for r in failed)

        return self._stage("import", work)

    def pull(self, *, full: bool = False, refresh: bool = False, sweep: bool = False) -> StageResult:
        """Incremental pull, full pull, (``refresh``) the open invoices only, or (``sweep``) the
        nightly sweep's paced slice (:meth:`syncd.pull.Puller.sweep`)."""

        def work(result: StageResult) -> None:
            now = self.app.clock()
            if sweep:
                report = self.puller.sweep(self.company, now=now)
            elif refresh and not self._spreading():
                report = self.puller.refresh_open_invoices(self.company, now=now)
            else:
                # a first pull (or sweep) too big for one day is spread over days (syncd.pull.spread)
                report = self.puller.pull_within_share(self.company, full=full, now=now)
            mode = "sweep" if sweep else "refresh" if refresh else ("full" if full else "incremental")
            _describe(result, report, mode)
            if report.pause_kind:
                result.detail["pause"] = self._pause_json()

        return self._stage("pull", work)

    def _spreading(self) -> bool:
        """A first pull is being spread over days: a refresh would re-list past today's share."""
        with self.app.sessions() as session:
            return spread.load(session, str(self.company.id)) is not None

    def _first_pull_under_way(self) -> str | None:
        """``first pull in progress: N of about M requests done`` while one is spread over days."""
        with self.app.sessions() as session:
            record = spread.load(session, str(self.company.id))
        return record.describe() if record is not None and not record.full else None

    def match(self) -> StageResult:
        """Propose allocations; auto-accepted ones are queued for push in the same transaction."""

        def work(result: StageResult) -> None:
            first_pull = self._first_pull_under_way()
            if first_pull is not None:  # a half-mirrored company could match a line to the wrong invoice
                result.skipped = f"{first_pull}; matching waits until the mirror is complete"
                return
            now = self.app.clock()
            report = run_match(
                self.app.sessions,
                self.company,
                now=now,
                today=business_date(now),
                readings=self.app.settings.bokio.readings(),
            )
            result.detail = report.to_json()

        return self._stage("match", work)

    def push(self) -> StageResult:
        """Send what the outbox holds; unknown outcomes are resolved by reading back."""

        def work(result: StageResult) -> None:
            with self.app.sessions() as session:
                pause = pauses.lookup(session, self.key, self.app.clock())
            if pause is not None:
                result.skipped = pause.describe()
                result.detail = {"pause": pause.to_json(self.key)}
                return
            with self.app.sessions.begin() as session:
                pk = repo.ensure_company(session, self.key, self.company.name).id
            ledger = LedgerRecorder(self.app.sessions, company_ids={self.key: pk})
            client = self.app.bokio_client(self.company, on_request=ledger)
            policy = push_policy(self.app.settings, self.push_policy)
            pusher = Pusher(
                self.app.sessions,
                client,
                company_id=pk,
                owner=AllocationLifecycle(self.app.settings.bokio.readings()),
                policy=policy,
                now=self.app.clock,
            )
            try:
                pusher.recover()
                report = pusher.drain(stop=self.stop)
            finally:
                ledger.flush()
            result.detail = {
                "handled": report.handled,
                "outcomes": report.outcomes,
                "refreshed": report.refreshed,
            }
            problems = []
            if report.outcomes.get("pause"):
                paused = self._pause_json()
                result.detail["pause"] = paused
                problems.append(
                    f"company paused ({paused['kind']}) until {paused['until']}: {paused['reason']}"
                    if paused
                    else "company paused"
                )
            if report.outcomes.get("failed"):
                problems.append(
                    f"{report.outcomes['failed']} command(s) failed; see `syncd outbox list --state failed`"
                )
            if problems:
                result.ok = False
                result.error = "; ".join(problems)

        return self._stage("push", work)

    def _pause_json(self) -> dict[str, Any] | None:
        with self.app.sessions() as session:
            pause = pauses.lookup(session, self.key, self.app.clock())
        return pause.to_json(self.key) if pause is not None else None

    # ----- compositions ---------------------------------------------------------------------
    def after_bank_data(self) -> list[StageResult]:
        """New bank money: refresh open invoices, match, push — without waiting for a tick."""
        return [self.pull(refresh=True), self.match(), self.push()]

    def run(self, *, full: bool = False) -> CycleReport:
        """One full cycle: import → pull (a refresh when bank data came, else incremental) → match → push."""
        report = CycleReport(self.key)
        imported = self.import_inbox()
        report.stages.append(imported)
        new_data = bool(imported.detail.get("new_transactions") or imported.detail.get("new_payouts"))
        report.stages.append(self.pull(full=full, refresh=new_data and not full))
        report.stages.append(self.match())
        report.stages.append(self.push())
        return report

    # ----- machinery ------------------------------------------------------------------------
    def _stage(self, stage: str, work: Callable[[StageResult], None]) -> StageResult:
        result = StageResult(stage, company=self.key)
        started = time.monotonic()
        with bind_job_context(company=self.key, job=stage, run_id=uuid.uuid4().hex[:12]):
            with company_job_lock(self.app.engine, self.key, stage) as acquired:
                if not acquired:
                    result.skipped = "another syncd process is running this stage for this company"
                else:
                    try:
                        work(result)
                    except Exception as exc:  # batch boundary: report, log, go on (style §15)
                        result.ok, result.error = False, f"{type(exc).__name__}: {exc}"
                        log.exception("stage.failed", stage=stage)
            result.seconds = time.monotonic() - started
            log.info(
                "stage.done",
                stage=stage,
                ok=result.ok,
                skipped=result.skipped,
                seconds=round(result.seconds, 3),
                error=result.error,
            )
        if self.on_stage is not None:
            self.on_stage(result)
        return result


def _describe(result: StageResult, report: PullReport, mode: str) -> None:
    """A pull's report as its stage result."""
    result.detail = {"mode": mode, "requests": report.total_requests, "problems": list(report.problems)}
    if report.resumed:
        result.detail["resumed"] = report.resumed
    if report.first_pull:
        result.detail["first_pull"] = report.first_pull
    if report.skipped:
        result.skipped = report.skipped
    if report.problems:
        result.ok = False
        result.error = "; ".join(report.problems)


def push_policy(settings: Settings, base: PushPolicy | None = None) -> PushPolicy:
    """The pusher's policy with the client's timing as configured."""
    return dataclasses.replace(
        base or PushPolicy(),
        settle_window_s=settings.bokio.settle_window_s,
        call_deadline_s=settings.bokio.deadline_s,
    )


@contextmanager
def admin_stage(app: App, company: CompanySettings, stage: str) -> Iterator[None]:
    """For management commands: hold the stage lock, or say clearly that the daemon has it."""
    from syncd.errors import SyncdError

    with company_job_lock(app.engine, str(company.id), stage) as acquired:
        if not acquired:
            raise SyncdError(
                f"the {stage} stage of company {company.id} is running in another syncd process "
                "(the daemon?); try again when it has finished"
            )
        yield


def run_once(app: App, *, full: bool = False, stop: Callable[[], bool] = lambda: False) -> list[CycleReport]:
    """``syncd run --once``: one full cycle for every configured company."""
    puller = app.puller()
    return [
        CompanyCycle(app, company, puller=puller, stop=stop).run(full=full)
        for company in app.settings.companies
    ]
