"""Helpers for the ingest tests: row counts and rows of a real (SQLite or PostgreSQL) database."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.ingest.importer import ImportReport, import_file
from syncd.ingest.tables import BankFile, BankTransaction, PspCharge, PspPayout
from tests.conftest import Database
from tests.ingest.builders import COMPANY

NOW = dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC)  # the inbox tests' "now"

TABLES = {"files": BankFile, "transactions": BankTransaction, "payouts": PspPayout, "charges": PspCharge}


def counts(database: Database) -> dict[str, int]:
    """How many rows each ingest table holds."""
    with database.sessions() as session:
        return {name: session.scalar(select(func.count()).select_from(t)) or 0 for name, t in TABLES.items()}


def transactions(database: Database) -> list[BankTransaction]:
    """Every bank transaction, oldest id first."""
    with database.sessions() as session:
        return list(session.scalars(select(BankTransaction).order_by(BankTransaction.id)))


def files(database: Database) -> list[BankFile]:
    """Every bank file row."""
    with database.sessions() as session:
        return list(session.scalars(select(BankFile).order_by(BankFile.id)))


@pytest.fixture
def importer(database: Database) -> Any:
    """``importer(bytes_or_path, name=None, **options)`` imports for the test company."""

    def run(source: Any, name: str | None = None, **options: Any) -> ImportReport:
        return import_file(
            database.sessions,
            COMPANY,
            source,
            name,
            max_bytes=options.pop("max_bytes", DEFAULT_MAX_BYTES),
            **options,
        )

    return run


def drop(inbox: Path, name: str, data: bytes, *, age_s: float = 60) -> Path:
    """A file delivered into the inbox ``age_s`` seconds before NOW."""
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    stamp = NOW.timestamp() - age_s
    os.utime(path, (stamp, stamp))
    return path
