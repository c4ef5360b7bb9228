"""`pull --dry-run` tells the truth: within a quarter of the requests the pull then makes.

Requests are counted in the sandbox's own log (what Bokio would bill), never timed. A first pull's
estimate samples a few listing pages, and those requests are counted against the budget too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from syncd import migrate
from syncd.pull import PullReport
from syncd.sandbox import Limits, ManualClock, Sandbox
from syncd.sandbox.seed import create_published_invoice, seed_demo
from tests.conftest import Database
from tests.pull.harness import COMPANY, START, TOKEN, company_settings, make_app

TOLERANCE = 0.25


def estimated(report: PullReport) -> int:
    return sum(call.count for call in report.planned)


def assert_close(estimate: int, real: int, what: str) -> None:
    assert abs(estimate - real) <= TOLERANCE * real, f"{what}: estimated {estimate}, made {real}"


def seeded(invoices: int) -> Sandbox:
    # Not strict: thousands of contract validations would only slow the count down.
    sandbox = Sandbox(
        clock=ManualClock(START),
        limits=Limits(rate_limit=None, monthly_quota=None),
        sleep=lambda _s: None,
    )
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, invoices=invoices, customers=max(8, invoices // 10))
    return sandbox


def issue_new_invoices(sandbox: Sandbox, count: int) -> None:
    """A day of business: ``count`` new invoices for existing customers."""
    with sandbox.lock:
        books = sandbox.books(COMPANY)
        customers = list(books.company.customers)
        for index in range(count):
            lines = [
                {
                    "itemType": "salesItem",
                    "description": "Konsulttimmar",
                    "productType": "services",
                    "unitType": "hour",
                    "quantity": Decimal(2 + index % 5),
                    "unitPrice": Decimal(950),
                    "taxRate": Decimal(25),
                }
            ]
            create_published_invoice(
                books, customers[index % len(customers)], lines, sandbox.today().isoformat()
            )


def first_then_next_day(database_url: str, invoices: int, *, full: bool) -> None:
    sandbox = seeded(invoices)
    app = make_app(database_url, sandbox)
    try:
        puller = app.puller()
        company = company_settings()

        before = len(sandbox.log)
        first_estimate = puller.pull(company, full=full, dry_run=True, now=sandbox.clock())
        sampled = len(sandbox.log) - before
        assert first_estimate.requests.get("estimate", 0) == sampled  # counted like any request
        assert sampled <= 7

        before = len(sandbox.log)
        puller.pull(company, full=full, now=sandbox.clock())
        assert_close(estimated(first_estimate), len(sandbox.log) - before, f"first pull of {invoices}")

        assert isinstance(sandbox.clock, ManualClock)
        sandbox.clock.advance(dt.timedelta(days=1).total_seconds())
        issue_new_invoices(sandbox, max(1, invoices // 50))
        before = len(sandbox.log)
        next_estimate = puller.pull(company, dry_run=True, now=sandbox.clock())
        assert len(sandbox.log) == before  # the mirror knows enough: no request to estimate
        puller.pull(company, now=sandbox.clock())
        assert_close(estimated(next_estimate), len(sandbox.log) - before, f"next day's pull of {invoices}")
    finally:
        app.close()


@pytest.mark.parametrize("invoices", [10, 1000])
def test_a_first_pull_and_the_next_days_pull_cost_what_the_dry_run_said(
    database: Database, invoices: int
) -> None:
    first_then_next_day(database.url, invoices, full=False)


@pytest.mark.parametrize("invoices", [10, 1000])
def test_a_first_full_sweep_costs_what_the_dry_run_said_not_seven_requests(
    database: Database, invoices: int
) -> None:
    first_then_next_day(database.url, invoices, full=True)


@pytest.mark.slow
@pytest.mark.large
def test_a_company_of_5000_invoices_is_estimated_within_a_quarter(tmp_path: Path) -> None:
    # The estimate does not depend on the backend and the two legs above cover both databases:
    # one SQLite run keeps this large case to a single pull of each kind.
    url = f"sqlite:///{tmp_path / 'mirror.sqlite3'}"
    migrate.upgrade(url)
    first_then_next_day(url, 5000, full=True)
