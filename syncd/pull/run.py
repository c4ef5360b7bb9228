"""One company's pull run: request accounting, per-page transactions and resumable page scans.

Each page is fetched first (no database transaction open while Bokio answers: on SQLite that
would hold the write lock for a network round trip), then its rows and the scan's progress are
written in one transaction, then the request ledger is flushed. A crash between pages loses at
most the page in flight; the next run resumes after the last committed page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from sqlalchemy.orm import Session, sessionmaker

from syncd.bokio import models as bm
from syncd.bokio.errors import BokioError, MalformedRecordError, ProtocolError
from syncd.bokio.models import BokioModel
from syncd.bokio.pagination import Page
from syncd.domain import invoice_math as im
from syncd.mirror.syncstate import set_cursor, state
from syncd.pull import store
from syncd.pull.cursors import ScanProgress
from syncd.pull.report import PullReport
from syncd.settings import Settings

if TYPE_CHECKING:
    from syncd.bokio import BokioClient, RequestRecord

Writer = Callable[[Session], None]
Listed = TypeVar("Listed", bm.Invoice, bm.Customer, bm.CreditNote)
"""The records a page scan lists."""

log = structlog.get_logger("syncd.pull")

LONG_PULL_REQUESTS = 50
"""From this many requests on, a pull is long: its progress is logged at info, not debug."""


@dataclass(frozen=True, slots=True)
class PullProgress:
    """Where a pull is: after each listing page and each batch of invoices read by id."""

    company: str
    stream: str
    step: str
    """``open``/``window``/``full`` scan, or ``by id``."""
    done: int
    total: int
    """Pages of the listing (``done`` of them committed), or invoices to read by id."""
    requests: int
    """Bokio requests this pull has made so far."""

    def describe(self) -> str:
        unit = "invoices" if self.step == "by id" else "pages"
        return f"{self.stream} {self.step}: {self.done}/{self.total} {unit}, {self.requests} requests"


ProgressHook = Callable[[PullProgress], None]


class RequestCapReached(Exception):
    """The pull has spent its request cap for now; every committed page stays, the next run resumes."""


@dataclass(frozen=True)
class PullConfig:
    """Knobs of the puller (defaults fit a private integration's 5,000 requests a month)."""

    window_days: int = 30
    """Recent ``invoiceDate`` window re-listed by incremental pulls (new drafts, quick payers)."""
    customer_lag: dt.timedelta = dt.timedelta(minutes=10)
    """How far before the customer cursor each query starts (late or skewed stamps)."""
    page_size: int = 100
    resume_within: dt.timedelta = dt.timedelta(hours=1)
    """An interrupted scan younger than this resumes; an older one starts again."""
    full_sweep_every: dt.timedelta = dt.timedelta(hours=24)
    sweep_cycle: dt.timedelta = dt.timedelta(days=28)
    """The nightly sweep's slices list every invoice once per this long (:mod:`syncd.pull.sweep`)."""
    settlement_sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN
    paid_includes_settlements: bool = im.PAID_INCLUDES_SETTLEMENTS

    @classmethod
    def from_settings(cls, settings: Settings) -> PullConfig:
        """The puller's knobs from ``[pull]`` and the Bokio assumptions in ``[bokio]``."""
        pull = settings.pull
        return cls(
            window_days=pull.window_days,
            customer_lag=dt.timedelta(minutes=pull.customer_lag_minutes),
            page_size=pull.page_size,
            full_sweep_every=dt.timedelta(hours=pull.full_sweep_hours),
            sweep_cycle=dt.timedelta(days=pull.sweep_cycle_days),
            settlement_sign=im.SettlementSign(settings.bokio.settlement_sign),
            paid_includes_settlements=settings.bokio.paid_includes_settlements,
        )


@dataclass
class RequestTap:
    """The client's ``on_request`` hook: counts calls per stream, then hands them to the ledger."""

    forward: Callable[[RequestRecord], None] | None = None
    report: PullReport | None = None
    stream: str = "other"

    def __call__(self, record: RequestRecord) -> None:
        if self.report is not None and record.error_kind != "not_sent":
            self.report.count_request(self.stream)
        if self.forward is not None:
            self.forward(record)


@dataclass
class Run:
    """Everything one company's pull needs; streams call its helpers."""

    sessions: sessionmaker[Session]
    client: BokioClient
    company_pk: int
    report: PullReport
    config: PullConfig
    now: dt.datetime
    tap: RequestTap
    flush: Callable[[], object] = lambda: 0
    skipped: list[str] = field(default_factory=list)
    notes_by_id: bool = True
    """False when this run also lists every credit note (a full sweep): no per-id reads then."""
    streams_run: int = 0
    unavailable: list[BokioError] = field(default_factory=list)
    """Streams that failed because Bokio answered 5xx or not at all; all of them: Bokio is down."""
    on_progress: ProgressHook | None = None
    """Told after every committed page or batch (a terminal's progress bar); the log gets it too."""
    request_cap: int | None = None
    """Requests this pull may make (a first pull spread over days); None: no cap."""
    resume_any: bool = False
    """Resume an interrupted scan however old it is (a spread first pull continues the next day)."""
    costliest_step: int = 0
    """The most requests one page or batch has cost in this run (to judge whether the next fits)."""

    def check_cap(self, worst_case: int) -> None:
        """Stop before a page or batch that could take the pull past its cap.

        The next step is judged to cost as much as the costliest so far, or ``worst_case`` before
        any step was taken; the pull stops cleanly between committed steps.
        """
        if self.request_cap is None:
            return
        projected = self.costliest_step or worst_case
        if self.report.total_requests + projected > self.request_cap:
            raise RequestCapReached

    def stepped(self, before: int) -> None:
        """Note what the step that began at ``before`` requests cost."""
        self.costliest_step = max(self.costliest_step, self.report.total_requests - before)

    def progress(self, stream: str, step: str, done: int, total: int) -> None:
        """Report progress to the log (info once the pull is long) and to ``on_progress``."""
        event = PullProgress(self.report.company, stream, step, done, total, self.report.total_requests)
        level = log.info if event.requests >= LONG_PULL_REQUESTS else log.debug
        level(
            "pull.progress",
            company=event.company,
            stream=stream,
            step=step,
            done=done,
            total=total,
            requests=event.requests,
        )
        if self.on_progress is not None:
            self.on_progress(event)

    @property
    def ids(self) -> dict[str, str | int]:
        return {"companyId": self.client.company_id}

    @contextmanager
    def counting(self, stream: str) -> Iterator[None]:
        """Attribute the requests made inside to ``stream`` in the report."""
        previous, self.tap.stream = self.tap.stream, stream
        try:
            yield
        finally:
            self.tap.stream = previous

    @contextmanager
    def txn(self) -> Iterator[Session]:
        """One job transaction; the request ledger is flushed after it, committed or not."""
        try:
            with self.sessions.begin() as session:
                yield session
        finally:
            self.flush()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        with self.sessions() as session:
            yield session

    def on_skip(self, error: MalformedRecordError) -> None:
        """A record that does not parse is a problem, not a stop (style practice 15)."""
        record = error.record if isinstance(error.record, dict) else {}
        if record.get("id"):
            self.skipped.append(str(record["id"]))
        self.report.problems.append(str(error))

    def fetch_page(
        self, model: type[BokioModel], template: str, query: str | None, page_no: int
    ) -> Page[Any]:
        """Exactly one page (``extra`` pins the page number; the generator is closed after it)."""
        pages = self.client.iter_pages(
            model,
            template,
            self.ids,
            query=query,
            page_size=self.config.page_size,
            extra={"page": page_no},
            on_skip=self.on_skip,
        )
        try:
            page = next(iter(pages))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        if page.current_page and page.current_page != page_no:
            raise ProtocolError(f"asked {template} for page {page_no}, got page {page.current_page}")
        return page

    def scan(
        self,
        stream: str,
        *,
        kind: str,
        query: str | None,
        model: type[Listed],
        template: str,
        prepare: Callable[[list[Listed]], Writer],
    ) -> ScanProgress:
        """List every page, committing each page's rows with the scan's progress.

        Resumes an interrupted scan of the same kind if it is younger than ``resume_within``
        (with the query it started with); otherwise starts at page 1.
        """
        with self.txn() as session:
            row = state(session, self.company_pk, stream)
            progress = store.load_scan(row, kind)
            stale = self.now - progress.started_at > self.config.resume_within if progress else True
            if progress is None or (stale and not self.resume_any):
                progress = ScanProgress(kind=kind, query=query, started_at=self.now)
                store.save_scan(row, progress)
        while not progress.pages_done:
            page_no = progress.next_page
            self.check_cap(1 + 2 * self.config.page_size)
            before = self.report.total_requests
            self.skipped = []
            page = self.fetch_page(model, template, progress.query, page_no)
            items: list[Listed] = list(page.items)
            last = page.size == 0 or page_no >= page.total_pages
            writer = prepare(items)
            seen = [item.id for item in items] + self.skipped
            with self.txn() as session:
                writer(session)
                progress = progress.after_page(page_no, seen, last=last)
                store.save_scan(state(session, self.company_pk, stream), progress)
            self.stepped(before)
            self.progress(stream, kind, page_no, max(page.total_pages, page_no))
        return progress

    def finish_scan(self, session: Session, stream: str, kind: str, *, full: bool = False) -> None:
        """Forget a finished scan and stamp the stream's success (in the caller's transaction)."""
        row = state(session, self.company_pk, stream)
        scans = dict((row.cursor or {}).get("scans", {}))
        scans.pop(kind, None)
        set_cursor(row, scans=scans or None)
        row.last_run_at = self.now
        row.last_success_at = self.now
        row.last_error = None
        if full:
            row.last_full_sweep_at = self.now
