"""The daemon spreads a first pull too big for one day over days, within a share of the budget.

Requests are counted in the sandbox's own log (what Bokio would bill), never timed.
"""

from __future__ import annotations

import datetime as dt

from pydantic import SecretStr
from sqlalchemy import select

from syncd.app import App
from syncd.commands import status
from syncd.daemon.cycle import CompanyCycle
from syncd.mirror.tables import Invoice, InvoicePayment
from syncd.pull import Puller, spread
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.seed import seed_demo
from syncd.settings import BokioSettings, BudgetSettings, PullSettings, Settings
from tests.conftest import Database
from tests.pull.harness import COMPANY, START, TOKEN, company_settings

QUOTA = 2_000
PER_DAY = int(spread.DAY_SHARE * QUOTA)


def world(database: Database, invoices: int) -> tuple[Sandbox, App]:
    sandbox = Sandbox(
        clock=ManualClock(START), limits=Limits(rate_limit=None, monthly_quota=None), sleep=lambda _s: None
    )
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, invoices=invoices, customers=max(8, invoices // 10))
    settings = Settings(
        database_url=SecretStr(database.url),
        bokio=BokioSettings(base_url="http://sandbox.test/v1", rate_limit_per_minute=1_000_000),
        budget=BudgetSettings(monthly_quota=QUOTA),
        pull=PullSettings(page_size=25),
        companies=(company_settings(),),
    )
    return sandbox, App(settings, transport=SandboxTransport(sandbox), clock=sandbox.clock)


def mirror(app: App) -> tuple[dict[str, object], int]:
    with app.sessions() as session:
        invoices = {row.bokio_id: row.raw for row in session.scalars(select(Invoice))}
        payments = len(session.scalars(select(InvoicePayment)).all())
    return invoices, payments


def test_a_big_first_pull_is_spread_over_days_within_the_daily_share(database: Database) -> None:
    sandbox, app = world(database, invoices=600)
    clock = sandbox.clock
    assert isinstance(clock, ManualClock)
    try:
        company = app.settings.companies[0]
        before = len(sandbox.log)
        first = CompanyCycle(app, company).pull()
        spent = len(sandbox.log) - before
        assert spent <= PER_DAY
        assert "first pull in progress" in first.detail["first_pull"]
        partial, _ = mirror(app)
        assert 0 < len(partial) < 600

        # The same day: the share is spent, the cycle waits and asks Bokio nothing.
        before = len(sandbox.log)
        waiting = CompanyCycle(app, company).pull()
        assert len(sandbox.log) == before
        assert waiting.skipped is not None
        assert "goes on tomorrow" in waiting.skipped
        with app.sessions() as session:
            shown = status._one(session, _company(session), clock(), QUOTA)
        assert shown["first_pull"].startswith("first pull in progress:")

        days = 1
        while True:
            clock.advance(dt.timedelta(days=1).total_seconds())
            days += 1
            before = len(sandbox.log)
            result = CompanyCycle(app, company).pull()
            assert len(sandbox.log) - before <= PER_DAY
            if "done" in result.detail.get("first_pull", "done") and "in progress" not in result.detail.get(
                "first_pull", ""
            ):
                break
            assert days < 20, "the spread first pull never finished"
        assert days >= 2  # it took more than one day
        with app.sessions() as session:
            assert spread.load(session, COMPANY) is None
        spread_mirror = mirror(app)
        assert len(spread_mirror[0]) > len(partial)

        # The same pull without any cap adds no invoice and no payment.
        check = Puller(app).pull(company, now=clock())
        assert not check.problems
        assert not check.capped
        after = mirror(app)
        assert set(after[0]) == set(spread_mirror[0])
        assert after[1] == spread_mirror[1]
    finally:
        app.close()


def _company(session):  # type: ignore[no-untyped-def]
    from syncd.mirror.tables import Company

    return session.scalars(select(Company)).one()
