"""The push, outbox and undo commands, run through ``syncd.cli.main`` against a served sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from syncd.cli import main
from tests.conftest import Database
from tests.outbox.world import COMPANY, TOKEN, Harness, accept_allocations, allocations, publish_invoices


@pytest.fixture
def cli_env(
    database: Database, harness: Harness, monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, Any]
) -> Harness:
    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", harness.base_url)
    monkeypatch.setenv("SYNCD_LOG_LEVEL", "WARNING")
    return harness


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_push_dry_run_lists_the_commands_and_the_calls_they_would_make(
    cli_env: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    accept_allocations(cli_env.sessions, cli_env.sandbox, publish_invoices(cli_env.sandbox, 2))

    report = _json(capsys, "push", "--dry-run", "--json")

    (company,) = report["companies"]
    assert [c["kind"] for c in company["commands"][:5]] == [
        "create_payment",
        "record_payment",
        "create_settlement",
        "record_settlement",
        "tag_journal_entries",
    ]
    assert company["calls"] == 2 * 6 + 3  # 6 writes each (paidAmount/status derived); tag set-up once
    assert len(cli_env.sandbox.log) == 0


def test_push_sends_everything_and_undo_then_push_takes_it_back(
    cli_env: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    invoices = publish_invoices(cli_env.sandbox, 2)
    accept_allocations(cli_env.sessions, cli_env.sandbox, invoices)

    pushed = _json(capsys, "push", "--json")["companies"][0]
    allocation = allocations(cli_env.sessions)[0]
    plan = _json(capsys, "undo", str(allocation.id), "--dry-run", "--json")
    _json(capsys, "undo", str(allocation.id), "--json")
    undone = _json(capsys, "push", "--json")["companies"][0]

    assert pushed["outbox"] == {"done": 10}
    assert pushed["requests"] == 2 * 6 + 3
    assert plan["calls"] == 2
    assert undone["outbox"] == {"done": 12}
    assert allocations(cli_env.sessions)[0].state == "undone"
    with cli_env.sandbox.lock:
        assert cli_env.sandbox.companies[COMPANY].payments[invoices[0]] == {}


def test_outbox_retry_and_cancel_steer_a_failed_command(
    cli_env: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    accept_allocations(cli_env.sessions, cli_env.sandbox, publish_invoices(cli_env.sandbox, 1))
    cli_env.sandbox.faults.inject("status", "/companies/*/invoices/*/settlements", method="POST", status=400)
    assert main(["push", "--json"]) == 1
    failed = _json(capsys, "outbox", "list", "--state", "failed", "--json")["commands"]
    assert [c["kind"] for c in failed] == ["create_settlement"]
    assert failed[0]["error"]["status"] == 400

    assert main(["outbox", "retry", str(failed[0]["id"])]) == 0
    pushed = _json(capsys, "push", "--json")["companies"][0]
    assert pushed["outbox"] == {"done": 5}

    assert main(["outbox", "cancel", str(failed[0]["id"])]) == 1  # done commands cannot be cancelled
