"""The daemon spreads a first pull too big for one day over days, within a share of the budget.

Requests are counted in the sandbox's own log (what Bokio would bill), never timed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from syncd.app import App
from syncd.cli import main
from syncd.daemon.cycle import CompanyCycle
from syncd.mirror.tables import Invoice, InvoicePayment
from syncd.pull import spread
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.seed import seed_demo
from syncd.settings import BokioSettings, BudgetSettings, PullSettings, Settings
from tests.conftest import Database
from tests.ingest.test_streamed_csv_psp import _seb
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
        matching = CompanyCycle(app, company).match()
        assert matching.skipped is not None
        assert "matching waits until the mirror is complete" in matching.skipped

        # The same day: the share is spent, the cycle waits and asks Bokio nothing.
        before = len(sandbox.log)
        waiting = CompanyCycle(app, company).pull()
        assert len(sandbox.log) == before
        assert waiting.skipped is not None
        assert "goes on tomorrow" in waiting.skipped
        assert waiting.detail["first_pull"] == first.detail["first_pull"]  # nothing more done today

        days = 1
        while True:
            clock.advance(dt.timedelta(days=1).total_seconds())
            days += 1
            before = len(sandbox.log)
            result = CompanyCycle(app, company).pull()
            assert len(sandbox.log) - before <= PER_DAY
            if result.detail["first_pull"].startswith("first pull done"):
                break
            assert days < 20, "the spread first pull never finished"
        assert days >= 2  # it took more than one day
        with app.sessions() as session:
            assert spread.load(session, COMPANY) is None
        assert CompanyCycle(app, company).match().skipped is None
        spread_mirror = mirror(app)
        assert len(spread_mirror[0]) > len(partial)

        # The same pull without any cap adds no invoice and no payment.
        check = app.puller().pull(company, now=clock())
        assert not check.problems
        assert not check.capped
        after = mirror(app)
        assert set(after[0]) == set(spread_mirror[0])
        assert after[1] == spread_mirror[1]
    finally:
        app.close()


def test_status_shows_a_spread_first_pull_and_unmatched_money_in_swedish_format(
    database: Database,
    clean_env: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, app = world(database, invoices=600)
    try:
        first = CompanyCycle(app, app.settings.companies[0]).pull()
        assert "first pull in progress" in first.detail["first_pull"]
    finally:
        app.close()
    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    statement = tmp_path / "seb.csv"
    statement.write_bytes(_seb(60))  # credits of 1..60 kronor: 1 830 in all
    assert main(["import", str(statement)]) == 0
    capsys.readouterr()

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"mirror\s+first pull in progress: \d+ of about \d+ requests done", out), out
    assert "unmatched money  1 830,00 SEK on 60 bank line(s)" in out

    assert main(["status", "--json"]) == 0
    (company,) = json.loads(capsys.readouterr().out)["companies"]
    assert company["unmatched_bank_money"]["amount"] == "1830.00"  # an exact decimal string
    assert company["first_pull"].startswith("first pull in progress:")


def test_a_small_first_pull_in_the_daemon_is_an_ordinary_pull_without_an_estimate(database: Database) -> None:
    sandbox, app = world(database, invoices=40)
    try:
        before = len(sandbox.log)
        result = CompanyCycle(app, app.settings.companies[0]).pull()
        assert result.ok
        assert result.skipped is None
        assert "first_pull" not in result.detail
        assert result.detail["requests"] == len(sandbox.log) - before  # no sampled estimate pages
        with app.sessions() as session:
            assert spread.load(session, COMPANY) is None
        assert len(mirror(app)[0]) > 0
    finally:
        app.close()
