"""A long import says how far it is: a log line per batch (info for a big file) and a hook for a bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.ingest import importer
from syncd.ingest.importer import ImportProgress, ImportStatus, import_file
from tests.conftest import Database
from tests.ingest.builders import COMPANY
from tests.ingest.test_streamed_csv_psp import _seb


def test_a_big_streamed_file_logs_its_progress_after_every_batch_at_info(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seb.csv"
    path.write_bytes(_seb(23))
    monkeypatch.setattr(importer, "PROGRESS_LOG_BYTES", path.stat().st_size)  # this file counts as big
    told: list[ImportProgress] = []

    with capture_logs() as events:
        report = import_file(
            database.sessions,
            COMPANY,
            path,
            max_bytes=DEFAULT_MAX_BYTES,
            batch_size=5,
            on_progress=told.append,
        )

    assert report.status is ImportStatus.IMPORTED, report
    lines = [e for e in events if e["event"] == "import.progress"]
    assert [e["records"] for e in lines] == [5, 10, 15, 20, 23]
    assert {e["log_level"] for e in lines} == {"info"}
    assert all(e["file"] == "seb.csv" and e["size"] == path.stat().st_size for e in lines)
    assert lines[-1]["bytes_read"] == path.stat().st_size
    assert [t.records for t in told] == [5, 10, 15, 20, 23]


def test_a_small_file_keeps_its_progress_at_debug(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "seb.csv"
    path.write_bytes(_seb(12))

    with capture_logs() as events:
        import_file(database.sessions, COMPANY, path, max_bytes=DEFAULT_MAX_BYTES, batch_size=5)

    lines = [e for e in events if e["event"] == "import.progress"]
    assert [e["records"] for e in lines] == [5, 10, 12]
    assert {e["log_level"] for e in lines} == {"debug"}
