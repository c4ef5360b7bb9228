"""The inbox: import what is ready, archive or quarantine it after the commit, survive crashes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.ingest.importer import ImportStatus, import_file
from syncd.ingest.inbox import scan_inbox
from tests.conftest import Database
from tests.ingest.builders import COMPANY, GOLDEN, bankgiro_notification, batch_statement
from tests.ingest.conftest import NOW, counts, drop, files


def scan(database: Database, inbox: Path):
    return scan_inbox(database.sessions, COMPANY, inbox, max_bytes=DEFAULT_MAX_BYTES, now=NOW)


def test_imported_files_are_archived_by_date_and_bad_ones_quarantined_with_the_reason(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "bg-1126.xml", bankgiro_notification(), age_s=120)
    drop(inbox, "stmt-1126.xml", batch_statement(), age_s=60)
    broken = (
        (GOLDEN / "bgmax_two_sections.txt")
        .read_bytes()
        .replace(b"000000000001655000SEK", b"000000000001655100SEK")
    )
    drop(inbox, "bgmax-1125.txt", broken, age_s=30)

    reports = scan(database, inbox)

    assert [(r.file, r.status) for r in reports] == [
        ("bg-1126.xml", ImportStatus.IMPORTED),
        ("stmt-1126.xml", ImportStatus.IMPORTED),
        ("bgmax-1125.txt", ImportStatus.QUARANTINED),
    ]
    assert reports[1].linked_batches == 1
    day = inbox / "archive" / "2026-11-26"
    assert sorted(p.name for p in day.iterdir()) == ["bg-1126.xml", "stmt-1126.xml"]
    assert sorted(p.name for p in (inbox / "quarantine").iterdir()) == [
        "bgmax-1125.txt",
        "bgmax-1125.txt.error.txt",
    ]
    error = (inbox / "quarantine" / "bgmax-1125.txt.error.txt").read_text(encoding="utf-8")
    assert "file:     bgmax-1125.txt" in error
    assert "location: line 23" in error
    assert "deposit says 16551.00" in error
    assert "fix:" in error
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    assert counts(database)["transactions"] == 5
    assert [f.status for f in files(database)] == ["imported", "imported", "quarantined"]


def test_files_still_being_written_are_left_in_the_inbox(database: Database, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    data = bankgiro_notification()
    drop(inbox, "upload.xml.part", data)
    drop(inbox, "upload.tmp", data)
    drop(inbox, ".upload.xml", data)
    drop(inbox, "just-arrived.xml", data, age_s=0.5)
    (inbox / "subfolder").mkdir()

    assert scan(database, inbox) == []
    assert sorted(p.name for p in inbox.iterdir()) == [
        ".upload.xml",
        "just-arrived.xml",
        "subfolder",
        "upload.tmp",
        "upload.xml.part",
    ]
    assert counts(database)["files"] == 0


def test_a_crash_between_commit_and_move_is_recovered_by_archiving_the_duplicate(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    path = drop(inbox, "bg-1126.xml", bankgiro_notification())
    # the import committed, then the process died before it could move the file
    committed = import_file(database.sessions, COMPANY, path, max_bytes=DEFAULT_MAX_BYTES)
    assert committed.status is ImportStatus.IMPORTED

    (report,) = scan(database, inbox)

    assert report.status is ImportStatus.DUPLICATE_FILE
    assert not path.exists()
    assert (inbox / "archive" / "2026-11-26" / "bg-1126.xml").exists()
    assert counts(database) == {"files": 1, "transactions": 3, "payouts": 0, "charges": 0}


def test_name_clashes_in_the_archive_and_quarantine_get_a_numeric_suffix(
    database: Database, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    for round_ in range(3):
        drop(inbox, "export.xml", batch_statement(f"2026-11-2{round_}"))
        drop(inbox, "bad.xml", f"<Document>{round_}</Document>".encode())
        scan(database, inbox)

    assert sorted(p.name for p in (inbox / "archive" / "2026-11-26").iterdir()) == [
        "export-1.xml",
        "export-2.xml",
        "export.xml",
    ]
    assert sorted(p.name for p in (inbox / "quarantine").iterdir()) == [
        "bad-1.xml",
        "bad-1.xml.error.txt",
        "bad-2.xml",
        "bad-2.xml.error.txt",
        "bad.xml",
        "bad.xml.error.txt",
    ]


def test_the_archive_day_is_the_swedish_date(database: Database, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    late_evening = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # already 1 December in Stockholm
    path = inbox / "bg.xml"
    drop(inbox, "bg.xml", bankgiro_notification())

    scan_inbox(database.sessions, COMPANY, inbox, max_bytes=DEFAULT_MAX_BYTES, now=late_evening)

    assert not path.exists()
    assert (inbox / "archive" / "2026-12-01" / "bg.xml").exists()


def test_a_symlink_in_the_inbox_is_not_followed(database: Database, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "secret.xml"
    outside.write_bytes(bankgiro_notification())
    (inbox / "link.xml").symlink_to(outside)

    assert scan(database, inbox) == []
    assert outside.exists()
