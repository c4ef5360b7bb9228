"""Prometheus metrics for one daemon, in a registry of its own.

A dedicated :class:`~prometheus_client.CollectorRegistry` (not the process-global one) lets
tests, and several daemons in one process, each have their own figures without
"Duplicated timeseries" errors.

Two kinds of figures:

* events the code reports as they happen (Bokio requests, allocations, job runs), kept in
  ordinary counters and histograms;
* state that lives in the database (outbox depth, duplicates found, request budget, company
  pauses by kind). These may be pushed with
  :meth:`Metrics.set_outbox` / :meth:`Metrics.set_budget` after each job, and may also be read
  fresh at scrape time from the ``outbox_source`` / ``budget_source`` callables: a scrape
  then shows the database as it is, not as it was after the last job. Source values win
  over pushed ones for the same company; ``syncd_scrape_source_up{source}`` is 0 when a
  source failed, and the pushed values are served instead.

Labels stay bounded: company ids (configured), path templates (not paths), tiers, decisions,
job names and HTTP statuses. Per-company histograms are avoided on purpose: with hundreds of
companies their bucket series would dominate the scrape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from syncd import __version__
from syncd.logging import get_logger

log = get_logger(__name__)

JOB_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_T = TypeVar("_T")
PAUSE_KINDS = ("auth", "quota", "rate", "plan", "bokio_down")  # syncd.mirror.pauses.PauseKind values


class RequestLike(Protocol):
    """What :meth:`Metrics.observe_request` reads; :class:`syncd.bokio.engine.RequestRecord` fits."""

    @property
    def company_id(self) -> str | None: ...
    @property
    def method(self) -> str: ...
    @property
    def path_template(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def duration_ms(self) -> float: ...
    @property
    def error_kind(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class OutboxFigures:
    """One company's outbox: row count per state, and the age of its oldest pending row.

    Report every state, zeros included, so a series does not vanish when its queue empties.
    """

    company: str
    depth: Mapping[str, int]
    oldest_pending_age_s: float | None = None
    duplicates: Mapping[str, int] = field(default_factory=dict)
    """Copies of syncd's own payments/settlements found in Bokio, by status (repairing, deleted,
    review, kept): see :mod:`syncd.outbox.duplicates`."""


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    """One company's Bokio request budget this month."""

    company: str
    used: int
    remaining: int


@dataclass(frozen=True, slots=True)
class PauseFigures:
    """One company's pause: 1 for the kind it is paused for, 0 for every other kind (so no series
    vanishes when a pause ends), and when the pause ends."""

    company: str
    paused: Mapping[str, int]
    until_s: float | None = None


OutboxSource = Callable[[], Iterable[OutboxFigures]]
BudgetSource = Callable[[], Iterable[BudgetFigures]]
PauseSource = Callable[[], Iterable[PauseFigures]]


def _add_pauses(
    paused: Iterable[PauseFigures], pause_family: GaugeMetricFamily, until_family: GaugeMetricFamily
) -> None:
    """Each company's pause flags by kind, and when its pause ends (if it is paused)."""
    for one in paused:
        for kind, value in sorted(one.paused.items()):
            pause_family.add_metric([one.company, kind], value)
        if one.until_s is not None:
            until_family.add_metric([one.company], one.until_s)


def _add_outbox(
    outbox: Iterable[OutboxFigures],
    depth: GaugeMetricFamily,
    oldest: GaugeMetricFamily,
    duplicates: GaugeMetricFamily,
) -> None:
    """Each company's outbox depth by state, duplicates by status, and its oldest pending age."""
    for figures in outbox:
        for state, count in sorted(figures.depth.items()):
            depth.add_metric([figures.company, state], count)
        for status, count in sorted(figures.duplicates.items()):
            duplicates.add_metric([figures.company, status], count)
        if figures.oldest_pending_age_s is not None:
            oldest.add_metric([figures.company], figures.oldest_pending_age_s)


class _StateCollector(Collector):
    """Serves outbox and budget gauges: pushed values, overridden by the sources at scrape time."""

    def __init__(
        self,
        outbox_source: OutboxSource | None,
        budget_source: BudgetSource | None,
        pause_source: PauseSource | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._outbox: dict[str, OutboxFigures] = {}
        self._budget: dict[str, BudgetFigures] = {}
        self._pauses: dict[str, PauseFigures] = {}
        self._outbox_source = outbox_source
        self._budget_source = budget_source
        self._pause_source = pause_source

    def push_pause(self, figures: PauseFigures) -> None:
        with self._lock:
            self._pauses[figures.company] = figures

    def push_outbox(self, figures: OutboxFigures) -> None:
        with self._lock:
            self._outbox[figures.company] = figures

    def push_budget(self, figures: BudgetFigures) -> None:
        with self._lock:
            self._budget[figures.company] = figures

    def describe(self) -> Iterable[Metric]:
        return [*self._families(), *self._pause_families(), self._up_family()]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            outbox, budget, paused = dict(self._outbox), dict(self._budget), dict(self._pauses)
        up = self._up_family()
        for figures in _read_source("outbox", self._outbox_source, up):
            outbox[figures.company] = figures
        for item in _read_source("budget", self._budget_source, up):
            budget[item.company] = item
        for one in _read_source("pauses", self._pause_source, up):
            paused[one.company] = one
        pause_family, until_family = self._pause_families()
        _add_pauses(paused.values(), pause_family, until_family)
        families = self._families()
        depth, oldest, used, remaining, duplicates = families
        _add_outbox(outbox.values(), depth, oldest, duplicates)
        for item in budget.values():
            used.add_metric([item.company], item.used)
            remaining.add_metric([item.company], item.remaining)
        return [*families, pause_family, until_family, up]

    @staticmethod
    def _pause_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "syncd_company_paused",
                "1 when syncd stopped calling Bokio for a company, by pause kind "
                "(auth, quota, rate, plan, bokio_down); 0 for the other kinds",
                labels=["company", "kind"],
            ),
            GaugeMetricFamily(
                "syncd_company_paused_until_timestamp_seconds",
                "Unix time a company's pause ends (absent when it is not paused)",
                labels=["company"],
            ),
        )

    @staticmethod
    def _up_family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "syncd_scrape_source_up",
            "1 when a scrape-time source answered, 0 when it failed",
            labels=["source"],
        )

    @staticmethod
    def _families() -> tuple[
        GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily
    ]:
        return (
            GaugeMetricFamily(
                "syncd_outbox_depth", "Outbox rows per company and state", labels=["company", "state"]
            ),
            GaugeMetricFamily(
                "syncd_outbox_oldest_pending_age_seconds",
                "Age of the oldest pending outbox row per company",
                labels=["company"],
            ),
            GaugeMetricFamily(
                "syncd_bokio_budget_used_requests",
                "Bokio requests used this month per company",
                labels=["company"],
            ),
            GaugeMetricFamily(
                "syncd_bokio_budget_remaining_requests",
                "Bokio requests left in this month's budget per company",
                labels=["company"],
            ),
            GaugeMetricFamily(
                "syncd_outbox_duplicates",
                "Copies of syncd's own Bokio payments/settlements found by the duplicate detector, per "
                "company and status (repairing, deleted, review: a person decides, kept)",
                labels=["company", "status"],
            ),
        )


def _read_source(name: str, source: Callable[[], Iterable[_T]] | None, up: GaugeMetricFamily) -> list[_T]:
    """Call a scrape-time source; on failure log, mark it down and serve the pushed values."""
    if source is None:
        return []
    try:
        figures = list(source())
    except Exception:  # a scrape must not fail because the database is briefly away
        log.warning("metrics.source_failed", source=name, exc_info=True)
        up.add_metric([name], 0)
        return []
    up.add_metric([name], 1)
    return figures


class Metrics:
    """Every syncd metric, registered in :attr:`registry`; the methods are what the code calls."""

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        outbox_source: OutboxSource | None = None,
        budget_source: BudgetSource | None = None,
        pause_source: PauseSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._clock = clock
        r = self.registry
        Info("syncd_build", "The running syncd version", registry=r).info({"version": __version__})
        self.bokio_requests = Counter(
            "syncd_bokio_requests",
            "Bokio HTTP attempts by company, endpoint (path template), method and status",
            ["company", "endpoint", "method", "status"],
            registry=r,
        )
        self.bokio_request_duration = Histogram(
            "syncd_bokio_request_duration_seconds",
            "Bokio HTTP attempt duration by endpoint",
            ["endpoint"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.allocations = Counter(
            "syncd_allocations", "Matcher allocations by tier and decision", ["tier", "decision"], registry=r
        )
        self.job_duration = Histogram(
            "syncd_job_duration_seconds", "Job run duration by job", ["job"], buckets=JOB_BUCKETS, registry=r
        )
        self.job_failures = Counter(
            "syncd_job_failures", "Failed job runs by job and company", ["job", "company"], registry=r
        )
        self.lock_skipped = Counter(
            "syncd_lock_skipped",
            "Job runs skipped because another process held the (company, job) lock",
            ["job"],
            registry=r,
        )
        self.last_success = Gauge(
            "syncd_cycle_last_success_timestamp_seconds",
            "Unix time of the last fully successful sync cycle per company",
            ["company"],
            registry=r,
        )
        self.audit_findings = Gauge(
            "syncd_audit_findings",
            "Discrepancies the last audit against Bokio's ledger found, per company and kind "
            "(missing, changed, reversed, double_booked, unseen_bank_money)",
            ["company", "kind"],
            registry=r,
        )
        self.audit_bookings_found = Gauge(
            "syncd_audit_bookings_found",
            "syncd's bookings the last audit found in Bokio's ledger, per company",
            ["company"],
            registry=r,
        )
        self.audit_last_run = Gauge(
            "syncd_audit_last_run_timestamp_seconds",
            "Unix time of the last audit against Bokio's ledger per company",
            ["company"],
            registry=r,
        )
        self._state = _StateCollector(outbox_source, budget_source, pause_source)
        r.register(self._state)

    def observe_request(self, record: RequestLike) -> None:
        """Count one Bokio attempt; use as the Bokio engine's ``on_request`` hook."""
        status = str(record.status) if record.status is not None else (record.error_kind or "error")
        self.bokio_requests.labels(record.company_id or "", record.path_template, record.method, status).inc()
        self.bokio_request_duration.labels(record.path_template).observe(record.duration_ms / 1000)

    def set_budget(self, company: str, used: int, remaining: int) -> None:
        """Publish a company's request budget (a scrape-time source overrides it)."""
        self._state.push_budget(BudgetFigures(company, used, remaining))

    def set_pause(self, company: str, kind: str | None, until_s: float | None = None) -> None:
        """Publish a company's pause (``kind`` None: not paused); a scrape-time source overrides it."""
        paused = {k: int(k == kind) for k in PAUSE_KINDS}
        self._state.push_pause(PauseFigures(company, paused, until_s if kind else None))

    def set_outbox(
        self,
        company: str,
        depth: Mapping[str, int],
        oldest_pending_age_s: float | None = None,
        duplicates: Mapping[str, int] | None = None,
    ) -> None:
        """Publish a company's outbox depth per state and duplicates found (a scrape-time source
        overrides it)."""
        self._state.push_outbox(
            OutboxFigures(company, dict(depth), oldest_pending_age_s, dict(duplicates or {}))
        )

    def set_audit(self, company: str, *, found: int, findings: Mapping[str, int], at: float) -> None:
        """Publish a company's last audit: bookings found, discrepancies per kind, when."""
        self.audit_bookings_found.labels(company).set(found)
        for kind, count in findings.items():
            self.audit_findings.labels(company, kind).set(count)
        self.audit_last_run.labels(company).set(at)

    def observe_allocation(self, tier: str, decision: str, count: int = 1) -> None:
        """Count matcher allocations (``decision``: auto, review, reject)."""
        self.allocations.labels(tier, decision).inc(count)

    def observe_job(self, job: str, company: str | None, seconds: float, ok: bool) -> None:
        """Record one finished job run; failures are counted per company."""
        self.job_duration.labels(job).observe(seconds)
        if not ok:
            self.job_failures.labels(job, company or "").inc()

    def observe_lock_skipped(self, job: str) -> None:
        """Count a run skipped because the lock was taken elsewhere (expected with replicas)."""
        self.lock_skipped.labels(job).inc()

    def mark_cycle_success(self, company: str, at: float | None = None) -> None:
        """Stamp a company's last fully successful cycle; alert on its age, not on single failures."""
        self.last_success.labels(company).set(self._clock() if at is None else at)

    @contextmanager
    def time_job(self, job: str, company: str | None = None) -> Iterator[None]:
        """Time the body as one run of ``job``; an exception counts as a failure and propagates."""
        started = time.monotonic()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.observe_job(job, company, time.monotonic() - started, ok)
