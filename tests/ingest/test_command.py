"""``syncd import``: files and folders, dry run, JSON, exit codes, choosing the company."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from syncd import jsonutil
from syncd.cli import main
from tests.conftest import Database
from tests.ingest.builders import COMPANY, GOLDEN, bankgiro_notification, batch_statement
from tests.ingest.conftest import counts

OTHER_COMPANY = "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b"


@pytest.fixture
def env(database: Database, clean_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Database:
    """One configured company on the test database (made before clean_env hides the PG URL)."""
    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "bokio-test-token-8f2a")
    monkeypatch.setenv("SYNCD_LOG_LEVEL", "WARNING")
    return database


def test_a_dry_run_with_json_reports_each_file_and_writes_nothing(
    env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "stmt-1126.xml").write_bytes(batch_statement())
    (folder / "bg-1126.xml").write_bytes(bankgiro_notification())
    stripe = shutil.copy(GOLDEN / "stripe_balance_transactions.csv", tmp_path / "stripe.csv")

    code = main(["import", str(folder), str(stripe), "--dry-run", "--json"])

    assert code == 0
    out = jsonutil.loads(capsys.readouterr().out)
    assert out["dry_run"] is True
    assert out["company"] == COMPANY
    assert [(r["file"], r["format"], r["status"], r["added"]) for r in out["reports"]] == [
        ("bg-1126.xml", "camt.054", "imported", 3),
        ("stmt-1126.xml", "camt.053", "imported", 2),
        ("stripe.csv", "stripe", "imported", 0),
    ]
    assert out["reports"][1]["linked_batches"] == 0  # the dry run of bg-1126 was rolled back
    assert out["reports"][2]["payouts"] == 2
    assert out["totals"]["added"] == 5
    assert counts(env) == {"files": 0, "transactions": 0, "payouts": 0, "charges": 0}


def test_an_import_prints_one_line_per_file_and_exits_1_when_one_is_quarantined(
    env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "bg.xml"
    good.write_bytes(bankgiro_notification())
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Document><Oops/></Document>")

    code = main(["import", str(good), str(bad)])

    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith("imported")
    assert "camt.054" in out[0]
    assert "bg.xml: added 3, known 0, linked 0" in out[0]
    assert out[1].startswith("quarantined")
    assert "line 1: unrecognised file format" in out[2]
    assert out[-1].startswith("2 files: 1 imported, 0 duplicate, 1 quarantined; added 3 transactions")
    assert counts(env)["transactions"] == 3


def test_importing_again_reports_the_file_as_a_duplicate(
    env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bg.xml"
    path.write_bytes(bankgiro_notification())
    assert main(["import", str(path)]) == 0
    capsys.readouterr()

    assert main(["import", str(path), "--json"]) == 0

    (report,) = jsonutil.loads(capsys.readouterr().out)["reports"]
    assert (report["status"], report["added"]) == ("duplicate_file", 0)


def test_the_format_option_skips_detection(
    env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shutil.copy(GOLDEN / "seb_utf8bom.csv", tmp_path / "export.csv")

    assert main(["import", str(path), "--format", "csv-swedbank", "--json"]) == 1

    (report,) = jsonutil.loads(capsys.readouterr().out)["reports"]
    assert report["status"] == "quarantined"


def test_without_company_and_several_configured_the_error_names_the_choices(
    database: Database, clean_env: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "syncd.toml"
    companies = "".join(
        f'[[companies]]\nid = "{c}"\ntoken = "bokio-token-{c[:4]}"\n' for c in (COMPANY, OTHER_COMPANY)
    )
    config.write_text(f'database_url = "{database.url}"\n{companies}', encoding="utf-8")
    path = tmp_path / "bg.xml"
    path.write_bytes(bankgiro_notification())

    code = main(["--config", str(config), "import", str(path)])

    err = capsys.readouterr().err
    assert code == 2
    assert COMPANY in err
    assert OTHER_COMPANY in err
    assert main(["--config", str(config), "import", str(path), "--company", OTHER_COMPANY]) == 0


def test_a_missing_path_is_a_usage_error(
    env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nowhere.xml")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
