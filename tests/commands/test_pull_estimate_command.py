"""`syncd pull` on a company never pulled: a large first pull waits for --yes, then logs its progress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from syncd.cli import main
from syncd.mirror.tables import Invoice
from tests.commands.conftest import COMPANY, TOKEN, Served


@pytest.fixture
def small_budget(
    served_sandbox: Served,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clean_env: dict,
) -> str:
    """One company on the sandbox (30 invoices), a month of 100 requests, JSON logs with progress."""
    monkeypatch.setenv("SYNCD_DATABASE_URL", database_url)
    monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", served_sandbox.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_BUDGET__MONTHLY_QUOTA", "100")
    monkeypatch.setenv("SYNCD_LOG_FORMAT", "json")
    monkeypatch.setenv("SYNCD_LOG_LEVEL", "DEBUG")
    return database_url


def invoices_mirrored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Invoice)) or 0)
    finally:
        engine.dispose()


def progress_events(stderr: str) -> list[dict[str, object]]:
    events = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "pull.progress":
                events.append(event)
    return events


@pytest.mark.integration
def test_a_first_pull_over_a_tenth_of_the_month_waits_for_yes_then_logs_its_progress(
    small_budget: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pull"]) == 1
    refused = capsys.readouterr()
    assert "of the month's 100 Bokio requests" in refused.out
    assert "run again with --yes" in refused.out
    assert invoices_mirrored(small_budget) == 0

    assert main(["pull", "--yes", "--json"]) == 0
    done = capsys.readouterr()
    (report,) = json.loads(done.out)["reports"]
    assert invoices_mirrored(small_budget) > 0
    events = progress_events(done.err)
    scans = [e for e in events if e["stream"] == "invoices" and e["step"] == "open"]
    assert scans, done.err[-2000:]
    assert scans[-1]["done"] == scans[-1]["total"]
    requests = [int(str(e["requests"])) for e in events]
    assert requests == sorted(requests)
    assert requests[-1] <= report["total_requests"]


@pytest.mark.integration
def test_a_dry_run_of_a_first_pull_estimates_from_sampled_pages_and_pulls_nothing(
    small_budget: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pull", "--dry-run", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert 0 < report["requests"]["estimate"] <= 7
    assert invoices_mirrored(small_budget) == 0
