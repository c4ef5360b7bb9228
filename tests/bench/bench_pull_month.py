"""A simulated month of the reference company: every Bokio request the daemon makes, against an
independent minimum.

Run on demand: ``python tests/bench/bench_pull_month.py`` (not a pytest test);
``--missing-bank-files`` drops every fifth bank file so the poll job has work. The sandbox runs on a
manual clock; the daemon's own jobs run against it (in-process transport, SQLite) in time order:
each job's next fire time comes from the trigger :meth:`syncd.daemon.service.Daemon.schedule`
gave it (the poll job re-arms its own), and the clock is set to it before the job function is
called. Bank data arriving is what the inbox job does on new money
(:meth:`~syncd.daemon.cycle.CompanyCycle.after_bank_data`: refresh, match, push).

Reference company: ~250 open invoices, 200 new invoices a month, 22 bank days (every weekday of
March 2026) each with ~9 invoices paid in Bokio (by people or Bokio's bank matching) before the
morning bank file, 10 customer edits, two paid invoices credited, one payment deleted from a paid
invoice and one invoice paid in Bokio's UI on a Saturday.

Counted at the sandbox (every request it served for the company this month), next to syncd's own
request ledger. The minimum is computed from the scenario's event log alone, not from syncd's
pull code: per bank day, learn every change since the previous one by the cheapest reads Bokio
offers (see :func:`minimum_for_day`). Figures and ``OVER TARGET`` go to stdout; the exit code is
0 either way (run on demand, not a test).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select

from syncd import migrate
from syncd.clock import STOCKHOLM
from syncd.daemon.service import Daemon
from syncd.domain import invoice_math as im
from syncd.logging import configure_logging
from syncd.mirror.tables import Customer, RequestLedger
from syncd.sandbox.seed import (
    Mix,
    create_published_invoice,
    credit_fully,
    edit_customer,
    pay_invoice,
    seed_demo,
)
from tests.bench.summary import Figure, emit
from tests.pull.harness import COMPANY, TOKEN, company_settings, make_app, make_sandbox, mirror_invoices

MONTH_START = dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)  # 1 March 00:00 Stockholm
MONTH_END = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # 1 April 00:00 Stockholm (CEST)
PAGE = 100
TARGET = 700
RATIO = 1.2


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=STOCKHOLM).astimezone(dt.UTC)


def pages(count: int) -> int:
    return max(1, -(-count // PAGE))


@dataclass
class Change:
    """One thing that changed in Bokio and that the mirror must learn."""

    at: dt.datetime
    kind: str  # new | paid | credited | reopened | customer
    ref: str
    checked: bool = False


@dataclass
class Month:
    """The scenario's event log (the minimum is computed from it alone)."""

    changes: list[Change] = field(default_factory=list)
    bank_days: list[dt.date] = field(default_factory=list)
    no_bank_file: set[dt.date] = field(default_factory=set)
    """Bank days whose bank file never came: the poll job must read at the day's end instead."""

    def read_at(self, day: dt.date) -> dt.datetime:
        """When the mirror must have learnt the changes so far on this bank day."""
        return local(day, 22, 0) if day in self.no_bank_file else local(day, 8, 5)

    misses: list[str] = field(default_factory=list)


# ----- the independent minimum --------------------------------------------------------------
def cheapest_state_reads(views: dict[str, dict[str, Any]], ids: set[str], new: set[str]) -> int:
    """Fewest requests that return the current state of every invoice in ``ids``.

    Bokio lists invoices by filters on status and ``invoiceDate`` (no change feed, no id list):
    read some by id, the rest with one listing ``status in (their statuses) && invoiceDate >= d``,
    whichever ``d`` is cheapest. New invoices can only be discovered by a listing.
    """
    if not ids:
        return 0
    statuses = {views[i]["status"] for i in ids}
    dates = sorted({views[i]["invoiceDate"] for i in ids})
    best = len(ids) if not new else sys.maxsize
    for d in dates:
        if new and any(views[i]["invoiceDate"] < d for i in new):
            continue
        listed = sum(1 for v in views.values() if v["status"] in statuses and v["invoiceDate"] >= d)
        best = min(best, pages(listed) + sum(1 for i in ids if views[i]["invoiceDate"] < d))
    return best


def minimum_for_day(changes: Iterable[Change], views: dict[str, dict[str, Any]]) -> int:
    """What a clairvoyant reader must read to learn these changes (all since the last bank day).

    New or changed invoices: their state (:func:`cheapest_state_reads`). Money moved (paid,
    re-opened): that invoice's payments and its settlements, one request each. Credited: the
    credit note. Customers edited: one ``modifiedDateTime`` listing.
    """
    changes = list(changes)
    invoices = {c.ref for c in changes if c.kind != "customer"}
    new = {c.ref for c in changes if c.kind == "new"}
    money = {c.ref for c in changes if c.kind in ("paid", "reopened")}
    credited = {c.ref for c in changes if c.kind == "credited"}
    customers = any(c.kind == "customer" for c in changes)
    return cheapest_state_reads(views, invoices, new) + 2 * len(money) + len(credited) + int(customers)


# ----- the simulation -----------------------------------------------------------------------
@dataclass
class Job:
    name: str
    at: dt.datetime
    run: Callable[[], None]
    next_after: Callable[[dt.datetime], dt.datetime | None]


def main(argv: list[str] | None = None) -> None:
    configure_logging(level="WARNING", fmt="console", secrets=[])
    rng = random.Random(4)
    sandbox = make_sandbox(start=MONTH_START - dt.timedelta(days=1))
    seed_demo(
        sandbox,
        company_id=COMPANY,
        token=TOKEN,
        customers=60,
        invoices=420,
        mix=Mix(draft=0.0, paid=0.38, partial=0.05, credited=0.02, eur=0.1),
    )
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    migrate.upgrade(url)
    app = make_app(url, sandbox)
    company = company_settings()
    clock = sandbox.clock
    app.puller().pull(company, full=True, now=clock())  # the first pull: before the month
    daemon = Daemon(app, serve_ops=False)
    daemon.schedule()
    month = Month()
    by_job: Counter[str] = Counter()
    served_before = len(sandbox.log)

    def counted(name: str, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            before = len(sandbox.log)
            fn()
            by_job[name] += sum(1 for e in sandbox.log[before:] if e.company == COMPANY)

        return run

    scheduled = {job.id.split(":")[0]: job for job in daemon.scheduler.get_jobs()}
    sweep_trigger = scheduled["sweep"].trigger
    audit_every = scheduled["audit"].trigger.interval

    def poll_next(now: dt.datetime) -> dt.datetime:
        job = daemon.scheduler.get_job(f"pull:{company.id}")
        return now + job.trigger.interval  # re-armed by the job itself (Daemon._rearm_pull)

    jobs = [
        Job(
            "poll job",
            MONTH_START + dt.timedelta(seconds=1),
            counted("poll job", lambda: daemon.pull_job(company)),
            poll_next,
        ),
        Job(
            "nightly sweep",
            sweep_trigger.get_next_fire_time(None, MONTH_START),
            counted("nightly sweep", lambda: daemon.sweep_job(company)),
            lambda now: sweep_trigger.get_next_fire_time(now, now + dt.timedelta(seconds=1)),
        ),
        Job(
            "audit",
            MONTH_START + dt.timedelta(minutes=10),
            counted("audit", lambda: daemon.audit_job(company)),
            lambda now: now + audit_every,
        ),
        Job(
            "push",  # drains retries and unknown outcomes; costs nothing with an empty outbox
            MONTH_START + dt.timedelta(seconds=1),
            counted("push", lambda: daemon.push_job(company)),
            lambda now: now + dt.timedelta(hours=1),
        ),
    ]
    scenario = build_scenario(sandbox, month, rng)
    for day, bank in scenario:
        jobs.append(Job(f"event {day}", day, bank, lambda _now: None))

    def bank_data() -> None:
        daemon.cycle(company).after_bank_data()

    bank_job = counted("bank-day refresh (+ match, push)", bank_data)
    args = sys.argv[1:] if argv is None else argv
    if "--missing-bank-files" in args:  # a variant: the poll job's work shows
        month.no_bank_file = set(month.bank_days[3::5])
    for day in month.bank_days:
        if day not in month.no_bank_file:
            jobs.append(Job("bank", local(day, 8, 5), bank_job, lambda _now: None))
        jobs.append(
            Job(
                "check",
                local(day, 23, 30),
                lambda: check_freshness(sandbox, app, month, clock()),
                lambda _n: None,
            )
        )

    while jobs:
        jobs.sort(key=lambda j: j.at)
        job = jobs.pop(0)
        if job.at >= MONTH_END:
            continue
        clock.set(job.at)
        job.run()
        following = job.next_after(job.at)
        if following is not None:
            jobs.append(Job(job.name, following, job.run, job.next_after))
    clock.set(MONTH_END - dt.timedelta(seconds=1))
    check_freshness(sandbox, app, month, clock(), final=True)

    served = [e for e in sandbox.log[served_before:] if e.company == COMPANY]
    reads = [e for e in served if not e.write]
    writes = len(served) - len(reads)
    with app.sessions() as session:
        ledger = session.scalar(
            select(func.count())
            .select_from(RequestLedger)
            .where(RequestLedger.at >= MONTH_START, RequestLedger.at < MONTH_END)
        )
    minimum = minimum_total(sandbox, month)
    report(month, by_job, reads, writes, int(ledger or 0), minimum)
    app.close()


def build_scenario(
    sandbox: Any, month: Month, rng: random.Random
) -> list[tuple[dt.datetime, Callable[[], None]]]:
    """Timed changes in Bokio: new invoices daily, payments before each bank file, people's edits."""
    days = [
        (MONTH_START + dt.timedelta(hours=12) + dt.timedelta(days=d)).astimezone(STOCKHOLM).date()
        for d in range(31)
    ]
    month.bank_days = [d for d in days if d.weekday() < 5]
    new_per_day = [200 // 31 + (1 if i < 200 % 31 else 0) for i in range(31)]
    edits = set(rng.sample(range(31), 10))
    events: list[tuple[dt.datetime, Callable[[], None]]] = []

    def books() -> Any:
        return sandbox.books(COMPANY)

    def issue(n: int) -> Callable[[], None]:
        def run() -> None:
            with sandbox.lock:
                b = books()
                customers = sorted(b.company.customers)
                for _ in range(n):
                    line = {
                        "itemType": "salesItem",
                        "description": "Konsult",
                        "productType": "services",
                        "unitType": "hour",
                        "quantity": Decimal(rng.randint(1, 10)),
                        "unitPrice": Decimal(rng.randint(500, 1500)),
                        "taxRate": Decimal(25),
                    }
                    made = create_published_invoice(
                        b, rng.choice(customers), [line], sandbox.today().isoformat()
                    )
                    month.changes.append(Change(sandbox.clock(), "new", str(made["id"])))

        return run

    def settle(count: int) -> Callable[[], None]:
        def run() -> None:
            with sandbox.lock:
                b = books()
                views = {i: b.view(inv) for i, inv in b.company.invoices.items()}
                due = sorted((v["dueDate"], i) for i, v in views.items() if v["status"] in im.OPEN_STATUSES)
                for _, invoice_id in due[:count]:
                    pay_invoice(b, invoice_id, b.remaining(invoice_id), sandbox.today().isoformat())
                    month.changes.append(Change(sandbox.clock(), "paid", invoice_id))

        return run

    def edit() -> None:
        with sandbox.lock:
            b = books()
            customer = rng.choice(sorted(b.company.customers))
            edit_customer(b, customer, paymentTerms=str(rng.choice((10, 20, 30))))
            month.changes.append(Change(sandbox.clock(), "customer", customer))

    def paid_ones() -> list[str]:
        b = books()
        return sorted(i for i, inv in b.company.invoices.items() if b.view(inv)["status"] == "paid")

    def credit() -> None:
        with sandbox.lock:
            invoice_id = rng.choice(paid_ones())
            credit_fully(books(), invoice_id)
            month.changes.append(Change(sandbox.clock(), "credited", invoice_id))

    def reopen() -> None:
        with sandbox.lock:
            b = books()
            invoice_id = rng.choice(paid_ones())
            for payment_id in list(b.company.payments.get(invoice_id, {})):
                b.delete_payment(invoice_id, payment_id)
            month.changes.append(Change(sandbox.clock(), "reopened", invoice_id))

    for index, day in enumerate(days):
        events.append((local(day, 6, 30), issue(new_per_day[index])))
        if day in month.bank_days:
            events.append((local(day, 7, 45), settle(rng.randint(7, 11))))
        if index in edits:
            events.append((local(day, rng.randint(9, 16)), edit))
    events += [(local(days[9], 14), credit), (local(days[20], 11), credit), (local(days[15], 10), reopen)]
    saturday = next(d for d in days[10:] if d.weekday() == 5)
    events.append((local(saturday, 12), settle(1)))
    return events


def deadline(change: Change) -> dt.datetime:
    """The end of the first bank day after the change's (Stockholm) date."""
    day = change.at.astimezone(STOCKHOLM).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return local(day, 23, 0)


def check_freshness(sandbox: Any, app: Any, month: Month, now: dt.datetime, *, final: bool = False) -> None:
    """Every change whose deadline has passed is in the mirror (checked once, at the first check after it)."""
    with sandbox.lock:
        b = sandbox.books(COMPANY)
        views = {i: b.view(inv) for i, inv in b.company.invoices.items()}
        customers = {c: dict(v) for c, v in b.company.customers.items()}
    with app.sessions() as session:
        mirror = mirror_invoices(session, COMPANY)
        held = {row.bokio_id: row.raw for row in session.scalars(select(Customer))}
    for change in month.changes:
        if change.checked or (deadline(change) > now and not final):
            continue
        change.checked = True
        if change.kind == "customer":
            fresh = held.get(change.ref) == customers[change.ref]
        else:
            fresh = change.ref in mirror and mirror[change.ref].raw == views[change.ref]
        if not fresh:
            month.misses.append(
                f"{change.kind} {change.ref} at {change.at:%Y-%m-%d %H:%M}Z not in the mirror by {now:%Y-%m-%d %H:%M}Z"
            )


def minimum_total(sandbox: Any, month: Month) -> int:
    """Sum of :func:`minimum_for_day` over bank days, each with the changes since the previous one,
    judged on today's invoice list (a change's state is read after it happened)."""
    with sandbox.lock:
        b = sandbox.books(COMPANY)
        views = {i: b.view(inv) for i, inv in b.company.invoices.items()}
    total, previous = 0, MONTH_START
    for day in month.bank_days:
        morning = month.read_at(day)
        batch = [c for c in month.changes if previous <= c.at < morning]
        total += minimum_for_day(batch, views)
        previous = morning
    late = [c for c in month.changes if c.at >= previous]
    return total + minimum_for_day(late, views)


def report(
    month: Month, by_job: Counter[str], reads: list[Any], writes: int, ledger: int, minimum: int
) -> None:
    kinds = Counter(c.kind for c in month.changes)
    print(
        f"month: March 2026, {len(month.bank_days)} bank days ({len(month.no_bank_file)} without a bank file); changes in Bokio: {kinds['new']} new invoices, "
        f"{kinds['paid']} paid, {kinds['credited']} credited, {kinds['reopened']} re-opened, "
        f"{kinds['customer']} customer edits"
    )
    print("Bokio requests served by the sandbox this month, per daemon job:")
    for name, count in sorted(by_job.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<40}{count:>6}")
    by_template = Counter(e.template for e in reads)
    print("reads per endpoint:")
    for template, count in by_template.most_common():
        print(f"  {template:<60}{count:>6}")
    total = len(reads)
    print(f"syncd reads (counted at the sandbox):      {total:>6}")
    print(f"syncd writes (counted at the sandbox):     {writes:>6}")
    print(
        f"syncd's own request ledger, same month:    {ledger:>6}  ({'agrees' if ledger == total + writes else 'DIFFERS'})"
    )
    print(f"independent minimum, same freshness:       {minimum:>6}")
    ratio = total / minimum if minimum else float("inf")
    print(f"syncd / minimum:                           {ratio:>6.2f}  (target <= {RATIO})")
    print(f"freshness misses (change not mirrored by the end of the next bank day): {len(month.misses)}")
    for miss in month.misses[:10]:
        print(f"  {miss}")
    if total > TARGET or ratio > RATIO or month.misses:
        print(
            f"!!! OVER TARGET: {total} reads (target {TARGET}), {ratio:.2f} x minimum (target {RATIO}), {len(month.misses)} freshness misses"
        )
    else:
        print(
            f"within target: {total} <= {TARGET} reads, {ratio:.2f} <= {RATIO} x minimum, every change in time"
        )
    emit(
        "bench_pull_month",
        [
            Figure("Bokio reads in the month, everything the daemon does", total, "reads", f"<= {TARGET}"),
            Figure("reads / independent minimum", round(ratio, 3), "x", f"<= {RATIO}"),
            Figure("freshness misses", len(month.misses), "changes", "<= 0"),
            Figure("request ledger minus sandbox count", ledger - (total + writes), "requests", "== 0"),
        ],
    )


if __name__ == "__main__":
    main()
