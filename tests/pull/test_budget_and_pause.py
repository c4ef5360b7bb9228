"""Budget: quota-exceeded pauses only that company, the planner reacts to usage, and the command."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from syncd import cli
from syncd.budget import SPENT, BudgetUsage, plan_polls
from syncd.clock import STOCKHOLM
from syncd.mirror.tables import Company
from syncd.pull.schedule import poll_due_at, poll_plan
from syncd.sandbox.limits import Counters
from syncd.sandbox.seed import seed_demo
from syncd.settings import BudgetSettings
from tests.conftest import Database
from tests.pull.harness import COMPANY, OTHER, TOKEN, company_settings, make_app, make_sandbox


def test_quota_exceeded_pauses_that_company_and_the_other_goes_on(database: Database) -> None:
    sandbox = make_sandbox(quota=80)
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, customers=4, invoices=30)
    seed_demo(sandbox, company_id=OTHER, token="other-token", customers=4, invoices=5, seed=2)
    busy, calm = company_settings(), company_settings(OTHER, "other-token")
    with sandbox.lock:
        sandbox.counters.setdefault(COMPANY, Counters()).by_month["2026-03"] = 76  # month nearly used
    app = make_app(database.url, sandbox, companies=(busy, calm))
    try:
        reports = app.puller().pull_all(full=True, now=sandbox.clock())
        by_company = {r.company: r for r in reports}
        assert by_company[COMPANY].paused
        assert not by_company[OTHER].paused
        assert not by_company[OTHER].problems
        with app.sessions() as session:
            paused = session.scalar(select(Company).where(Company.bokio_company_id == COMPANY))
            assert paused is not None
            assert paused.paused_until is not None
            assert paused.paused_until > sandbox.clock() + dt.timedelta(days=20)  # until next month
            assert "quota-exceeded" in (paused.pause_reason or "")
        before = len(sandbox.log)
        skipped = app.puller().pull(busy, now=sandbox.clock())
        assert skipped.skipped is not None
        assert "paused (quota) until" in skipped.skipped
        assert skipped.pause_kind == "quota"
        assert len(sandbox.log) == before  # a paused company costs nothing
    finally:
        app.close()


def _usage(used: int, *, day: int) -> BudgetUsage:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    return BudgetUsage(
        "c", 5000, used, used, 0, start, start + dt.timedelta(days=31), start + dt.timedelta(days=day)
    )


def test_a_poll_waits_for_the_freshness_however_much_budget_is_left() -> None:
    due = dt.timedelta(hours=20)
    plans = [
        plan_polls(_usage(used, day=10), target=700, write_reserve=1000, cost_per_poll=6, due_in=due)
        for used in (0, 300)
    ]
    assert [p.interval for p in plans] == [due, due]
    assert {p.reason for p in plans} == {"freshness"}


def test_polls_are_spaced_beyond_the_freshness_once_the_target_cannot_afford_them() -> None:
    due = dt.timedelta(hours=20)
    near = plan_polls(_usage(690, day=10), target=700, write_reserve=1000, cost_per_poll=6, due_in=due)
    assert near.interval > dt.timedelta(days=10)  # one poll left for 21 days
    assert near.reason == "target"
    over = plan_polls(_usage(800, day=10), target=700, write_reserve=1000, cost_per_poll=6, due_in=due)
    assert over.interval == due  # the quota's headroom still pays for the freshness
    assert "over target" in over.reason
    spent = plan_polls(_usage(3999, day=10), target=700, write_reserve=1000, cost_per_poll=6, due_in=due)
    assert spent.reason == SPENT


@pytest.mark.parametrize(
    ("scanned", "bank_days", "due"),
    [
        ("2026-03-02T09:00", 1, "2026-03-03T22:00"),  # Monday morning: by Tuesday evening
        ("2026-03-06T09:00", 1, "2026-03-09T22:00"),  # Friday: the weekend does not count
        ("2026-03-07T12:00", 1, "2026-03-09T22:00"),  # a Saturday scan: Monday
        ("2026-03-05T09:00", 2, "2026-03-09T22:00"),  # two bank days from Thursday
    ],
)
def test_a_poll_is_due_at_the_end_of_the_bank_day_after_the_last_open_scan(
    scanned: str, bank_days: int, due: str
) -> None:
    at = dt.datetime.fromisoformat(scanned).replace(tzinfo=STOCKHOLM)
    found = poll_due_at(at, bank_days)
    assert found is not None
    assert found.astimezone(STOCKHOLM).replace(tzinfo=None) == dt.datetime.fromisoformat(due)
    assert poll_due_at(None, bank_days) is None  # never scanned: due now


def test_the_budget_view_counts_ledger_requests_and_prices_a_poll(world: Any) -> None:
    report = world.pull(full=True)
    with world.app.sessions() as session:
        view = poll_plan(session, COMPANY, BudgetSettings(), now=world.clock())
    assert view.usage.used == report.total_requests
    assert view.cost_per_poll >= 2  # customers + at least one invoice listing
    assert view.last_open_scan == world.clock()
    assert not view.poll_now  # just scanned: the next poll is due at the end of the next bank day
    assert view.due_at == poll_due_at(world.clock(), 1)
    assert view.plan.interval == view.due_at - world.clock()


def test_syncd_budget_json_reports_used_remaining_projection_and_interval(
    world: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, Any]
) -> None:
    report = world.pull(full=True)
    monkeypatch.setenv("SYNCD_DATABASE_URL", world.app.database_url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    capsys.readouterr()  # drop the pull's own output
    assert cli.main(["budget", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (entry,) = out["companies"]
    assert entry["company"] == COMPANY
    assert entry["quota"] == 5000
    assert {"used", "remaining", "projected_month_end", "poll_interval_s", "cost_per_poll"} <= set(entry)
    # the ledger is stamped with the sandbox's clock (March 2026); the command runs on today's month
    assert entry["used"] in (0, report.total_requests)
    assert entry["remaining"] == 5000 - entry["used"]
