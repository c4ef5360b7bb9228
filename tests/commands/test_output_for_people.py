"""What a person reads: invoices by number, customer and amount; JSON without floats; typo hints.

Run through ``syncd.cli.main`` against a sandbox served over HTTP and a real database (both legs).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.cli import COMMANDS, build_parser, main
from syncd.sandbox import Sandbox
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    TOKEN,
    Harness,
    accept_allocations,
    make_sandbox,
    publish_invoices,
    serving,
)


@pytest.fixture
def pushed_world(
    database: Database, monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, Any]
) -> Iterator[tuple[Harness, list[str]]]:
    """Two accepted allocations waiting in the outbox, their invoices mirrored by `syncd pull`."""
    sandbox: Sandbox = make_sandbox()
    with serving(sandbox) as server:
        harness = Harness(database.sessions, sandbox, server.url)
        monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
        monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
        monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
        monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", server.url)
        monkeypatch.setenv("SYNCD_LOG_LEVEL", "WARNING")
        invoices = publish_invoices(sandbox, 2)
        assert main(["pull"]) == 0
        accept_allocations(database.sessions, sandbox, invoices)
        try:
            yield harness, invoices
        finally:
            harness.close()


def _numbers(sandbox: Sandbox, invoices: list[str]) -> list[str]:
    with sandbox.lock:
        books = sandbox.books(COMPANY)
        return [str(books.invoice(i)["invoiceNumber"]) for i in invoices]


def _text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_push_dry_run_outbox_list_and_undo_name_invoices_by_number_customer_and_amount(
    pushed_world: tuple[Harness, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    harness, invoices = pushed_world
    numbers = _numbers(harness.sandbox, invoices)
    # 1 250,00 SEK: 1 000 + 25 % VAT, in the Swedish format
    outputs = {
        "push --dry-run": _text(capsys, "push", "--dry-run"),
        "outbox list": _text(capsys, "outbox", "list"),
        "undo --dry-run": "",
    }
    allocation_id = json.loads(_text(capsys, "outbox", "list", "--json"))["commands"][0]["allocation_id"]
    pushed = _text(capsys, "push")  # undo deletes what a push created
    assert "outbox: 10 done" in pushed, pushed
    outputs["undo --dry-run"] = _text(capsys, "undo", str(allocation_id), "--dry-run")

    for name, out in outputs.items():
        assert not any(invoice in out for invoice in invoices), f"{name} shows a UUID:\n{out}"
        assert f"invoice {numbers[0]} (Fjällbygg AB, 1 250,00 SEK)" in out, f"{name}:\n{out}"
        assert "{" not in out, f"{name} prints a Python repr:\n{out}"
    assert "would send" in outputs["push --dry-run"]
    assert "would delete" in outputs["undo --dry-run"]


def _floats(value: Any, where: str = "$") -> list[str]:
    if isinstance(value, float):
        return [f"{where} = {value!r}"]
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in _floats(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [hit for index, item in enumerate(value) for hit in _floats(item, f"{where}[{index}]")]
    return []


REPORTING = (
    ("status",),
    ("companies", "list"),
    ("config", "show"),
    ("budget",),
    ("db", "current"),
    ("pull", "--dry-run"),
    ("match", "--dry-run"),
    ("review", "list"),
    ("review", "unmatched"),
    ("review", "duplicates"),
    ("push", "--dry-run"),
    ("outbox", "list"),
)


def test_every_reporting_command_prints_one_json_object_without_a_single_float(
    pushed_world: tuple[Harness, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in REPORTING:
        out = _text(capsys, *argv, "--json")
        data = json.loads(out)  # the standard parser: any Decimal written as a number becomes a float
        assert isinstance(data, dict), f"{argv} prints a bare {type(data).__name__}, not an object"
        assert not _floats(data), f"{argv} prints floats: {_floats(data)}"
    planned = json.loads(_text(capsys, "push", "--dry-run", "--json"))["companies"][0]["commands"]
    amounts = [c["invoice"]["amount"] for c in planned]
    assert amounts
    assert set(amounts) == {"1250.00"}  # exact decimal strings


def test_a_mistyped_command_gets_a_suggestion_at_every_level(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, suggestion in ((["stauts"], "'status'"), (["review", "lsit"], "'list'")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert f"did you mean {suggestion}?" in capsys.readouterr().err


def test_the_light_command_table_matches_what_each_command_module_registers() -> None:
    parser = build_parser()  # every module imported
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    registered = {a.dest: a.help for a in subparsers._choices_actions}
    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}


def test_help_version_and_a_typo_start_without_sqlalchemy_alembic_or_pydantic() -> None:
    probe = (
        "import sys, syncd.cli\n"
        "for argv in (['--help'], ['--version']):\n"
        "    syncd.cli.build_parser(argv)\n"
        "print(','.join(m for m in ('difflib', 'traceback') if m in sys.modules))\n"  # error paths only
        "syncd.cli.build_parser(['stauts'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'alembic', 'pydantic'})\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["", ""]


def test_review_commands_start_without_alembic_or_the_bokio_client() -> None:
    probe = (
        "import sys, syncd.cli\n"
        "syncd.cli.build_parser(['review', 'show', '1'])\n"
        "client = ('alembic', 'syncd.bokio.client', 'syncd.bokio.engine', 'syncd.bokio.auth', 'httpx')\n"
        "print(','.join(sorted(m for m in client if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a person after `syncd demo` (SQLite), and a proposal waiting for review."""
    workdir = tmp_path_factory.mktemp("demo") / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    subprocess.run(
        [sys.executable, "-m", "syncd", "demo", "--workdir", str(workdir), "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    with sqlite3.connect(workdir / "syncd.sqlite3") as db:
        (company,) = db.execute("select bokio_company_id from companies").fetchone()
    env.update(
        SYNCD_DATABASE_URL=f"sqlite:///{workdir / 'syncd.sqlite3'}",
        SYNCD_COMPANY_ID=str(company),
        SYNCD_BOKIO_TOKEN="not-used",
        SYNCD_LOG_LEVEL="WARNING",
    )
    listed = subprocess.run(
        [sys.executable, "-m", "syncd", "review", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    env["PROPOSAL"] = str(json.loads(listed.stdout)["proposals"][0]["allocations"][0]["id"])
    return env


def _modules_after(argv: list[str], env: dict[str, str], modules: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run ``syncd argv`` in a fresh interpreter: what it printed, and which of ``modules`` it imported."""
    probe = (
        "import contextlib, io, json, sys, syncd.cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = syncd.cli.main({argv!r})\n"
        "assert code == 0, code\n"
        f"print(json.dumps([out.getvalue(), [m for m in {modules!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    printed, imported = json.loads(done.stdout)
    return str(printed), list(imported)


def test_review_show_imports_only_what_it_shows(demo_env: dict[str, str]) -> None:
    # the real command on the demo's SQLite database: parser, settings, logging, engine, query, output
    unwanted = (
        "syncd.bankfiles.camt",
        "syncd.bankfiles.bgmax",
        "syncd.bankfiles.psp",
        "syncd.bankfiles.csv_bank",
        "syncd.bankfiles.camt_entry",  # reached through ingest.linking
        "syncd.match.engine",
        "syncd.allocations.inputs",  # the matcher's inputs: only `review accept` re-checks them
        "syncd.allocations.reversals",
        "syncd.allocations.unmatched",
        "syncd.allocations.undo",
        "syncd.ingest.linking",
        "syncd.ingest.duplicates",
        "syncd.commands.review_bank",
        "syncd.bokio.client",  # the write types it names are light; the client is not
        "syncd.bokio.engine",
        "httpx",
        "alembic",
        "rich",
        "sqlalchemy.dialects.postgresql",
    )
    printed, imported = _modules_after(["review", "show", demo_env["PROPOSAL"]], demo_env, unwanted)
    assert f"#{demo_env['PROPOSAL']} invoice" in printed
    assert imported == []


def test_status_reads_the_schema_revision_without_alembic_and_logs_without_rich(
    demo_env: dict[str, str],
) -> None:
    printed, imported = _modules_after(["status"], demo_env, ("alembic", "mako", "rich"))
    assert re.search(r"schema: (\w+) \(head \1\)", printed), printed
    assert imported == []


def test_the_bank_file_and_matcher_packages_still_export_every_public_name_on_first_use() -> None:
    import syncd.bankfiles
    import syncd.match
    import syncd.match.explain  # a submodule named like a public function must not shadow it

    for package in (syncd.bankfiles, syncd.match):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
        with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
            getattr(package, "nonexistent")  # noqa: B009 - the name is the point
    assert syncd.bankfiles.parse_camt is syncd.bankfiles.camt.parse_camt
    assert syncd.match.propose is syncd.match.engine.propose
    assert callable(syncd.match.explain)


def test_review_list_and_show_print_every_amount_in_the_swedish_format(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = json.loads(_text(capsys, "demo", "--workdir", str(tmp_path / "demo"), "--json"))
    monkeypatch.setenv("SYNCD_DATABASE_URL", f"sqlite:///{tmp_path / 'demo' / 'syncd.sqlite3'}")
    monkeypatch.setenv("SYNCD_COMPANY_ID", demo["company"]["id"])
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "not-used")
    proposals = json.loads(_text(capsys, "review", "list", "--json"))["proposals"]
    assert proposals, "the demo leaves proposals for review"
    screens = [_text(capsys, "review", "list")] + [
        _text(capsys, "review", "show", str(p["allocations"][0]["id"])) for p in proposals
    ]
    for screen in screens:
        assert re.search(r"\d \d{3},\d{2}", screen), screen  # 6 343,27
        assert not re.search(r"\b\d+\.\d{2}\b", screen), f"an amount in another format:\n{screen}"
