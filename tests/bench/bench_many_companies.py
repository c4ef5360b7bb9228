"""Many companies per deployment: N sandbox companies, one PostgreSQL, 3 ``syncd run`` replicas, two days.

Run on demand: ``nice python -m tests.bench.bench_many_companies [N]`` (or ``SYNCD_BENCH_COMPANIES=N``;
default 1,000; ``--quick``: 30 companies, what ``make bench`` runs, about a minute).
``SYNCD_BENCH_DATABASE_URL`` is the admin URL (default the local ``postgres``); the database
``SYNCD_BENCH_DB`` (default ``bench_fleet``) is dropped and recreated each run. Not a pytest test.
The last line is ``BENCH-SUMMARY {json}``: freshness misses, starved companies, statements per run
against :data:`STATEMENT_BOUND`, scheduler memory per company, wall and CPU.

Each replica is a real :class:`syncd.daemon.service.Daemon` (its own App, engine and connection pool)
whose ``schedule()`` builds the per-company APScheduler jobs. The scheduler is not started: this
script fires the jobs' own functions at their triggers' times on the sandbox's manual clock, tick
by tick, each replica on its own thread pool of ``[daemon] workers`` threads, so the three
replicas really contend for the (company, stage) advisory locks at every tick, as they do when
they all schedule every company at the same instants.

The simulated days stretch the production job intervals by ``SYNCD_BENCH_SCALE`` (default 120:
inbox every hour, push every 2 h, match every 10 h); the poll job runs at the budget planner's own
times (the end of a bank day without an open-invoice scan; ``SYNCD_BENCH_PULL_SCALE`` stretches
them, default 1) and the sweep at 02:30. At production intervals each replica runs ~4,600 jobs
per company per day, which this machine cannot simulate for 1,000 companies; the per-run figures
printed here (statements, CPU, Bokio requests) are what docs/scaling.md multiplies by the
production run counts. The first hour (every company's first full pull) is not counted.

Day one (a Monday to Thursday): a third of the companies get a bank file (camt.054 paying up to
three open invoices by OCR) at a random minute between 07:00 and 17:00 Stockholm; every company
gets one invoice created in Bokio's UI at a random minute of the business day. Day two has no
events: it is there because a person's change has until the end of the next bank day. Targets:

* bank money is booked in Bokio within ``inbox + push interval + 2 ticks`` of the file's arrival;
* an invoice created in Bokio's UI is in the mirror by the end of the next bank day
  (``[budget] freshness_bank_days``; checked every simulated hour);
* every stage of every company (inbox, push, match) ran to completion on *some* replica at
  least once per ``interval + 1 tick`` (no company starved by the others or by lock skips);
* no job run sends more than :data:`STATEMENT_BOUND` statements, whatever the number of companies.

Figures: freshness per company, the worst-served company, database statements per job run
(``before_cursor_execute``) and per company per day, pool checkouts (pre-pings) per run and new
connections, scheduler memory per company (tracemalloc of ``Daemon.schedule()``), Bokio requests
per company per day (the sandbox's own counters), PostgreSQL size and its backends' CPU, wall
and CPU time and where the wall time went (waiting for jobs or the harness).

Measured on 30 November 2026 (2-core machine shared with three other helpers, load average
11-18), N=1,000, two simulated days after the initial load: 2,950 s wall (the initial full pulls
407 s; the days 2,333 s, 2,314 of them waiting for the replicas' jobs, 19 in this harness),
1,292 s CPU in the process, PostgreSQL's backends >= 184 s. Bank files booked within target
334 of 334 (median 32 min, max 60 min); UI invoices mirrored by the end of the next bank day
1,000 of 1,000 (median 9.5 h, max 37.6 h); starved companies 0 (worst-served: 0.998 x its
match interval + tick); failed runs 0 of 242,753. Statements per run median 2, max 263 (bound
300; an inbox run importing a file); per cycle median 152, max 428; per company per day 626
(three replicas). Scheduler memory 7.3 KiB per company per replica; PostgreSQL 107 KiB per
company; Bokio requests 4.5 per company per day. docs/scaling.md has the table and projection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import heapq
import itertools
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import SecretStr
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from syncd import migrate
from syncd.app import App
from syncd.clock import STOCKHOLM, business_date
from syncd.daemon.service import Daemon
from syncd.demo.payments import BankDay, Payment, Scenario
from syncd.demo.world import open_invoices
from syncd.demo.writers import Creditor, camt054
from syncd.logging import configure_logging
from syncd.mirror.tables import Company, Invoice
from syncd.pull.schedule import is_bank_day
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.seed import Mix, create_published_invoice, seed_demo
from syncd.settings import (
    BokioSettings,
    CompanySettings,
    DaemonSettings,
    IngestSettings,
    Settings,
)
from tests.bench.summary import Figure, emit

REPLICAS = 3


def _day_start() -> dt.datetime:
    """Midnight in Stockholm at least two days ahead of the wall clock, on a Monday to Thursday.

    Ahead: rows stamped by the database's own defaults (an outbox command's next_attempt_at) must
    not lie in the simulated days' future. Monday to Thursday: the day after is a bank day too,
    so the freshness target (the end of the next bank day) falls inside the simulated two days.
    """
    day = dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=2)
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), tzinfo=STOCKHOLM).astimezone(dt.UTC)


DAY_START = _day_start()
DAYS = 2
"""The event day and the bank day after it, by whose end a person's change must be mirrored."""
TICK_S = 60
DB_NAME = os.environ.get("SYNCD_BENCH_DB", "bench_fleet")
QUICK_COMPANIES = 30
STATEMENT_BOUND = 300
"""Statements one job run may send: the largest is an inbox run importing a camt.054 (~260 at
three payments), then a push of a few commands (~160); none reads more for more companies."""
IBAN = "SE4550000000058398257466"
EMPTY_SIZE = [0]
WALL = [0.0]


# ----- the world --------------------------------------------------------------------------------
@dataclass
class Delivery:
    company: str
    at: dt.datetime
    numbers: list[str]
    done_at: dt.datetime | None = None


@dataclass
class World:
    sandbox: Sandbox
    clock: ManualClock
    companies: list[CompanySettings]
    root: Path
    deliveries: list[Delivery] = field(default_factory=list)
    ui_invoices: dict[str, tuple[dt.datetime, str]] = field(default_factory=dict)


def build_world(n: int, root: Path) -> World:
    clock = ManualClock(DAY_START - dt.timedelta(hours=1))
    sandbox = Sandbox(seed=16, clock=clock, limits=Limits(rate_limit=None), sleep=lambda _s: None)
    rng = random.Random(16)
    companies = []
    for index in range(n):
        company_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        token = f"bench-token-{index}"
        seed_demo(
            sandbox,
            company_id=company_id,
            token=token,
            customers=4,
            invoices=12,
            seed=1000 + index,
            mix=Mix(draft=0, paid=0.3, partial=0.1, credited=0.05, eur=0.1),
        )
        inbox = root / "inbox" / company_id
        inbox.mkdir(parents=True)
        companies.append(
            CompanySettings.model_validate(
                {
                    "id": company_id,
                    "name": f"Bolag {index} AB",
                    "token": SecretStr(token),
                    "bank_inbox": inbox,
                }
            )
        )
    return World(sandbox, clock, companies, root)


def settings(url: str, companies: list[CompanySettings], scale: int) -> Settings:
    base = DaemonSettings()
    return Settings(
        database_url=SecretStr(url),
        state_dir=Path(tempfile.mkdtemp()),
        bokio=BokioSettings(base_url="http://sandbox.test/v1", rate_limit_per_minute=1_000_000),
        ingest=IngestSettings(quiet_period_s=5),
        daemon=DaemonSettings(
            inbox_interval_s=base.inbox_interval_s * scale,
            push_interval_s=base.push_interval_s * scale,
            match_interval_s=base.match_interval_s * scale,
            workers=base.workers,
        ),
        companies=tuple(companies),
    )


def plan_day(world: World, rng: random.Random) -> list[tuple[dt.datetime, str, str]]:
    """(when, kind, company): bank files for a third of the companies, one UI invoice for each."""
    events = []
    for index, company in enumerate(world.companies):
        cid = str(company.id)
        if index % 3 == 0:
            events.append((DAY_START + dt.timedelta(hours=7, minutes=rng.randrange(600)), "bank", cid))
        events.append((DAY_START + dt.timedelta(hours=8, minutes=rng.randrange(540)), "invoice", cid))
    return sorted(events)


def deliver_bank_file(world: World, cid: str, now: dt.datetime) -> None:
    chosen = [f for f in open_invoices(world.sandbox, cid) if f.currency == "SEK"][:3]
    if not chosen:
        return
    payments = tuple(
        Payment(Scenario.EXACT_OCR, f.outstanding, f.customer.upper(), (f.number,), reference=f.ocr)
        for f in chosen
    )
    creditor = Creditor(name="Bolag AB", bankgiro="5050-1055", iban=IBAN)
    day = now.astimezone(STOCKHOLM).date()
    inbox = world.root / "inbox" / cid
    target = inbox / f"camt054-{day.isoformat()}.xml"
    target.write_bytes(camt054(BankDay(day, payments, "", ()), creditor))
    stamp = now.timestamp()
    os.utime(target, (stamp, stamp))
    world.deliveries.append(Delivery(cid, now, [f.number for f in chosen]))


def create_ui_invoice(world: World, cid: str, now: dt.datetime) -> None:
    with world.sandbox.lock:
        books = world.sandbox.books(cid)
        customer = next(iter(books.company.customers))
        line = {
            "itemType": "salesItem",
            "description": "Konsulttimmar",
            "productType": "services",
            "unitType": "hour",
            "quantity": Decimal(3),
            "unitPrice": Decimal(1150),
            "taxRate": Decimal(25),
        }
        invoice = create_published_invoice(books, customer, [line], now.date().isoformat())
    world.ui_invoices[cid] = (now, str(invoice["id"]))


def booked(world: World, delivery: Delivery) -> bool:
    with world.sandbox.lock:
        company = world.sandbox.companies[delivery.company]
        by_number = {inv.get("invoiceNumber"): inv_id for inv_id, inv in company.invoices.items()}
        return all(
            any(p.get("journalEntryRef") for p in company.payments.get(by_number[number], {}).values())
            for number in delivery.numbers
        )


# ----- measuring --------------------------------------------------------------------------------
class Meter:
    """Who is running what on this thread, and how many statements each job run sent."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()
        self.runs: list[tuple[str, str, int, str, float]] = []  # (job, company, statements, outcome, cpu s)
        self.checkouts: list[int] = []  # pool checkouts per job run: each one is a pre-ping round trip
        self.connects = 0  # new PostgreSQL connections (backends started) during the measured days
        self.day_statements: Counter[str] = Counter()
        self.completed: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
        self.skips: Counter[str] = Counter()
        self.failures: list[str] = []

    def on_statement(self, *_args: Any) -> None:
        current = getattr(self.local, "counter", None)
        if current is not None:
            current[0] += 1

    def on_checkout(self, *_args: Any) -> None:
        current = getattr(self.local, "checkouts", None)
        if current is not None:
            current[0] += 1

    def on_connect(self, *_args: Any) -> None:
        with self.lock:
            self.connects += 1

    def job(self, name: str, company: str, fn: Any, *args: Any) -> None:
        counter, checkouts = [0], [0]
        self.local.counter, self.local.checkouts, self.local.outcome = counter, checkouts, "idle"
        cpu = time.thread_time()
        try:
            fn(*args)
        except Exception as exc:  # a job must never raise out of the scheduler; count it if it does
            with self.lock:
                self.failures.append(f"{name} {company}: {type(exc).__name__}: {exc}")
        finally:
            self.local.counter = self.local.checkouts = None
            cpu = time.thread_time() - cpu
        with self.lock:
            self.runs.append((name, company, counter[0], self.local.outcome, cpu))
            self.checkouts.append(checkouts[0])
            self.day_statements[company] += counter[0]

    def stage(self, result: Any, now: dt.datetime) -> None:
        """A stage ran (``worked``) or lost its lock (``locked``); a job with neither is ``idle``."""
        if result.skipped and "another syncd process" in result.skipped:
            with self.lock:
                self.skips[result.stage] += 1
            if self.local.outcome == "idle":
                self.local.outcome = "locked"
            return
        self.local.outcome = "worked"
        if not result.ok:
            with self.lock:
                self.failures.append(f"{result.stage} {result.company}: {result.error}")
        if result.complete:
            with self.lock:
                self.completed[(result.company, result.stage)].append(now)

    def reset(self) -> None:
        self.runs.clear()
        self.checkouts.clear()
        self.connects = 0
        self.day_statements.clear()
        self.completed.clear()
        self.skips.clear()


class Replica:
    """One ``syncd run`` process: its own App, engine, pool, Daemon, jobs and worker threads."""

    def __init__(self, n: int, cfg: Settings, world: World, meter: Meter, pull_scale: int) -> None:
        self.n = n
        self.app = App(cfg, transport=SandboxTransport(world.sandbox), clock=world.clock)
        event.listen(self.app.engine, "before_cursor_execute", meter.on_statement)
        event.listen(self.app.engine, "checkout", meter.on_checkout)
        event.listen(self.app.engine, "connect", meter.on_connect)
        self.daemon = Daemon(self.app, serve_ops=False)
        if pull_scale != 1:
            planned = self.daemon._pull_interval

            def stretched(company: CompanySettings, view: Any = None) -> int:
                return planned(company, view) * pull_scale

            self.daemon._pull_interval = stretched  # type: ignore[method-assign]
        observe = self.daemon._observe

        def observed(result: Any) -> None:
            meter.stage(result, world.clock())
            observe(result)

        self.daemon._observe = observed  # type: ignore[method-assign]
        self.meter = meter
        self.pool = ThreadPoolExecutor(cfg.daemon.workers, thread_name_prefix=f"replica{n}")
        self.jobs: dict[str, Any] = {}
        self.due: list[tuple[dt.datetime, str]] = []  # a heap of (next run, job id)

    def build(self, sim_start: dt.datetime) -> None:
        """The jobs ``schedule()`` added, and their first runs moved onto the simulated clock.

        The scheduler is never started, so its jobs stay pending and ``get_job`` scans them all:
        the harness keeps the Job objects (``reschedule_job`` changes them in place) and a heap.
        """
        real_start = dt.datetime.now(dt.UTC)
        self.daemon.schedule()
        for job in self.daemon.scheduler.get_jobs():
            self.jobs[job.id] = job
            first = getattr(job, "next_run_time", None)
            if first is not None:
                at = sim_start + dt.timedelta(seconds=round((first - real_start).total_seconds()))
            else:
                at = self._after(job.id, sim_start)
            heapq.heappush(self.due, (at, job.id))

    def _after(self, job_id: str, when: dt.datetime) -> dt.datetime:
        trigger = self.jobs[job_id].trigger
        if isinstance(trigger, IntervalTrigger):
            interval: dt.timedelta = trigger.interval
            return when + interval
        assert isinstance(trigger, CronTrigger)
        fire: dt.datetime = trigger.get_next_fire_time(None, when + dt.timedelta(seconds=1))
        return fire.astimezone(dt.UTC)

    def fire(self, now: dt.datetime) -> list[tuple[Any, str]]:
        """Submit every job due by ``now``; (future, job id) each."""
        started = []
        while self.due and self.due[0][0] <= now:
            _at, job_id = heapq.heappop(self.due)
            job = self.jobs[job_id]
            name, _, company = job_id.partition(":")
            started.append((self.pool.submit(self.meter.job, name, company, job.func, *job.args), job_id))
        return started

    def rearm(self, job_id: str, now: dt.datetime) -> None:
        """Coalesced like APScheduler's: the next run counts from now, not from the missed time."""
        heapq.heappush(self.due, (self._after(job_id, now), job_id))


def scheduler_memory(cfg: Settings, world: World) -> tuple[float, float]:
    """Bytes per company of the scheduled jobs: marginal (the second half of the companies) and average.

    tracemalloc over one Daemon that schedules the first half of the companies, then the second
    half: the first half also pays the one-off costs (SQLAlchemy's compiled statements, the
    planner's and the audit's first look-ups), the second half only what each company adds.
    """
    n = len(cfg.companies)
    app = App(cfg, transport=SandboxTransport(world.sandbox), clock=world.clock)
    try:
        tracemalloc.start()
        daemon = Daemon(app, serve_ops=False)
        sizes = []
        for part in (cfg.companies[: n // 2], cfg.companies[n // 2 :]):
            daemon.settings = cfg.model_copy(update={"companies": part})
            daemon.schedule()
            gc.collect()
            sizes.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
    finally:
        app.close()
    return (sizes[1] - sizes[0]) / max(1, n - n // 2), sizes[1] / n


def fresh_database(admin: str) -> str:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DB_NAME}"))
    engine.dispose()
    url = make_url(admin).set(database=DB_NAME).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url


class PostgresCpu:
    """CPU seconds of the benchmark database's backends, read from /proc (a local PostgreSQL only).

    Sampled every simulated hour and at the end; a backend that came and went between two
    samples (an overflow connection) is missed, so the figure is a lower bound.
    """

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.seen: dict[int, float] = {}
        self.tick = os.sysconf("SC_CLK_TCK")
        self.available = Path("/proc/self/stat").exists()

    def sample(self) -> None:
        if not self.available:
            return
        with self.engine.connect() as conn:
            pids = conn.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": DB_NAME},
            ).all()
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                self.available = False  # PostgreSQL runs elsewhere: no figure rather than a wrong one
                return
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / self.tick

    def seconds(self) -> float | None:
        return sum(self.seen.values()) if self.available else None

    def close(self) -> None:
        self.engine.dispose()


# ----- the days ---------------------------------------------------------------------------------
@dataclass
class Timing:
    """Where the wall time of the simulation went: waiting for the replicas' jobs, or the harness."""

    jobs_s: float = 0.0
    harness_s: float = 0.0
    busiest_tick_s: float = 0.0
    by_hour: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Wall seconds waiting for jobs, per simulated hour."""

    def slowest_hours(self, k: int = 4) -> str:
        slowest = sorted(self.by_hour.items(), key=lambda item: -item[1])[:k]
        return ", ".join(f"{hour} {seconds:.0f} s" for hour, seconds in slowest)


def simulate(
    world: World,
    replicas: list[Replica],
    cfg: Settings,
    events: list[Any],
    end: dt.datetime,
    mirror: Mirror | None = None,
    postgres: PostgresCpu | None = None,
) -> Timing:
    """Tick the clock to ``end``, firing each replica's due jobs and checking freshness."""
    bank_target = dt.timedelta(seconds=cfg.daemon.inbox_interval_s + cfg.daemon.push_interval_s + 2 * TICK_S)
    pending: list[Delivery] = []
    timing = Timing()
    now = world.clock()
    while now <= end:
        harness = time.perf_counter()
        while events and events[0][0] <= now:
            _when, kind, cid = events.pop(0)
            if kind == "bank":
                deliver_bank_file(world, cid, now)
                pending.append(world.deliveries[-1])
            else:
                create_ui_invoice(world, cid, now)
        started = time.perf_counter()
        fired = [(replica, future, job_id) for replica in replicas for future, job_id in replica.fire(now)]
        wait([future for _replica, future, _job_id in fired])
        finished = time.perf_counter()
        timing.jobs_s += finished - started
        timing.by_hour[f"{now.astimezone(STOCKHOLM):%a %H}h"] += finished - started
        timing.busiest_tick_s = max(timing.busiest_tick_s, finished - started)
        for replica, _future, job_id in fired:
            replica.rearm(job_id, now)
        for delivery in list(pending):
            if booked(world, delivery):
                delivery.done_at = now
                pending.remove(delivery)
            elif now - delivery.at > 3 * bank_target:
                pending.remove(delivery)  # late: reported as not booked
        if now.minute == 0:
            if mirror is not None:
                mirror.check(world, now)
            if postgres is not None:
                postgres.sample()
        now = world.clock.advance(TICK_S)
        timing.harness_s += (time.perf_counter() - harness) - (finished - started)
        if now.minute == 0 and now.hour % 3 == 0:
            print(
                f"  {now.astimezone(STOCKHOLM):%a %H:%M} job runs so far: {len(replicas[0].meter.runs)}, "
                f"{time.perf_counter() - WALL[0]:.0f} s",
                flush=True,
            )
    return timing


class Mirror:
    """When each invoice created in Bokio's UI first showed up in the mirror (checked hourly)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.seen: dict[str, dt.datetime] = {}

    def check(self, world: World, now: dt.datetime) -> None:
        waiting = {bokio_id for cid, (_at, bokio_id) in world.ui_invoices.items() if cid not in self.seen}
        if not waiting:
            return
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Company.bokio_company_id, Invoice.bokio_id)
                .join(Company, Company.id == Invoice.company_id)
                .where(Invoice.bokio_id.in_(waiting))
            )
            for company, _bokio_id in rows:
                self.seen.setdefault(str(company), now)

    def close(self) -> None:
        self.engine.dispose()


def mirror_deadline(created: dt.datetime) -> dt.datetime:
    """The end of the next bank day after the change (``[budget] freshness_bank_days`` = 1)."""
    day = business_date(created) + dt.timedelta(days=1)
    while not is_bank_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=STOCKHOLM).astimezone(dt.UTC)


def database_size(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.pg_database_size(DB_NAME))) or 0)
    finally:
        engine.dispose()


@dataclass
class Figures:
    """What the summary line states."""

    rows: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: float | None, unit: str, target: str | None = None) -> None:
        if value is not None:
            self.rows.append(
                Figure(name, round(value, 3) if isinstance(value, float) else value, unit, target)
            )


def report_freshness(world: World, cfg: Settings, mirror: Mirror, figures: Figures) -> None:
    daemon = cfg.daemon
    bank_target = daemon.inbox_interval_s + daemon.push_interval_s + 2 * TICK_S
    print("\n== freshness")
    lags = [(d.done_at - d.at).total_seconds() for d in world.deliveries if d.done_at is not None]
    late = [
        d for d in world.deliveries if d.done_at is None or (d.done_at - d.at).total_seconds() > bank_target
    ]
    print(
        f"bank files: {len(world.deliveries)}, booked in Bokio within target ({bank_target} s): "
        f"{len(world.deliveries) - len(late)}, late or never: {len(late)}"
    )
    if lags:
        print(f"  arrival → booked in Bokio: median {statistics.median(lags):.0f} s, max {max(lags):.0f} s")
    figures.add("bank files booked late or never", len(late), "files", "<= 0")
    ui_lags, ui_late, spare = [], 0, []
    for cid, (created, _bokio_id) in world.ui_invoices.items():
        seen, deadline = mirror.seen.get(cid), mirror_deadline(created)
        if seen is None or seen > deadline:
            ui_late += 1
            continue
        ui_lags.append((seen - created).total_seconds() / 3600)
        spare.append((deadline - seen).total_seconds() / 3600)
    print(
        f"invoices created in Bokio's UI: {len(world.ui_invoices)}, in the mirror by the end of the next "
        f"bank day: {len(ui_lags)}, late or never: {ui_late}"
    )
    if ui_lags:
        print(
            f"  created → in the mirror (hourly checks): median {statistics.median(ui_lags):.1f} h, "
            f"max {max(ui_lags):.1f} h; the least time to spare before the deadline {min(spare):.1f} h"
        )
    figures.add("UI invoices mirrored late or never", ui_late, "invoices", "<= 0")


def report_starvation(world: World, meter: Meter, cfg: Settings, n: int, figures: Figures) -> None:
    daemon = cfg.daemon
    print("\n== starvation (the longest gap between completed runs of a stage, any replica)")
    intervals = {
        "import": daemon.inbox_interval_s,
        "push": daemon.push_interval_s,
        "match": daemon.match_interval_s,
    }
    worst: tuple[float, str, str] = (0.0, "", "")
    starved = 0
    horizon = (DAY_START, DAY_START + dt.timedelta(days=DAYS))
    for company in world.companies:
        cid = str(company.id)
        company_worst = 0.0
        for stage, every in intervals.items():
            times = [horizon[0], *sorted(meter.completed.get((cid, stage), [])), horizon[1]]
            gap = max((b - a).total_seconds() for a, b in itertools.pairwise(times))
            ratio = gap / (every + TICK_S)
            company_worst = max(company_worst, ratio)
            if ratio > worst[0]:
                worst = (ratio, cid, stage)
        starved += company_worst > 1.0
    print(f"companies with a stage gap over its interval + 1 tick: {starved} of {n}")
    print(f"worst-served: {worst[1]} {worst[2]}, gap = {worst[0]:.2f} x (interval + tick)")
    figures.add("starved companies", starved, "companies", "<= 0")
    figures.add("worst-served company's longest gap", worst[0], "x (interval + tick)", "<= 1")


def report_statements(meter: Meter, n: int, figures: Figures) -> None:
    print("\n== database statements per job run (before_cursor_execute; pool pings not included)")
    by: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    cpu: dict[str, list[float]] = defaultdict(list)
    for name, _company, statements, outcome, seconds in meter.runs:
        by[outcome][name].append(statements)
        cpu[name if outcome == "worked" else outcome].append(seconds)
    for name in sorted({name for outcome in by.values() for name in outcome}):
        line = f"  {name:6}"
        for outcome in ("worked", "locked", "idle"):
            counts = by[outcome].get(name, [])
            if counts:
                line += f" | {outcome} {len(counts):7}: median {statistics.median(counts):3.0f} max {max(counts):4}"
        if cpu.get(name):
            line += f", CPU median {statistics.median(cpu[name]) * 1000:5.1f} ms"
        print(line)
    for outcome in ("locked", "idle"):
        if cpu.get(outcome):
            print(f"  a {outcome} run: CPU median {statistics.median(cpu[outcome]) * 1000:.1f} ms")
    print("  (locked: its stage lost the lock to another replica; idle: the pull was not due, the audit")
    print("   locked or done lately)")
    everything = [statements for name, _c, statements, _o, _s in meter.runs]
    worked = by["worked"]
    cycle = {k: statistics.median(worked[k]) for k in ("inbox", "pull", "match", "push") if worked.get(k)}
    cycle_max = {k: max(worked[k]) for k in cycle}
    print(
        f"  one cycle (inbox+pull+match+push, the runs that worked): median {sum(cycle.values()):.0f}, "
        f"max {sum(cycle_max.values())}"
    )
    per_day = sorted(meter.day_statements.values())
    total = sum(per_day)
    print(
        f"  per company per day, all replicas: median {statistics.median(per_day) / DAYS:.0f}, "
        f"max {per_day[-1] / DAYS:.0f}, total {total:,} over {DAYS} days ({total / 86400 / DAYS:.1f}/s)"
    )
    total_cpu = sum(run[4] for run in meter.runs)
    print(
        f"  job CPU in the replicas: {total_cpu:.0f} s, {total_cpu / n / DAYS * 1000:.0f} ms per company per day"
    )
    print(f"  lock skips: {dict(meter.skips)}")
    print(
        f"  pool checkouts per job run (each a pre-ping round trip, not counted above): median "
        f"{statistics.median(meter.checkouts):.0f}, max {max(meter.checkouts)}; new PostgreSQL connections "
        f"(pool overflow opened and closed again): {meter.connects:,}, one per {len(meter.runs) / max(1, meter.connects):.0f} runs"
    )
    fired = Counter(name for name, *_rest in meter.runs)
    share = {name: f"{len(worked.get(name, [])) / (fired[name] / REPLICAS):.2f}" for name in sorted(fired)}
    print(f"  runs that did the work, per scheduled occurrence (of {REPLICAS} replicas firing): {share}")
    print(f"  failures: {len(meter.failures)}" + (f" first: {meter.failures[:3]}" if meter.failures else ""))
    figures.add("statements per job run, median", statistics.median(everything), "statements")
    figures.add("statements per job run, max", max(everything), "statements", f"<= {STATEMENT_BOUND}")
    figures.add("statements per cycle that worked, median", sum(cycle.values()), "statements")
    figures.add("statements per company per day, median", statistics.median(per_day) / DAYS, "statements")
    figures.add("job CPU per company per day", total_cpu / n / DAYS * 1000, "ms")
    figures.add("pool checkouts per job run, median", statistics.median(meter.checkouts), "checkouts")
    figures.add("failed job runs", len(meter.failures), "runs", "<= 0")


def report(
    world: World, meter: Meter, cfg: Settings, url: str, n: int, mirror: Mirror, figures: Figures
) -> None:
    report_freshness(world, cfg, mirror, figures)
    report_starvation(world, meter, cfg, n, figures)
    report_statements(meter, n, figures)
    print("\n== Bokio requests per company per day (the sandbox's counters)")
    requests = [
        world.sandbox.counters[str(c.id)].requests if str(c.id) in world.sandbox.counters else 0
        for c in world.companies
    ]
    print(
        f"  median {statistics.median(requests) / DAYS:.1f}, max {max(requests) / DAYS:.1f}, "
        f"total {sum(requests):,} over {DAYS} days"
    )
    figures.add("Bokio requests per company per day, median", statistics.median(requests) / DAYS, "requests")
    size = database_size(url)
    grown = size - EMPTY_SIZE[0]
    print(
        f"\n== PostgreSQL after the days: {size / 2**20:.1f} MiB, {grown / 2**20:.1f} MiB over the empty schema "
        f"({grown / n / 1024:.0f} KiB per company)"
    )
    figures.add("PostgreSQL growth per company", grown / n / 1024, "KiB")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "companies",
        nargs="?",
        type=int,
        default=int(os.environ.get("SYNCD_BENCH_COMPANIES", "1000")),
        help="sandbox companies (default 1,000 or SYNCD_BENCH_COMPANIES)",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COMPANIES} companies, for `make bench`")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    n = QUICK_COMPANIES if args.quick else args.companies
    scale = int(os.environ.get("SYNCD_BENCH_SCALE", "120"))
    pull_scale = int(os.environ.get("SYNCD_BENCH_PULL_SCALE", "1"))
    admin = os.environ.get(
        "SYNCD_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    configure_logging(level="ERROR", fmt="console", secrets=[])
    wall, cpu = time.perf_counter(), time.process_time()
    WALL[0] = wall
    root = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    world = build_world(n, root)
    seeded = time.perf_counter() - wall
    url = fresh_database(admin)
    EMPTY_SIZE[0] = database_size(url)
    cfg = settings(url, world.companies, scale)
    print(
        f"{n} companies, {REPLICAS} replicas, {DAYS} days from {DAY_START.astimezone(STOCKHOLM):%a %Y-%m-%d}, "
        f"scale {scale} (pulls {pull_scale}): inbox {cfg.daemon.inbox_interval_s} s, "
        f"push {cfg.daemon.push_interval_s} s, match {cfg.daemon.match_interval_s} s, tick {TICK_S} s; "
        f"sandbox seeded in {seeded:.1f} s, database in {time.perf_counter() - wall - seeded:.1f} s"
    )

    marginal, average = scheduler_memory(cfg, world)
    meter = Meter()
    replicas = [Replica(i, cfg, world, meter, pull_scale) for i in range(REPLICAS)]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    building = time.perf_counter()
    for replica in replicas:
        replica.build(world.clock())
    built = time.perf_counter() - building
    jobs = len(replicas[0].jobs)
    print(
        f"scheduler: {jobs} jobs per replica ({jobs / n:.0f} per company), "
        f"Daemon + schedule() {marginal / 1024:.1f} KiB per additional company ({average / 1024:.1f} KiB "
        f"on average, one-off caches included; tracemalloc); max RSS {rss_before / 1024:.0f} MiB; "
        f"{REPLICAS} x schedule() took {built:.0f} s"
    )
    figures = Figures()
    figures.add("companies", n, "companies")
    figures.add("scheduler memory per company per replica", marginal / 1024, "KiB")

    # the first hour is each company's initial load (its first full pull): not part of the days
    postgres = PostgresCpu(url)
    warm, warm_cpu = time.perf_counter(), time.process_time()
    first = simulate(world, replicas, cfg, [], DAY_START - dt.timedelta(seconds=1), postgres=postgres)
    postgres.sample()
    warm_pg = postgres.seconds()
    for counters in world.sandbox.counters.values():
        counters.requests = 0
    meter.reset()
    print(
        f"first hour (initial full pulls): {time.perf_counter() - warm:.0f} s wall, "
        f"{time.process_time() - warm_cpu:.0f} s CPU here (syncd and the in-process sandbox), "
        f"PostgreSQL {fmt_seconds(warm_pg)} CPU; waiting for jobs {first.jobs_s:.0f} s, harness {first.harness_s:.0f} s"
    )
    mirror = Mirror(url)
    day, day_cpu = time.perf_counter(), time.process_time()
    events = plan_day(world, random.Random(7))
    timing = simulate(
        world,
        replicas,
        cfg,
        events,
        DAY_START + dt.timedelta(days=DAYS) - dt.timedelta(seconds=1),
        mirror=mirror,
        postgres=postgres,
    )
    mirror.check(world, world.clock())
    postgres.sample()
    pg_days = (postgres.seconds() or 0.0) - (warm_pg or 0.0) if warm_pg is not None else None
    day_wall, day_cpu = time.perf_counter() - day, time.process_time() - day_cpu
    report(world, meter, cfg, url, n, mirror, figures)
    print(
        f"\n== the {DAYS} simulated days: {day_wall:.0f} s wall (waiting for jobs {timing.jobs_s:.0f} s, "
        f"harness {timing.harness_s:.0f} s), {day_cpu:.0f} s CPU here, PostgreSQL {fmt_seconds(pg_days)} CPU "
        f"(its backends, a lower bound); busiest tick {timing.busiest_tick_s:.1f} s wall for {TICK_S} s simulated"
    )
    print(f"  the slowest simulated hours (wall waiting for jobs): {timing.slowest_hours()}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"total: {total_wall:.0f} s wall, {total_cpu:.0f} s CPU (this process; PostgreSQL's own CPU not "
        f"included), max RSS {usage.ru_maxrss / 1024:.0f} MiB"
    )
    figures.add("wall time", total_wall, "s")
    figures.add("CPU time, this process", total_cpu, "s")
    figures.add("PostgreSQL CPU over the simulated days", pg_days, "s")
    for replica in replicas:
        replica.pool.shutdown()
        replica.app.close()
    mirror.close()
    postgres.close()
    emit("bench_many_companies", figures.rows)


def fmt_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} s"


if __name__ == "__main__":
    main()
