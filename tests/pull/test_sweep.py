"""The daemon's nightly sweep: closed invoices changed in Bokio are still caught, at slice cost."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from syncd.sandbox.seed import Mix, credit_fully, pay_invoice, seed_demo
from syncd.settings import PullSettings
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

CYCLE_DAYS = 7


@pytest.fixture
def paged(database: Database) -> Iterator[World]:
    """60 invoices listed 10 a page, every invoice re-listed once a week by the sweep."""
    sandbox = make_sandbox()
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, customers=8, invoices=60, mix=Mix(paid=0.4))
    app = make_app(database.url, sandbox, pull=PullSettings(page_size=10, sweep_cycle_days=CYCLE_DAYS))
    try:
        yield World(sandbox, app, app.puller(), company_settings())
    finally:
        app.close()


def _a_paid_invoice(world: World) -> str:
    return sorted(i for i, view in bokio_invoices(world.sandbox).items() if view["status"] == "paid")[0]


def _mirrored_as_in_bokio(world: World, invoice_id: str) -> bool:
    with world.app.sessions() as session:
        held = mirror_invoices(session).get(invoice_id)
    return held is not None and held.raw == bokio_invoices(world.sandbox)[invoice_id]


def _listings(world: World, since: int) -> int:
    return sum(1 for e in world.sandbox.log[since:] if e.template.endswith("/invoices") and e.method == "GET")


def test_a_paid_invoice_credited_in_bokio_is_in_the_mirror_after_the_next_sweep(paged: World) -> None:
    paged.pull(full=True)
    invoice_id = _a_paid_invoice(paged)
    paged.clock.advance(4 * 3600)
    with paged.sandbox.lock:
        credit_fully(paged.sandbox.books(COMPANY), invoice_id)
    assert not _mirrored_as_in_bokio(paged, invoice_id)
    paged.clock.advance(14 * 3600)
    before = len(paged.sandbox.log)
    report = paged.puller.sweep(paged.company, now=paged.clock())
    assert not report.problems
    assert _mirrored_as_in_bokio(paged, invoice_id)
    assert _listings(paged, before) < 6  # not the whole invoice list (6 pages of 10)


def test_an_overpaid_closed_invoice_is_seen_by_the_sweep_within_its_cycle(paged: World) -> None:
    paged.pull(full=True)
    paged.puller.sweep(paged.company, now=paged.clock())  # the pace starts
    invoice_id = _a_paid_invoice(paged)
    with paged.sandbox.lock:
        pay_invoice(paged.sandbox.books(COMPANY), invoice_id, Decimal(100), paged.sandbox.today().isoformat())
    assert bokio_invoices(paged.sandbox)[invoice_id]["status"] == "overPaid"  # neither open nor credited
    before = len(paged.sandbox.log)
    caught_on = None
    for day in range(1, CYCLE_DAYS + 1):
        paged.clock.advance(24 * 3600)
        assert not paged.puller.sweep(paged.company, now=paged.clock()).problems
        if caught_on is None and _mirrored_as_in_bokio(paged, invoice_id):
            caught_on = day
    assert caught_on is not None
    assert caught_on <= CYCLE_DAYS
    # a week of sweeps listed about the whole list once, not once a night
    assert _listings(paged, before) <= 6 + CYCLE_DAYS // 2


def test_a_full_pull_is_still_the_whole_listing(paged: World) -> None:
    paged.pull(full=True)
    before = len(paged.sandbox.log)
    report = paged.pull(full=True)
    assert not report.problems
    assert _listings(paged, before) >= 6


def test_a_second_sweep_the_same_night_reads_nothing_so_replicas_do_not_sweep_twice(paged: World) -> None:
    paged.pull(full=True)
    paged.clock.advance(24 * 3600)
    paged.puller.sweep(paged.company, now=paged.clock())  # one replica's nightly sweep
    paged.clock.advance(5 * 60)
    before = len(paged.sandbox.log)
    report = paged.puller.sweep(paged.company, now=paged.clock())  # another replica's, after the lock
    assert not report.problems
    assert len(paged.sandbox.log) == before
    paged.clock.advance(24 * 3600)  # the next night sweeps again
    paged.puller.sweep(paged.company, now=paged.clock())
    assert len(paged.sandbox.log) > before
