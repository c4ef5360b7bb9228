"""Honest pauses and a configuration checked whole, through ``syncd.cli.main`` (issue 15 items 2-3).

Bokio is the sandbox served over real HTTP from this process (so a test can script its faults);
the database is a real one on both legs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from sqlalchemy import select

from syncd.app import App
from syncd.cli import main
from syncd.daemon.figures import pause_figures
from syncd.db import make_engine
from syncd.demo.world import DemoCompany, build_sandbox
from syncd.mirror import pauses, repo
from syncd.ops.metrics import Metrics
from syncd.outbox.tables import OutboxCommand
from syncd.sandbox import Sandbox
from syncd.sandbox.server import running
from syncd.settings import load_settings
from tests.daemon.test_service import drop_bank_day, recorded_payments

PAYMENTS = "/companies/*/invoices/*/payments"


@dataclass
class Served:
    sandbox: Sandbox
    demo: DemoCompany
    url: str
    inbox: Path


@pytest.fixture
def bokio(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clean_env: dict[str, Any]
) -> Iterator[Served]:
    """The demo company in a sandbox over HTTP, configured by the single-company shorthand."""
    sandbox, demo = build_sandbox(seed=15)
    with running(sandbox) as server:
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        monkeypatch.setenv("SYNCD_DATABASE_URL", database_url)
        monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", server.url)
        monkeypatch.setenv("SYNCD_COMPANY_ID", demo.id)
        monkeypatch.setenv("SYNCD_BOKIO_TOKEN", demo.token)
        monkeypatch.setenv("SYNCD_BANK_INBOX", str(inbox))
        yield Served(sandbox, demo, server.url, inbox)


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out, parse_float=Decimal)


def company_status(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, report = cli_json(capsys, "status")
    assert code == 0
    (entry,) = report["companies"]
    return dict(entry)


def stage(report: dict[str, Any], name: str) -> dict[str, Any]:
    (company,) = report["companies"]
    return next(s for s in company["stages"] if s["stage"] == name)


@pytest.mark.integration
def test_a_401_during_a_push_pauses_with_kind_auth_and_the_next_cycle_resumes_on_its_own(
    bokio: Served, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = drop_bank_day(bokio.sandbox, bokio.demo, bokio.inbox)
    bokio.sandbox.faults.inject("status", PAYMENTS, method="POST", status=401)

    code, report = cli_json(capsys, "run", "--once")
    assert code == 1
    push = stage(report, "push")
    assert push["ok"] is False  # never "push ok" after a 401
    assert "paused (auth)" in push["error"]
    pause = company_status(capsys)["pause"]
    assert pause["kind"] == "auth"
    assert "token refused" in pause["reason"]
    assert "401" in pause["reason"]
    assert not recorded_payments(bokio.sandbox, bokio.demo.id, numbers)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            held = connection.scalar(
                select(OutboxCommand.id).where(OutboxCommand.state == "pending").limit(1)
            )
    finally:
        engine.dispose()
    capsys.readouterr()
    assert main(["outbox", "retry", str(held)]) == 1  # says which pause holds it and how to end it
    assert "held by the company's pause: paused (auth)" in capsys.readouterr().err

    code, report = cli_json(capsys, "run", "--once")  # the token works again: no manual step
    assert code == 0, report
    assert "token works again" in stage(report, "pull")["detail"]["resumed"]
    assert stage(report, "push")["complete"] is True
    assert company_status(capsys)["pause"] is None
    assert recorded_payments(bokio.sandbox, bokio.demo.id, numbers)


@pytest.mark.integration
def test_a_wrong_token_pauses_run_once_fails_and_fixing_the_token_resumes_at_the_next_cycle(
    bokio: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "a-token-bokio-has-never-seen")
    capsys.readouterr()
    assert main(["run", "--once"]) == 1
    out = capsys.readouterr().out
    assert "push    skipped: paused (auth)" in out
    assert "push    ok" not in out
    assert "fix: fix the token" in out
    assert "a-token-bokio-has-never-seen" not in out

    capsys.readouterr()
    assert main(["doctor", "--offline"]) == 1
    doctor = capsys.readouterr().out
    assert f"[FAIL] {bokio.demo.id} pause: paused (auth) until" in doctor
    assert "syncd companies resume" in doctor

    before = len(bokio.sandbox.log)
    assert main(["run", "--once"]) == 1  # still wrong: one cheap re-check, nothing else
    assert len(bokio.sandbox.log) - before == 1

    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", bokio.demo.token)
    code, report = cli_json(capsys, "run", "--once")
    assert code == 0, report
    assert stage(report, "pull")["detail"]["requests"] > 1
    assert company_status(capsys)["pause"] is None


@pytest.mark.integration
def test_companies_resume_clears_a_pause(
    bokio: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "a-token-bokio-has-never-seen")
    assert main(["pull"]) in (0, 1)
    assert company_status(capsys)["pause"]["kind"] == "auth"

    code, result = cli_json(capsys, "companies", "resume", bokio.demo.id)
    assert code == 0
    assert result["resumed"] is True
    assert result["pause"]["kind"] == "auth"
    assert company_status(capsys)["pause"] is None

    code, again = cli_json(capsys, "companies", "resume", bokio.demo.id)
    assert code == 0
    assert again["resumed"] is False


@pytest.mark.integration
def test_a_403_on_tagging_turns_tagging_off_and_the_company_keeps_pushing(
    bokio: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = drop_bank_day(bokio.sandbox, bokio.demo, bokio.inbox)
    bokio.sandbox.faults.inject("status", "*/journal-entries/*/tags", method="PUT", status=403, times=1000)

    code, report = cli_json(capsys, "run", "--once")
    assert code == 0, report
    assert recorded_payments(bokio.sandbox, bokio.demo.id, numbers)
    entry = company_status(capsys)
    assert entry["pause"] is None
    assert entry["tagging"]["on"] is False
    assert "403" in entry["tagging"]["off_reason"]

    capsys.readouterr()
    main(["doctor", "--offline"])
    assert f"[warn] {bokio.demo.id} tagging: tagging is off" in capsys.readouterr().out

    code, result = cli_json(capsys, "companies", "resume", bokio.demo.id, "--tagging")
    assert code == 0
    assert result["tagging_enabled"] is True
    assert company_status(capsys)["tagging"]["on"] is True


@pytest.mark.integration
def test_a_pause_is_a_metric_by_kind(database_url: str, clean_env: dict[str, Any]) -> None:
    company = str(uuid.uuid4())
    settings = load_settings(
        {"SYNCD_DATABASE_URL": database_url, "SYNCD_COMPANY_ID": company, "SYNCD_BOKIO_TOKEN": "t0ken-x"}
    )
    with App(settings) as app:
        now = app.clock()
        with app.sessions.begin() as session:
            pk = repo.ensure_company(session, company).id
            pauses.set_pause(
                session,
                pk,
                pauses.Pause(pauses.PauseKind.QUOTA, "quota exceeded", now + pauses.DEFAULT_PAUSE, now),
            )
        metrics = Metrics(pause_source=lambda: pause_figures(app.sessions, settings, app.clock()))
        text = generate_latest(metrics.registry).decode()
    assert f'syncd_company_paused{{company="{company}",kind="quota"}} 1.0' in text
    assert f'syncd_company_paused{{company="{company}",kind="auth"}} 0.0' in text
    assert f'syncd_company_paused_until_timestamp_seconds{{company="{company}"}}' in text


def test_a_misspelled_matching_key_stops_start_with_every_problem_listed(
    tmp_path: Path, clean_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[budget]\nmonthly_quotaa = 4000\n\n[[companies]]\nid = "{uuid.uuid4()}"\ntoken = "t0ken-real"\n'
        '[companies.matching]\nbank_fee_tolerence = "25"\nname_score_review = 120\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "run", "--once"]) == 2
    err = capsys.readouterr().err
    assert "3 problems in the configuration" in err
    assert "companies.0.matching.bank_fee_tolerence" in err
    assert "did you mean 'bank_fee_tolerance'" in err
    assert "companies.0.matching.name_score_review" in err
    assert "budget.monthly_quotaa" in err
    assert err.count(str(config)) == 3

    assert main(["--config", str(config), "doctor"]) == 1
    assert capsys.readouterr().out.count("[FAIL] configuration") == 3


def test_config_show_json_lists_every_value_with_its_source(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    company = str(uuid.uuid4())
    monkeypatch.setenv("SYNCD_COMPANY_ID", company)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "t0ken-not-to-print")
    monkeypatch.setenv("SYNCD_BUDGET__MONTHLY_TARGET", "900")
    code, shown = cli_json(capsys, "config", "show")
    assert code == 0
    values = {row["key"]: row for row in shown["values"]}
    assert values["budget.monthly_target"] == {
        "key": "budget.monthly_target",
        "value": 900,
        "source": "environment SYNCD_BUDGET__MONTHLY_TARGET",
    }
    assert values["bokio.deadline_s"]["value"] == "120.0"
    assert values["bokio.deadline_s"]["source"] == "default"
    assert values["companies.0.id"]["value"] == company
    assert values["companies.0.token"]["value"] == "***"
    assert "t0ken-not-to-print" not in json.dumps(shown, default=str)
    assert shown["database"] == f"sqlite file {tmp_path / 'var' / 'syncd.sqlite3'}"
    assert "./var" in values["database_url"]["source"]


@pytest.mark.integration
@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--once"],
        ["pull"],
        ["review", "list"],
        ["match"],
        ["companies", "resume", "COMPANY"],
        ["status"],
    ],
    ids=" ".join,
)
def test_an_unmigrated_database_exits_3_with_the_upgrade_hint(
    argv: list[str],
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    company = str(uuid.uuid4())
    monkeypatch.setenv("SYNCD_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SYNCD_COMPANY_ID", company)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "t0ken-real")
    assert main([company if part == "COMPANY" else part for part in argv]) == 3
    captured = capsys.readouterr()
    assert "run `syncd db upgrade`" in captured.out + captured.err
    assert "Traceback" not in captured.err
    if argv == ["status"]:
        assert company in captured.out  # the configured company, not "no companies configured"
        assert "no companies configured" not in captured.out
        assert "database: " in captured.out


@pytest.mark.integration
def test_doctor_turns_an_unknown_company_into_a_fail_line_with_a_fix(
    bokio: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_COMPANY_ID", str(uuid.uuid4()))
    assert main(["doctor"]) == 1
    captured = capsys.readouterr()
    assert "company: Bokio does not know company" in captured.out
    assert "fix: check the company id" in captured.out
    assert "[ok  ] database: " in captured.out
    assert "internal error" not in captured.err
