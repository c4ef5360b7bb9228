"""Many companies per deployment: N sandbox companies, one PostgreSQL, 3 ``syncd run`` replicas, one day.

Run on demand: ``nice python -m tests.bench.bench_many_companies [N]`` (or ``SYNCD_BENCH_COMPANIES=N``;
default 1,000; ``SYNCD_BENCH_DATABASE_URL`` is the admin URL, default the local ``postgres``). Not a
pytest test. The database ``bench_fleet`` is dropped and recreated each run.

Each replica is a real :class:`syncd.daemon.service.Daemon` (its own App, engine and connection pool)
whose ``schedule()`` builds the per-company APScheduler jobs. The scheduler is not started: this
script fires the jobs' own functions at their triggers' times on the sandbox's manual clock, tick
by tick, each replica on its own thread pool of ``[daemon] workers`` threads, so the three
replicas really contend for the (company, stage) advisory locks at every tick, as they do when
they all schedule every company at the same instants.

The simulated day stretches the production job intervals by ``SYNCD_BENCH_SCALE`` (default 120:
inbox every hour, push every 2 h, match every 10 h) and the budget planner's pull interval by
``SYNCD_BENCH_PULL_SCALE`` (default 12: about every 3 h); the nightly sweep stays at 02:30. At
production intervals (scale 1) each replica runs ~4,700 jobs per company per day, which this
machine cannot simulate for 1,000 companies; the per-run figures printed here (statements, CPU,
Bokio requests) are what docs/scaling.md multiplies by the production run counts.

A third of the companies get a bank file (camt.054 paying up to three open invoices by OCR) at
a random minute between 07:00 and 17:00 Stockholm; every company gets one invoice created in
Bokio's UI at a random minute of the business day. Freshness targets:

* bank money is booked in Bokio within ``inbox + push interval + 2 ticks`` of the file's arrival;
* an invoice created in Bokio is in the mirror by the end of the day (one bank day);
* every stage of every company (inbox, push, match) ran to completion on *some* replica at
  least once per ``interval + 1 tick`` (no company starved by the others or by lock skips).

Figures: freshness per company, the worst-served company, database statements per job run
(``before_cursor_execute``) and per company per day, scheduler memory per company (tracemalloc
of ``Daemon.schedule()``), Bokio requests per company per day (the sandbox's own counters),
wall and CPU time. On the loaded 2-core development machine N=200 takes 12 minutes and the
default N=1,000 an estimated 60-90 minutes (13 of them the initial full pulls).
"""

from __future__ import annotations

import datetime as dt
import gc
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
from syncd.clock import STOCKHOLM
from syncd.daemon.service import Daemon
from syncd.demo.payments import BankDay, Payment, Scenario
from syncd.demo.world import open_invoices
from syncd.demo.writers import Creditor, camt054
from syncd.logging import configure_logging
from syncd.mirror.tables import Company, Invoice
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.seed import Mix, create_published_invoice, seed_demo
from syncd.settings import (
    BokioSettings,
    CompanySettings,
    DaemonSettings,
    IngestSettings,
    Settings,
)

REPLICAS = 3
# Midnight in Stockholm two days ahead of the wall clock: rows stamped by the database's own
# defaults (an outbox command's next_attempt_at) must not lie in the simulated day's future.
DAY_START = dt.datetime.combine(
    dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=2), dt.time(0), tzinfo=STOCKHOLM
).astimezone(dt.UTC)
TICK_S = 60
DB_NAME = os.environ.get("SYNCD_BENCH_DB", "bench_fleet")
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
        self.runs: list[tuple[str, str, int, bool, float]] = []  # (job, company, statements, worked, cpu s)
        self.day_statements: Counter[str] = Counter()
        self.completed: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
        self.skips: Counter[str] = Counter()
        self.failures: list[str] = []

    def on_statement(self, *_args: Any) -> None:
        current = getattr(self.local, "counter", None)
        if current is not None:
            current[0] += 1

    def job(self, name: str, company: str, fn: Any, *args: Any) -> None:
        counter = [0]
        self.local.counter, self.local.worked = counter, False
        cpu = time.thread_time()
        try:
            fn(*args)
        except Exception as exc:  # a job must never raise out of the scheduler; count it if it does
            with self.lock:
                self.failures.append(f"{name} {company}: {type(exc).__name__}: {exc}")
        finally:
            self.local.counter = None
            cpu = time.thread_time() - cpu
        with self.lock:
            self.runs.append((name, company, counter[0], self.local.worked, cpu))
            self.day_statements[company] += counter[0]

    def stage(self, result: Any, now: dt.datetime) -> None:
        if result.skipped and "another syncd process" in result.skipped:
            with self.lock:
                self.skips[result.stage] += 1
            return
        self.local.worked = True
        if not result.ok:
            with self.lock:
                self.failures.append(f"{result.stage} {result.company}: {result.error}")
        if result.complete:
            with self.lock:
                self.completed[(result.company, result.stage)].append(now)


class Replica:
    """One ``syncd run`` process: its own App, engine, pool, Daemon, jobs and worker threads."""

    def __init__(self, n: int, cfg: Settings, world: World, meter: Meter, pull_scale: int) -> None:
        self.n = n
        self.app = App(cfg, transport=SandboxTransport(world.sandbox), clock=world.clock)
        event.listen(self.app.engine, "before_cursor_execute", meter.on_statement)
        self.daemon = Daemon(self.app, serve_ops=False)
        planned = self.daemon._pull_interval  # the budget planner's interval, stretched like the others

        def stretched(company: CompanySettings) -> int:
            return planned(company) * pull_scale

        self.daemon._pull_interval = stretched  # type: ignore[method-assign]
        observe = self.daemon._observe

        def observed(result: Any) -> None:
            meter.stage(result, world.clock())
            observe(result)

        self.daemon._observe = observed  # type: ignore[method-assign]
        self.meter = meter
        self.pool = ThreadPoolExecutor(cfg.daemon.workers, thread_name_prefix=f"replica{n}")
        self.due: list[tuple[dt.datetime, str]] = []
        self.next_at: dict[str, dt.datetime] = {}

    def build(self, sim_start: dt.datetime) -> None:
        real_start = dt.datetime.now(dt.UTC)
        self.daemon.schedule()
        for job in self.daemon.scheduler.get_jobs():
            first = getattr(job, "next_run_time", None)
            if first is not None:
                at = sim_start + dt.timedelta(seconds=round((first - real_start).total_seconds()))
            else:
                at = self._after(job.id, sim_start)
            self.next_at[job.id] = at

    def _after(self, job_id: str, when: dt.datetime) -> dt.datetime:
        trigger = self.daemon.scheduler.get_job(job_id).trigger
        if isinstance(trigger, IntervalTrigger):
            interval: dt.timedelta = trigger.interval
            return when + interval
        assert isinstance(trigger, CronTrigger)
        fire: dt.datetime = trigger.get_next_fire_time(None, when + dt.timedelta(seconds=1))
        return fire.astimezone(dt.UTC)

    def fire(self, now: dt.datetime) -> list[Any]:
        futures = []
        for job_id, at in list(self.next_at.items()):
            if at > now:
                continue
            job = self.daemon.scheduler.get_job(job_id)
            name, _, company = job_id.partition(":")

            def run(job: Any = job, job_id: str = job_id, name: str = name, company: str = company) -> None:
                self.meter.job(name, company, job.func, *job.args)
                self.next_at[job_id] = self._after(job_id, now)  # coalesced: from now, not from `at`

            futures.append(self.pool.submit(run))
        return futures


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


# ----- the day ----------------------------------------------------------------------------------
def simulate(
    world: World, replicas: list[Replica], cfg: Settings, events: list[Any], end: dt.datetime
) -> float:
    """Tick the clock to ``end``; returns the busiest tick's wall seconds."""
    bank_target = dt.timedelta(seconds=cfg.daemon.inbox_interval_s + cfg.daemon.push_interval_s + 2 * TICK_S)
    pending: list[Delivery] = []
    busiest = 0.0
    now = world.clock()
    while now <= end:
        while events and events[0][0] <= now:
            _when, kind, cid = events.pop(0)
            if kind == "bank":
                deliver_bank_file(world, cid, now)
                pending.append(world.deliveries[-1])
            else:
                create_ui_invoice(world, cid, now)
        started = time.perf_counter()
        futures = [f for replica in replicas for f in replica.fire(now)]
        wait(futures)
        busiest = max(busiest, time.perf_counter() - started)
        for delivery in list(pending):
            if booked(world, delivery):
                delivery.done_at = now
                pending.remove(delivery)
            elif now - delivery.at > 3 * bank_target:
                pending.remove(delivery)  # late: reported as not booked
        now = world.clock.advance(TICK_S)
        if now.minute == 0 and now.hour % 3 == 0:
            print(
                f"  {now.astimezone(STOCKHOLM):%H:%M} job runs so far: {len(replicas[0].meter.runs)}, "
                f"{time.perf_counter() - WALL[0]:.0f} s",
                flush=True,
            )
    return busiest


def mirrored(url: str, world: World) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = {bokio_id for _cid, bokio_id in world.ui_invoices.values()}
            rows = conn.execute(
                select(Company.bokio_company_id, Invoice.bokio_id)
                .join(Company, Company.id == Invoice.company_id)
                .where(Invoice.bokio_id.in_(ids))
            )
            return {str(company) for company, _bokio_id in rows}
    finally:
        engine.dispose()


def database_size(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.pg_database_size(DB_NAME))) or 0)
    finally:
        engine.dispose()


def report(world: World, meter: Meter, cfg: Settings, url: str, n: int, busiest: float) -> None:
    daemon = cfg.daemon
    bank_target = daemon.inbox_interval_s + daemon.push_interval_s + 2 * TICK_S
    print("\n== freshness")
    lags = [(d.done_at - d.at).total_seconds() for d in world.deliveries if d.done_at is not None]
    late = [
        d for d in world.deliveries if d.done_at is None or (d.done_at - d.at).total_seconds() > bank_target
    ]
    print(
        f"bank files: {len(world.deliveries)}, booked within target ({bank_target} s): "
        f"{len(world.deliveries) - len(late)}, late or never: {len(late)}"
    )
    if lags:
        print(f"  arrival → booked in Bokio: median {statistics.median(lags):.0f} s, max {max(lags):.0f} s")
    in_mirror = mirrored(url, world)
    print(
        f"invoices created in Bokio's UI: {len(world.ui_invoices)}, in the mirror by day's end: "
        f"{len(in_mirror & set(world.ui_invoices))}"
    )

    print("\n== starvation (the longest gap between completed runs of a stage, any replica)")
    intervals = {
        "import": daemon.inbox_interval_s,
        "push": daemon.push_interval_s,
        "match": daemon.match_interval_s,
    }
    worst: tuple[float, str, str] = (0.0, "", "")
    starved = 0
    for company in world.companies:
        cid = str(company.id)
        company_worst = 0.0
        for stage, every in intervals.items():
            times = [
                DAY_START,
                *sorted(meter.completed.get((cid, stage), [])),
                DAY_START + dt.timedelta(days=1),
            ]
            gap = max((b - a).total_seconds() for a, b in itertools.pairwise(times))
            ratio = gap / (every + TICK_S)
            company_worst = max(company_worst, ratio)
            if ratio > worst[0]:
                worst = (ratio, cid, stage)
        starved += company_worst > 1.0
    print(f"companies with a stage gap over its interval + 1 tick: {starved} of {n}")
    print(f"worst-served: {worst[1]} {worst[2]}, gap = {worst[0]:.2f} x (interval + tick)")

    print("\n== database statements")
    by_job: dict[str, list[int]] = defaultdict(list)
    by_job_skip: dict[str, list[int]] = defaultdict(list)
    cpu_ran: dict[str, list[float]] = defaultdict(list)
    cpu_skip: list[float] = []
    for name, _company, statements, worked, cpu in meter.runs:
        (by_job if worked else by_job_skip)[name].append(statements)
        if worked:
            cpu_ran[name].append(cpu)
        else:
            cpu_skip.append(cpu)
    for name in sorted(set(by_job) | set(by_job_skip)):
        ran, skipped = by_job.get(name, []), by_job_skip.get(name, [])
        line = f"  {name:6} ran {len(ran):7}"
        if ran:
            line += f" statements median {statistics.median(ran):4.0f} max {max(ran):4}"
            line += f", CPU median {statistics.median(cpu_ran[name]) * 1000:5.1f} ms"
        line += f" | lock-skipped {len(skipped):7}"
        if skipped:
            line += f" statements median {statistics.median(skipped):3.0f} max {max(skipped):3}"
        print(line)
    if cpu_skip:
        print(f"  a lock-skipped run: CPU median {statistics.median(cpu_skip) * 1000:.1f} ms (this process)")
    total_cpu = sum(run[4] for run in meter.runs)
    print(
        f"  job CPU in the replicas: {total_cpu:.0f} s for the day, {total_cpu / n * 1000:.0f} ms per company per day"
    )
    cycle = {
        name: statistics.median(by_job[name])
        for name in ("inbox", "pull", "match", "push")
        if by_job.get(name)
    }
    cycle_max = {name: max(by_job[name]) for name in cycle}
    print(
        f"  one cycle (inbox+pull+match+push, the runs that worked): median {sum(cycle.values()):.0f}, "
        f"max {sum(cycle_max.values())}"
    )
    per_day = sorted(meter.day_statements.values())
    print(
        f"  per company per day, all replicas: median {statistics.median(per_day):.0f}, max {per_day[-1]}, "
        f"total {sum(per_day):,} ({sum(per_day) / 86400:.1f}/s)"
    )
    print(f"  lock skips: {dict(meter.skips)}")
    fired = Counter(name for name, *_rest in meter.runs)
    ran_share = {
        name: f"{len(by_job.get(name, [])) / (fired[name] / REPLICAS):.2f}" for name in sorted(fired)
    }
    print(f"  runs that did the work, per scheduled occurrence (of {REPLICAS} replicas firing): {ran_share}")
    print(f"  failures: {len(meter.failures)}" + (f" first: {meter.failures[:3]}" if meter.failures else ""))

    print("\n== Bokio requests per company per day (the sandbox's counters)")
    requests = sorted(
        world.sandbox.counters[str(c.id)].requests
        for c in world.companies
        if str(c.id) in world.sandbox.counters
    )
    print(f"  median {statistics.median(requests):.0f}, max {requests[-1]}, total {sum(requests):,}")
    size = database_size(url)
    grown = size - EMPTY_SIZE[0]
    print(
        f"\n== PostgreSQL after the day: {size / 2**20:.1f} MiB, {grown / 2**20:.1f} MiB over the empty schema "
        f"({grown / n / 1024:.0f} KiB per company)"
    )
    print(f"busiest tick: {busiest:.1f} s wall for {TICK_S} s simulated")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("SYNCD_BENCH_COMPANIES", "1000"))
    scale = int(os.environ.get("SYNCD_BENCH_SCALE", "120"))
    pull_scale = int(os.environ.get("SYNCD_BENCH_PULL_SCALE", "12"))
    admin = os.environ.get(
        "SYNCD_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    configure_logging(level="ERROR", fmt="console", secrets=[])
    wall, cpu = time.perf_counter(), time.process_time()
    WALL[0] = wall
    root = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    world = build_world(n, root)
    url = fresh_database(admin)
    EMPTY_SIZE[0] = database_size(url)
    cfg = settings(url, world.companies, scale)
    print(
        f"{n} companies, {REPLICAS} replicas, scale {scale} (pulls {pull_scale}): inbox {cfg.daemon.inbox_interval_s} s, "
        f"push {cfg.daemon.push_interval_s} s, match {cfg.daemon.match_interval_s} s, tick {TICK_S} s; "
        f"seeded in {time.perf_counter() - wall:.0f} s"
    )

    marginal, average = scheduler_memory(cfg, world)
    meter = Meter()
    replicas = [Replica(i, cfg, world, meter, pull_scale) for i in range(REPLICAS)]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for replica in replicas:
        replica.build(world.clock())
    jobs = len(replicas[0].next_at)
    print(
        f"scheduler: {jobs} jobs per replica ({jobs / n:.0f} per company), "
        f"Daemon + schedule() {marginal / 1024:.1f} KiB per additional company ({average / 1024:.1f} KiB "
        f"on average, one-off caches included; tracemalloc); max RSS {rss_before / 1024:.0f} MiB"
    )

    # the first hour is each company's initial load (its first full pull): not part of the day
    warm = time.perf_counter()
    busiest = simulate(world, replicas, cfg, [], DAY_START - dt.timedelta(seconds=1))
    for counters in world.sandbox.counters.values():
        counters.requests = 0
    meter.runs.clear()
    meter.day_statements.clear()
    meter.completed.clear()
    meter.skips.clear()
    print(f"first hour (initial pulls) took {time.perf_counter() - warm:.0f} s wall; the day starts")
    events = plan_day(world, random.Random(7))
    busiest = simulate(
        world, replicas, cfg, events, DAY_START + dt.timedelta(days=1) - dt.timedelta(seconds=1)
    )
    report(world, meter, cfg, url, n, busiest)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"total: {time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s CPU "
        f"(this process; PostgreSQL's own CPU not included), max RSS {usage.ru_maxrss / 1024:.0f} MiB"
    )
    for replica in replicas:
        replica.pool.shutdown()
        replica.app.close()


if __name__ == "__main__":
    main()
