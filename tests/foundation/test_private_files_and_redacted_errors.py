"""What syncd leaves on disk and on the terminal (issue 12): the SQLite database and its WAL files
are private to the service user, and the CLI's error line is scrubbed like every log line."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from syncd.cli import main
from syncd.db import make_engine

TOKEN = "bokio-private-token-7f3a9c2e11d04b"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_its_wal_files_are_created_readable_by_the_owner_only(
    tmp_path: Path, clean_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "state" / "syncd.sqlite3"
    monkeypatch.setenv("SYNCD_DATABASE_URL", f"sqlite:///{database}")
    previous = os.umask(0o022)  # the usual umask would make new files world-readable
    try:
        assert main(["db", "upgrade"]) == 0
        engine = make_engine(f"sqlite:///{database}")
        try:
            with engine.connect() as connection:  # WAL mode: -wal and -shm exist while connected
                connection.execute(text("CREATE TABLE probe (x INTEGER)"))
                connection.commit()
                wal = database.with_name(database.name + "-wal")
                shm = database.with_name(database.name + "-shm")
                assert {p.name: mode(p) for p in (database, wal, shm)} == {
                    "syncd.sqlite3": 0o600,
                    "syncd.sqlite3-wal": 0o600,
                    "syncd.sqlite3-shm": 0o600,
                }
        finally:
            engine.dispose()
    finally:
        os.umask(previous)


def test_an_existing_world_readable_sqlite_file_is_tightened_on_open(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)

    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()

    assert mode(database) == 0o600


def test_a_cli_error_that_contains_a_token_prints_it_redacted(
    tmp_path: Path,
    clean_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SYNCD_DATABASE_URL", f"sqlite:///{tmp_path / 'syncd.sqlite3'}")
    monkeypatch.setenv("SYNCD_COMPANY_ID", "5f0c3d1e-6a2b-4c7d-9e8f-0a1b2c3d4e5f")
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    statement = tmp_path / "camt.xml"
    statement.write_bytes(b"<Document/>")

    # the operator pasted the token where the company id belongs
    assert main(["import", "--company", TOKEN, str(statement)]) == 2

    err = capsys.readouterr().err
    assert "syncd: configuration error: company *** is not configured" in err
    assert TOKEN not in err
