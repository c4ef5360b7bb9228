"""Pull orchestration per company: which streams run, pauses, error isolation, entry points.

Entry points (how the rest of syncd calls the mirror):

- the scheduler: :meth:`Puller.pull_within_share` when a poll is due (:mod:`syncd.pull.schedule`),
  :meth:`Puller.sweep` nightly (a paced slice, not a full listing: :mod:`syncd.pull.sweep`);
- the bank-file import job: :meth:`Puller.refresh_open_invoices` when new bank data arrived;
- the pusher: :func:`syncd.mirror.dirty.mark_dirty` inside its own transaction, or
  :meth:`Puller.refresh_invoices` right after a push to read the invoice back at once.

An answer that concerns the whole company (quota, token, Bokio down: :mod:`syncd.mirror.pauses`)
pauses that company with its kind, reason and until-time; the others go on, and a paused
company's pulls are skipped with a log line. An ``auth`` pause is re-checked first with one cheap,
budget-counted call, so a fixed token resumes at the next pull.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from syncd.bokio.errors import AuthError, BokioError, QuotaExceededError, ServerError, TransportError
from syncd.bokio.models import BokioModel
from syncd.bokio.models import CreditNote as CreditNoteModel
from syncd.bokio.models import Customer as CustomerModel
from syncd.bokio.models import Invoice as InvoiceModel
from syncd.budget import LedgerRecorder
from syncd.clock import business_date
from syncd.db import utcnow
from syncd.mirror import pauses, repo
from syncd.mirror.dirty import STREAM, mark_dirty
from syncd.mirror.syncstate import peek_state, state
from syncd.mirror.tables import Company
from syncd.outbox.wake import wake_parked
from syncd.pull import dryrun, invoices, spread, streams, sweep
from syncd.pull.dryrun import first_pull_pending, plan
from syncd.pull.report import REFERENCE_STREAMS, STREAMS, PullReport
from syncd.pull.run import ProgressHook, PullConfig, RequestCapReached, RequestTap, Run
from syncd.settings import CompanySettings

if TYPE_CHECKING:
    from syncd.bokio import BokioClient, RequestRecord

log = structlog.get_logger("syncd.pull")

DEFAULT_QUOTA_PAUSE = pauses.DEFAULT_PAUSE
StreamFn = Callable[[Run], None]


class ClientFactory(Protocol):
    """Builds one company's Bokio client whose requests go through ``on_request`` (``App.bokio_client``)."""

    def __call__(
        self, company: CompanySettings, *, on_request: Callable[[RequestRecord], None] | None = None
    ) -> BokioClient: ...


class Puller:
    """Keeps the mirror of each configured company close to Bokio within the request budget.

    Takes what it uses, as :class:`syncd.outbox.pusher.Pusher` does; the composition root
    (``App.puller``) wires it from the settings.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clients: ClientFactory,
        *,
        config: PullConfig,
        monthly_quota: int,
        companies: Sequence[CompanySettings] = (),
        clock: Callable[[], dt.datetime] = utcnow,
        on_progress: ProgressHook | None = None,
    ) -> None:
        self.sessions = sessions
        self.clients = clients
        self.config = config
        self.monthly_quota = monthly_quota
        self.companies = list(companies)
        self.clock = clock
        self.on_progress = on_progress

    # ----- entry points ----------------------------------------------------------------------
    def pull(
        self,
        company: CompanySettings,
        *,
        streams: Sequence[str] | None = None,
        full: bool = False,
        dry_run: bool = False,
        now: dt.datetime | None = None,
        request_cap: int | None = None,
        resume: bool = False,
    ) -> PullReport:
        """An incremental pull (or a full sweep) of ``streams`` (default: all).

        With ``request_cap`` the pull stops cleanly before a page that could pass the cap
        (``report.capped``); with ``resume`` it resumes interrupted scans however old they are.
        """
        unknown = set(streams or ()) - set(STREAMS)
        if unknown:
            raise ValueError(f"unknown stream(s) {sorted(unknown)}; streams are {', '.join(STREAMS)}")
        now = now or self.clock()
        report = PullReport(str(company.id), full=full, dry_run=dry_run)
        if dry_run:
            return self._dry_run(company, report, streams=streams, full=full, now=now)
        chosen = list(streams or STREAMS)
        explicit = streams is not None

        def body(run: Run) -> None:
            run.notes_by_id = not (full and "credit_notes" in chosen)
            with run.read() as session:
                never = {
                    name
                    for name in REFERENCE_STREAMS
                    if (row := peek_state(session, run.company_pk, name)) is None
                    or row.last_success_at is None
                }
            for name in chosen:
                if name in REFERENCE_STREAMS and not (full or explicit or name in never):
                    continue
                if name == "credit_notes" and not (full or explicit):
                    continue  # incremental credit notes come by id with their invoice
                self._guarded(run, name, self._stream(name, full=full))

        return self._execute(company, report, now, body, request_cap=request_cap, resume=resume)

    def pull_within_share(
        self,
        company: CompanySettings,
        *,
        full: bool = False,
        now: dt.datetime | None = None,
        share: float = spread.DAY_SHARE,
    ) -> PullReport:
        """The daemon's pull: a first pull (or full sweep) costing more than ``share`` of the
        month runs in daily parts of at most that share (:mod:`syncd.pull.spread`).

        A first pull starts as an ordinary pull with the day's cap: one that fits (the usual
        case) is exactly what it was, with no estimate made. Only one that reaches the cap is
        estimated (a few sampled pages, counted) and goes on the next days where it stopped.
        """
        now = now or self.clock()
        bokio_id = str(company.id)
        allowance = max(1, int(share * self.monthly_quota))
        today = business_date(now)
        with self.sessions() as session:
            under_way = spread.load(session, bokio_id)
            first = under_way is None and first_pull_pending(session, bokio_id, None)
        if under_way is None:
            if not (first or full):
                return self.pull(company, full=full, now=now)
            cap = max(1, allowance - spread.ESTIMATE_RESERVE)
            report = self.pull(company, full=full, now=now, request_cap=cap)
            if not report.capped:
                return report
            estimate = self.estimate(company, full=full, now=now)
            spent = report.total_requests + estimate.total_requests
            expected = max(sum(call.count for call in estimate.planned), spent)
            under_way = spread.Spread(expected, spent, today, spent, full=full)
            self._keep_spread(company, under_way)
            report.first_pull = under_way.describe()
            log.info(
                "pull.spread_started",
                company=bokio_id,
                kind="full sweep" if full else "first pull",
                estimate=expected,
                done=spent,
                per_day=allowance,
            )
            return report
        under_way = under_way.on(today)
        cap = allowance - under_way.today
        report = (
            self.pull(company, full=under_way.full, now=now, request_cap=cap, resume=True)
            if cap > 0
            else PullReport(bokio_id, full=under_way.full, capped=True)
        )
        if report.capped and report.total_requests == 0:  # not even one page fits what is left today
            under_way = replace(under_way, today=allowance)
        under_way = under_way.spent(report.total_requests)
        finished = not report.capped and not report.problems and not report.paused
        self._keep_spread(company, None if finished else under_way)
        report.first_pull = (
            under_way.describe().replace("in progress", "done") if finished else under_way.describe()
        )
        if report.capped and report.total_requests == 0:
            report.skipped = (
                f"{report.first_pull}; today's share ({allowance} requests) is spent, it goes on tomorrow"
            )
        log.info(
            "pull.spread_part",
            company=bokio_id,
            requests=report.total_requests,
            done=under_way.done,
            estimate=under_way.estimate,
            left=max(0, under_way.estimate - under_way.done),
            finished=finished,
        )
        return report

    def _keep_spread(self, company: CompanySettings, record: spread.Spread | None) -> None:
        with self.sessions.begin() as session:
            pk = repo.ensure_company(session, str(company.id), company.name).id
            spread.save(session, pk, record)

    def sweep(self, company: CompanySettings, *, now: dt.datetime | None = None) -> PullReport:
        """The daemon's nightly sweep: recent credit notes and a paced slice of every invoice
        (:mod:`syncd.pull.sweep`); before the first pull is complete, that pull instead."""
        now = now or self.clock()
        with self.sessions() as session:
            pending = spread.load(session, str(company.id)) is not None or first_pull_pending(
                session, str(company.id), ("customers", "invoices")
            )
        if pending:
            return self.pull_within_share(company, now=now)
        report = PullReport(str(company.id))
        return self._execute(company, report, now, lambda run: self._guarded(run, "invoices", sweep.sweep))

    def refresh_open_invoices(
        self, company: CompanySettings, *, now: dt.datetime | None = None
    ) -> PullReport:
        """Bank data arrived: bring open invoices (and customer names) up to date for matching.

        The recent window is listed only when cheaper than re-reading vanished invoices by id.
        """
        now = now or self.clock()
        report = PullReport(str(company.id))

        def body(run: Run) -> None:
            self._guarded(run, "customers", lambda r: streams.pull_customers(r, full=False))
            self._guarded(run, "invoices", lambda r: invoices.pull_incremental(r, window=None))

        return self._execute(company, report, now, body)

    def refresh_invoices(
        self, company: CompanySettings, invoice_ids: Iterable[str], *, now: dt.datetime | None = None
    ) -> PullReport:
        """Read these invoices and their payments/settlements back now (after a push)."""
        ids = list(invoice_ids)
        report = PullReport(str(company.id))
        return self._execute(
            company,
            report,
            now or self.clock(),
            lambda run: self._guarded(run, "invoices", lambda r: invoices.fetch_by_ids(r, ids, force=True)),
        )

    def mark_dirty(self, company: CompanySettings, invoice_ids: Iterable[str]) -> None:
        """Flag invoices for a payments/settlements re-read at the next pull (own transaction)."""
        with self.sessions.begin() as session:
            pk = repo.ensure_company(session, str(company.id)).id
            mark_dirty(session, pk, invoice_ids)

    def pull_all(self, *, full: bool = False, now: dt.datetime | None = None) -> list[PullReport]:
        """Every configured company; one company's trouble never stops the others."""
        return [self.pull(company, full=full, now=now) for company in self.companies]

    def full_sweep_due(self, company: CompanySettings, now: dt.datetime | None = None) -> bool:
        """Whether the last completed invoice sweep is older than ``full_sweep_every``."""
        now = now or self.clock()
        with self.sessions() as session:
            pk = _company_pk(session, str(company.id))
            row = peek_state(session, pk, STREAM) if pk is not None else None
        last = row.last_full_sweep_at if row is not None else None
        return last is None or now - last >= self.config.full_sweep_every

    def estimate(
        self,
        company: CompanySettings,
        *,
        streams: Sequence[str] | None = None,
        full: bool = False,
        now: dt.datetime | None = None,
    ) -> PullReport:
        """What :meth:`pull` would cost: a dry run (see :mod:`syncd.pull.dryrun`)."""
        return self.pull(company, streams=streams, full=full, dry_run=True, now=now)

    # ----- machinery -------------------------------------------------------------------------
    def _dry_run(
        self,
        company: CompanySettings,
        report: PullReport,
        *,
        streams: Sequence[str] | None,
        full: bool,
        now: dt.datetime,
    ) -> PullReport:
        """From the mirror alone, or, for a stream never pulled, from a few sampled pages."""
        bokio_id = str(company.id)
        with self.sessions() as session:
            if not first_pull_pending(session, bokio_id, streams):
                report.planned = plan(
                    session, bokio_id, config=self.config, streams=streams, full=full, now=now
                )
                return report

        def body(run: Run) -> None:
            models: dict[str, type[BokioModel]] = {
                dryrun.INVOICES: InvoiceModel,
                dryrun.CUSTOMERS: CustomerModel,
                dryrun.CREDIT_NOTES: CreditNoteModel,
            }

            def sampler(template: str, query: str | None, page: int) -> tuple[int, int, list[BokioModel]]:
                with run.counting("estimate"):
                    found = run.fetch_page(models[template], template, query, page)
                return found.total_items, found.total_pages, list(found.items)

            with run.read() as session:
                report.planned = plan(
                    session,
                    bokio_id,
                    config=self.config,
                    streams=streams,
                    full=full,
                    now=now,
                    sampler=sampler,
                )

        return self._execute(company, report, now, body)

    def _stream(self, name: str, *, full: bool) -> StreamFn:
        table: dict[str, StreamFn] = {
            "company": streams.pull_company_info,
            "accounts": streams.pull_accounts,
            "fiscal_years": streams.pull_fiscal_years,
            "tag_groups": streams.pull_tag_groups,
            "customers": lambda run: streams.pull_customers(run, full=full),
            "invoices": invoices.pull_full
            if full
            else lambda run: invoices.pull_incremental(run, window=True),
            "credit_notes": streams.pull_credit_notes_full,
        }
        return table[name]

    def _guarded(self, run: Run, name: str, fn: StreamFn) -> None:
        """Run one stream; a Bokio failure becomes a problem and the next stream goes on.

        Quota and authentication errors concern every stream of the company, so they stop it.
        """
        run.streams_run += 1
        try:
            fn(run)
        except (QuotaExceededError, AuthError):
            raise
        except BokioError as exc:
            if isinstance(exc, ServerError | TransportError):
                run.unavailable.append(exc)
            run.report.problems.append(f"{name}: {exc}")
            log.warning("pull.stream_failed", company=run.report.company, stream=name, error=str(exc))
            with run.txn() as session:
                row = state(session, run.company_pk, name)
                row.last_run_at = run.now
                row.last_error = str(exc)[:2000]

    def _execute(
        self,
        company: CompanySettings,
        report: PullReport,
        now: dt.datetime,
        body: Callable[[Run], None],
        *,
        request_cap: int | None = None,
        resume: bool = False,
    ) -> PullReport:
        bokio_id = str(company.id)
        with self.sessions.begin() as session:
            row = repo.ensure_company(session, bokio_id, company.name)
            pk = row.id
            pause = pauses.current(row, now)
            if pause is None and row.paused_until is not None:
                pauses.clear(session, pk, company=bokio_id, why="the pause ran out")
        ledger = LedgerRecorder(self.sessions, company_ids={bokio_id: pk})
        tap = RequestTap(forward=ledger, report=report)
        client = self.clients(company, on_request=tap)
        run = Run(self.sessions, client, pk, report, self.config, now, tap, flush=ledger.flush)
        run.on_progress = self.on_progress
        run.request_cap = request_cap
        run.resume_any = resume
        try:
            if pause is not None and pause.kind is pauses.PauseKind.AUTH:
                pause = self._recheck(run, bokio_id, pause)
            if pause is not None:
                report.paused_until, report.pause_kind = pause.until, pause.kind.value
                report.skipped = f"{pause.describe()}; pull skipped"
                log.info("pull.skipped_paused", company=bokio_id, pause=pause.describe())
                return report
            try:
                body(run)
            except RequestCapReached:
                report.capped = True
                log.info("pull.capped", company=bokio_id, cap=request_cap, requests=report.total_requests)
            if run.unavailable and len(run.unavailable) == run.streams_run:
                raise run.unavailable[-1]  # nothing got through: Bokio is down, stop asking for a while
        except (QuotaExceededError, AuthError, ServerError, TransportError) as exc:
            found = pauses.pause_for(exc, now)
            assert found is not None  # noqa: S101 - each of these classes maps to a pause
            with run.txn() as session:
                pauses.set_pause(session, pk, found, company=bokio_id)
            report.paused_until, report.pause_kind = found.until, found.kind.value
            report.problems.append(f"company {found.describe()}")
        finally:
            ledger.flush()
        return report

    def _recheck(self, run: Run, bokio_id: str, pause: pauses.Pause) -> pauses.Pause | None:
        """One cheap call: does the token work again? Resume if so; raise if Bokio says something new."""
        try:
            run.client.get_company_information()
        except AuthError as exc:
            log.info("pull.auth_still_refused", company=bokio_id, error=str(exc))
            return pause
        with run.txn() as session:
            ended = pauses.clear(session, run.company_pk, company=bokio_id, why="the token works again")
            wake_parked(session, run.company_pk, ended, now=run.now)
        run.report.resumed = f"the {pause.kind.value} pause ended: the token works again"
        return None


def _company_pk(session: Session, bokio_id: str) -> int | None:
    return session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_id))
