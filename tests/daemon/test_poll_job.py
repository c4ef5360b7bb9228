"""The daemon's poll job: it reads Bokio only when a bank day ends without an open-invoice scan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from syncd.clock import STOCKHOLM
from syncd.daemon import service
from syncd.daemon.service import Daemon
from syncd.sandbox.seed import pay_invoice, seed_demo
from tests.conftest import Database
from tests.pull.harness import (
    COMPANY,
    TOKEN,
    World,
    bokio_invoices,
    company_settings,
    make_app,
    make_sandbox,
    mirror_invoices,
)

MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def daemon_world(database: Database) -> Iterator[tuple[World, Daemon]]:
    sandbox = make_sandbox(start=MONDAY)
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, customers=8, invoices=40)
    app = make_app(database.url, sandbox)
    world = World(sandbox, app, app.puller(), company_settings())
    world.pull(full=True)  # Monday 10:00 Stockholm: the mirror is complete
    daemon = Daemon(app, serve_ops=False)
    daemon.schedule()
    try:
        yield world, daemon
    finally:
        app.close()


def _next_poll(world: World, daemon: Daemon) -> dt.datetime:
    """When the poll job, re-armed just now, runs next."""
    job = daemon.scheduler.get_job(f"pull:{world.company.id}")
    assert job is not None
    return world.clock() + job.trigger.interval


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=STOCKHOLM).astimezone(dt.UTC)


def test_the_poll_job_reads_nothing_while_the_mirror_is_fresh_and_re_arms_for_the_bank_day_end(
    daemon_world: tuple[World, Daemon],
) -> None:
    world, daemon = daemon_world
    before = len(world.sandbox.log)
    daemon.pull_job(world.company)
    assert len(world.sandbox.log) == before
    assert _next_poll(world, daemon) == _at(3, 22)  # Tuesday evening


def test_an_invoice_a_person_paid_in_bokio_is_mirrored_by_the_end_of_the_next_bank_day(
    daemon_world: tuple[World, Daemon],
) -> None:
    world, daemon = daemon_world
    daemon.pull_job(world.company)
    next_poll = _next_poll(world, daemon)
    world.clock.set(_at(3, 11))  # Tuesday, no bank file today
    invoice_id = sorted(i for i, v in bokio_invoices(world.sandbox).items() if v["status"] == "published")[0]
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        pay_invoice(books, invoice_id, books.remaining(invoice_id), world.sandbox.today().isoformat())
    world.clock.set(next_poll)
    daemon.pull_job(world.company)
    with world.app.sessions() as session:
        held = mirror_invoices(session)[invoice_id]
        assert held.status == "paid"
        assert held.outstanding == Decimal(0)
    assert _next_poll(world, daemon) == _at(4, 22)  # it scanned: fresh until Wednesday evening


def test_bank_data_arriving_makes_that_days_poll_unnecessary(daemon_world: tuple[World, Daemon]) -> None:
    world, daemon = daemon_world
    world.clock.set(_at(3, 8))
    daemon.cycle(world.company).after_bank_data()  # what the inbox job does on new money
    world.clock.set(_at(3, 22))
    before = len(world.sandbox.log)
    daemon.pull_job(world.company)
    assert len(world.sandbox.log) == before
    assert _next_poll(world, daemon) == _at(4, 22)


def test_a_poll_that_is_not_due_plans_once_and_re_arms_from_that_plan(
    daemon_world: tuple[World, Daemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, daemon = daemon_world
    plans: list[dt.datetime] = []
    real = service.poll_plan

    def counted(*args: Any, **kwargs: Any) -> service.BudgetView:
        plans.append(kwargs["now"])
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "poll_plan", counted)
    daemon.pull_job(world.company)
    assert len(plans) == 1, "judged not due and re-armed from one look at the budget"
    assert _next_poll(world, daemon) == _at(3, 22)


def test_a_failing_planner_polls_anyway_and_re_arms_an_hour_later(
    daemon_world: tuple[World, Daemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, daemon = daemon_world

    def broken(*_args: Any, **_kwargs: Any) -> service.BudgetView:
        raise RuntimeError("the request ledger is unreadable")

    monkeypatch.setattr(service, "poll_plan", broken)
    before = len(world.sandbox.log)
    daemon.pull_job(world.company)
    assert len(world.sandbox.log) > before, "a planner failure must not stop the mirror being kept fresh"
    assert _next_poll(world, daemon) == world.clock() + dt.timedelta(hours=1)
