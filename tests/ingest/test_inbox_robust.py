"""The inbox never blocks (issue 12, acceptance 4): a long name, a slow writer, a symlink, a folder or
a FIFO each leave every other file imported, and a missing inbox is an error, not created."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.cli import main
from syncd.ingest.importer import ImportReport, ImportStatus
from syncd.ingest.inbox import InboxMissingError, InboxWatch, scan_inbox
from tests.conftest import Database
from tests.ingest.builders import COMPANY, GOLDEN, bankgiro_notification, batch_statement
from tests.ingest.conftest import NOW, counts, drop, files

ARCHIVE = Path("archive") / "2026-11-26"


def scan(
    database: Database, inbox: Path, *, at: dt.datetime = NOW, watch: InboxWatch | None = None
) -> dict[str, ImportReport]:
    reports = scan_inbox(
        database.sessions, COMPANY, inbox, max_bytes=DEFAULT_MAX_BYTES, now=at, watch=watch, quiet_s=5
    )
    return {r.file: r for r in reports}


def test_a_name_too_long_for_the_archive_is_shortened_there_and_kept_whole_in_the_note_and_database(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    long_good = "camt054-" + "å" * 100 + "-" + "x" * 40 + ".xml"  # 250 characters, 350 bytes
    long_bad = "bgmax-" + "b" * 244 + ".txt"  # 254 characters: its note would be 264
    drop(inbox, long_good, bankgiro_notification(), age_s=90)
    drop(inbox, long_bad, b"01BGMAX truncated", age_s=80)
    drop(inbox, "stmt.xml", batch_statement(), age_s=70)

    reports = scan(database, inbox)

    assert {name: r.status for name, r in reports.items()} == {
        long_good: ImportStatus.IMPORTED,
        long_bad: ImportStatus.QUARANTINED,
        "stmt.xml": ImportStatus.IMPORTED,
    }
    (archived_long,) = [p for p in (inbox / ARCHIVE).iterdir() if p.name != "stmt.xml"]
    assert archived_long.name.startswith("camt054-åå")
    assert archived_long.suffix == ".xml"
    assert len(archived_long.name.encode()) <= 200
    (note,) = (inbox / "quarantine").glob("*.error.txt")
    assert f"file:     {long_bad}" in note.read_text(encoding="utf-8")
    assert sorted(f.filename for f in files(database)) == sorted([long_good, long_bad, "stmt.xml"])
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []


def test_a_slow_writer_is_waited_for_until_its_file_was_still_for_the_quiet_period(
    database: Database, tmp_path: Path
) -> None:
    """The writer's clock is behind (an SMB share): its mtime looks old, but the size keeps changing."""
    inbox = tmp_path / "inbox"
    complete = bankgiro_notification()
    drop(inbox, "stmt.xml", batch_statement(), age_s=60)
    slow = drop(inbox, "bg-slow.xml", complete[:500], age_s=3)  # just started
    watch = InboxWatch()

    first = scan(database, inbox, watch=watch)
    slow.write_bytes(complete[:1500])
    os.utime(slow, (NOW.timestamp() - 3, NOW.timestamp() - 3))  # the writer's clock: mtime unchanged
    second = scan(database, inbox, at=NOW + dt.timedelta(seconds=4), watch=watch)
    slow.write_bytes(complete)
    os.utime(slow, (NOW.timestamp() - 3, NOW.timestamp() - 3))
    third = scan(database, inbox, at=NOW + dt.timedelta(seconds=8), watch=watch)
    fourth = scan(database, inbox, at=NOW + dt.timedelta(seconds=14), watch=watch)

    assert {name: r.status for name, r in first.items()} == {"stmt.xml": ImportStatus.IMPORTED}
    assert second == {}  # still for more than 5 s by its mtime, but it grew since the last scan
    assert third == {}  # grew again: the quiet period starts over
    assert fourth["bg-slow.xml"].status is ImportStatus.IMPORTED
    assert (inbox / ARCHIVE / "bg-slow.xml").read_bytes() == complete
    assert not (inbox / "quarantine").exists()
    assert [f.status for f in files(database)] == ["imported", "imported"]


def test_a_file_written_within_the_quiet_period_is_left_and_a_still_broken_one_is_quarantined(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "bg-writing.xml", bankgiro_notification()[:700], age_s=4)
    drop(inbox, "stmt.xml", batch_statement(), age_s=60)

    first = scan(database, inbox)
    later = scan(database, inbox, at=NOW + dt.timedelta(seconds=2))

    assert set(first) == {"stmt.xml"}
    assert later["bg-writing.xml"].status is ImportStatus.QUARANTINED  # still for 6 s, still cut short
    assert (inbox / "quarantine" / "bg-writing.xml.error.txt").exists()


def run_with_deadline(work: Any, seconds: float = 60) -> Any:
    """Run ``work`` in a thread; a scan that opened a FIFO would never return."""
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(value=work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the scan blocked"
    return outcome["value"]


def test_symlinks_folders_and_fifos_are_reported_once_never_opened_and_every_other_file_imports(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    outside = tmp_path / "elsewhere.xml"
    outside.write_bytes(bankgiro_notification("2026-11-20"))
    drop(inbox, "bg.xml", bankgiro_notification(), age_s=90)
    (inbox / "link.xml").symlink_to(outside)
    os.mkfifo(inbox / "pipe.xml")
    (inbox / "2026-11").mkdir()
    drop(inbox, "stmt.xml", batch_statement(), age_s=60)
    drop(inbox, "bgmax.txt", (GOLDEN / "bgmax_two_sections.txt").read_bytes(), age_s=50)

    watch = InboxWatch()  # the daemon keeps one per company across scans
    with capture_logs() as events:
        first = run_with_deadline(lambda: scan(database, inbox, watch=watch))
        later = NOW + dt.timedelta(seconds=30)
        again = run_with_deadline(lambda: scan(database, inbox, at=later, watch=watch))

    assert {name: r.status for name, r in first.items()} == {
        "bg.xml": ImportStatus.IMPORTED,
        "stmt.xml": ImportStatus.IMPORTED,
        "bgmax.txt": ImportStatus.IMPORTED,
    }
    assert again == {}
    skipped = sorted((e["file"], e["kind"]) for e in events if e["event"] == "ingest.entry_skipped")
    assert skipped == [("2026-11", "folder"), ("link.xml", "symlink"), ("pipe.xml", "FIFO")]
    assert (inbox / "link.xml").is_symlink()
    assert (inbox / "pipe.xml").exists()
    assert outside.exists()
    assert len(files(database)) == 3


def test_a_missing_inbox_is_an_error_for_the_scan_and_doctor_and_is_not_created(
    database: Database,
    tmp_path: Path,
    clean_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inbox = tmp_path / "inbox-typo"

    with pytest.raises(InboxMissingError, match="does not exist"):
        scan(database, inbox)

    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "a-real-looking-bokio-token-0001")
    monkeypatch.setenv("SYNCD_BANK_INBOX", str(inbox))
    assert main(["doctor", "--offline", "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    check = checks[f"{COMPANY} bank inbox"]
    assert check["status"] == "fail"
    assert "does not exist" in check["detail"]
    assert not inbox.exists()
    assert counts(database)["files"] == 0
