"""A long push says how far it is: a bar on a terminal, a progress line in the log (issue 15 item 5)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from syncd.cli import main
from syncd.sandbox import Sandbox
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    TOKEN,
    accept_allocations,
    make_sandbox,
    publish_invoices,
    serving,
)

INVOICES = 6
COMMANDS = INVOICES * 5  # payment, its record, the bank fee settlement, its record, the tag


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as a person's shell is."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def waiting_push(
    database: Database, monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, Any]
) -> Iterator[list[str]]:
    """Six accepted allocations (30 commands) in the outbox, their invoices mirrored; the invoice numbers."""
    sandbox: Sandbox = make_sandbox()
    with serving(sandbox) as server:
        monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
        monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
        monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
        monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", server.url)
        monkeypatch.setenv("SYNCD_LOG_LEVEL", "WARNING")
        invoices = publish_invoices(sandbox, INVOICES)
        assert main(["pull"]) == 0
        accept_allocations(database.sessions, sandbox, invoices)
        with sandbox.lock:
            books = sandbox.books(COMPANY)
            numbers = [str(books.invoice(i)["invoiceNumber"]) for i in invoices]
        yield numbers


def test_a_long_push_in_a_log_says_every_25_commands_how_far_it_is(
    waiting_push: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--log-level", "INFO", "push"]) == 0
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    progress = [e for e in events if e["event"] == "outbox.progress"]
    assert [e["handled"] for e in progress] == [25]
    assert progress[0]["done"] == 25
    (drained,) = [e for e in events if e["event"] == "outbox.drained"]
    assert drained["handled"] == COMMANDS
    assert "━" not in err  # no bar in a log
    assert f"handled {COMMANDS} command(s)" in out


def test_a_long_push_on_a_terminal_draws_a_bar_of_commands_naming_each_invoice(
    waiting_push: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "200")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    capsys.readouterr()
    assert main(["push"]) == 0
    drawn = terminal.getvalue()
    assert f"1/{COMMANDS}" in drawn
    assert f"{COMMANDS}/{COMMANDS}" in drawn
    for number in waiting_push:
        assert f"invoice {number} (Fjällbygg AB, 1 250,00 SEK)" in drawn, drawn
    assert "create_payment invoice" in drawn
    assert f"handled {COMMANDS} command(s)" in capsys.readouterr().out  # the summary after the bar


def test_json_output_on_a_terminal_draws_no_bar(
    waiting_push: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    capsys.readouterr()
    assert main(["push", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["companies"][0]["handled"] == COMMANDS
    assert "━" not in terminal.getvalue()
