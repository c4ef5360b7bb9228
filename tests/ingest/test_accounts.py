"""A company owns its files (issue 12, acceptance 3): one inbox per company, and each file's account
must be one of the company's — configured, or learned from its first files — or it is quarantined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.cli import main
from syncd.errors import ConfigError
from syncd.ingest.importer import ImportStatus
from syncd.ingest.inbox import scan_inbox
from syncd.ingest.tables import LearnedBankAccount
from syncd.settings import load_settings
from tests.conftest import Database
from tests.ingest.builders import (
    ACCOUNT,
    BANKGIRO,
    COMPANY,
    GOLDEN,
    bankgiro_notification,
    batch_statement,
)
from tests.ingest.conftest import NOW, counts, drop, files

FOREIGN_IBAN = "SE35 5000 0000 0549 1000 0003"
TOKEN = "a-real-looking-bokio-token-0001"


def scan(database: Database, inbox: Path, bank_accounts: tuple[str, ...] = ()) -> dict[str, Any]:
    reports = scan_inbox(
        database.sessions,
        COMPANY,
        inbox,
        max_bytes=DEFAULT_MAX_BYTES,
        now=NOW,
        bank_accounts=bank_accounts,
    )
    return {r.file: r for r in reports}


def foreign_statement() -> bytes:
    """Another company's camt.053: the same layout, someone else's account."""
    return batch_statement("2026-11-25").replace(ACCOUNT.encode(), FOREIGN_IBAN.encode())


def test_two_companies_sharing_one_inbox_are_refused_at_start_naming_both_and_the_folder(
    tmp_path: Path, clean_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bank" / "shared").mkdir(parents=True)
    config = tmp_path / "syncd.toml"
    config.write_text(
        f"""
[[companies]]
id = "11111111-1111-4111-8111-111111111111"
name = "Alfa AB"
token = "{TOKEN}"
bank_inbox = "{tmp_path}/bank/shared"

[[companies]]
id = "22222222-2222-4222-8222-222222222222"
name = "Beta AB"
token = "{TOKEN}"
bank_inbox = "{tmp_path}/bank/other/../shared/"
""",
        encoding="utf-8",
    )

    with pytest.raises(ConfigError) as refused:
        load_settings({}, config_path=config)

    message = str(refused.value)
    assert "Alfa AB" in message
    assert "Beta AB" in message
    assert str(tmp_path / "bank" / "shared") in message
    assert "give each company its own bank_inbox" in message
    assert main(["--config", str(config), "run", "--once"]) == 2
    assert "share the bank inbox" in capsys.readouterr().err
    assert main(["--config", str(config), "doctor", "--offline"]) == 1
    assert "[FAIL] configuration: companies Alfa AB" in capsys.readouterr().out


def test_a_file_for_another_account_is_quarantined_with_the_reason_and_the_companys_own_files_import(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "stmt-own.xml", batch_statement(), age_s=90)
    drop(inbox, "bgmax-own.txt", (GOLDEN / "bgmax_two_sections.txt").read_bytes(), age_s=80)
    drop(inbox, "stmt-foreign.xml", foreign_statement(), age_s=70)
    accounts = ("83279-123456789-0", "5050-1055")  # the same accounts, written differently

    reports = scan(database, inbox, accounts)

    assert {name: r.status for name, r in reports.items()} == {
        "stmt-own.xml": ImportStatus.IMPORTED,
        "bgmax-own.txt": ImportStatus.IMPORTED,
        "stmt-foreign.xml": ImportStatus.QUARANTINED,
    }
    reason = reports["stmt-foreign.xml"].error or ""
    assert f"file is for account {FOREIGN_IBAN}" in reason
    assert "83279-123456789-0, 5050-1055 (configured in bank_accounts)" in reason
    assert "add it to bank_accounts" in reason
    note = (inbox / "quarantine" / "stmt-foreign.xml.error.txt").read_text(encoding="utf-8")
    assert f"file is for account {FOREIGN_IBAN}" in note
    rows = {f.filename: f for f in files(database)}
    assert rows["stmt-foreign.xml"].status == "quarantined"
    assert FOREIGN_IBAN in (rows["stmt-foreign.xml"].error or "")
    assert rows["stmt-own.xml"].info["accounts"] == {"check": "configured", "accounts": [ACCOUNT]}
    own = reports["stmt-own.xml"].added + reports["bgmax-own.txt"].added
    assert counts(database)["transactions"] == own  # nothing of the foreign file


def test_without_configured_accounts_the_first_files_teach_the_company_its_accounts_and_doctor_shows_them(
    database: Database,
    tmp_path: Path,
    clean_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "bg-1126.xml", bankgiro_notification(), age_s=90)
    drop(inbox, "stmt-1126.xml", batch_statement(), age_s=80)
    first = scan(database, inbox)
    other_bankgiro = bankgiro_notification("2026-11-25").replace(BANKGIRO.encode(), b"9912346")
    drop(inbox, "bg-other.xml", other_bankgiro, age_s=70)
    drop(inbox, "stmt-foreign.xml", foreign_statement(), age_s=60)
    drop(inbox, "stmt-1127.xml", batch_statement("2026-11-27"), age_s=50)

    later = scan(database, inbox)

    assert [r.status for r in first.values()] == [ImportStatus.IMPORTED, ImportStatus.IMPORTED]
    assert {name: r.status for name, r in later.items()} == {
        "bg-other.xml": ImportStatus.QUARANTINED,
        "stmt-foreign.xml": ImportStatus.QUARANTINED,
        "stmt-1127.xml": ImportStatus.IMPORTED,
    }
    assert "learned from its first files" in (later["bg-other.xml"].error or "")
    with database.sessions() as session:
        learned = session.scalars(select(LearnedBankAccount.written).order_by(LearnedBankAccount.id)).all()
    assert learned == [BANKGIRO, ACCOUNT]

    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_BANK_INBOX", str(inbox))
    assert main(["doctor", "--offline", "--json"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    shown = checks[f"{COMPANY} bank accounts"]["detail"]
    assert f"{BANKGIRO}, {ACCOUNT} (learned from its first files)" in shown


def test_a_file_that_names_no_account_is_imported_and_recorded_as_unchecked(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "seb.csv", (GOLDEN / "seb_utf8bom.csv").read_bytes())

    (report,) = scan(database, inbox, ("5050-1055",)).values()

    assert report.status is ImportStatus.IMPORTED
    assert any("names no account" in p.message for p in report.problems)
    (row,) = files(database)
    assert row.info["accounts"] == {"check": "unchecked", "accounts": []}


def test_syncd_import_obeys_the_company_accounts_too(
    database: Database,
    tmp_path: Path,
    clean_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    foreign = tmp_path / "foreign.xml"
    foreign.write_bytes(foreign_statement())
    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_BANK_ACCOUNTS", f"{ACCOUNT}, {BANKGIRO}")

    assert main(["import", str(foreign), "--json"]) == 1

    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert report["status"] == "quarantined"
    assert f"file is for account {FOREIGN_IBAN}" in report["error"]
    assert counts(database)["transactions"] == 0
