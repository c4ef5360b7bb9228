"""The bank inbox: a folder where files are dropped; each is imported, then archived or quarantined.

A file is moved only after its import committed, so a crash in between leaves it in the inbox;
the next scan finds its bytes already imported (``duplicate_file``) and simply archives it.
Files still being written are left alone: dot-files, ``*.part`` / ``*.tmp``, and anything
modified in the last two seconds. A quarantined file gets a ``<name>.error.txt`` beside it saying
where (line or XPath), why, and how to fix it when that is obvious.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from syncd.bankfiles import CsvMapping
from syncd.clock import business_date
from syncd.ingest.importer import ImportReport, ImportStatus, import_file
from syncd.logging import get_logger

log = get_logger(__name__)

ARCHIVE = "archive"
QUARANTINE = "quarantine"
PARTIAL_SUFFIXES = (".part", ".tmp")
SETTLE_SECONDS = 2.0


def inbox_files(inbox_dir: Path, *, now: dt.datetime) -> list[Path]:
    """Regular files ready to import, oldest first (mtime, then name)."""
    ready: list[tuple[float, str, Path]] = []
    cutoff = now.timestamp() - SETTLE_SECONDS
    for entry in os.scandir(inbox_dir):
        if entry.name.startswith(".") or entry.name.endswith(PARTIAL_SUFFIXES):
            continue
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode) or info.st_mtime > cutoff:
            continue
        ready.append((info.st_mtime, entry.name, Path(entry.path)))
    return [path for _mtime, _name, path in sorted(ready)]


def unique_destination(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name-1``, ``name-2`` … before the suffix when taken."""
    candidate = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 0
    while candidate.exists() or candidate.with_name(candidate.name + ".error.txt").exists():
        counter += 1
        candidate = directory / f"{stem}-{counter}{suffix}"
    return candidate


def move_into(path: Path, directory: Path) -> Path:
    """Move ``path`` into ``directory`` without overwriting anything; returns where it went."""
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        target = unique_destination(directory, path.name)
        try:
            os.link(path, target)  # fails instead of overwriting if a racing move took the name
        except FileExistsError:
            continue
        except OSError:  # file systems without hard links: best effort
            os.replace(path, target)
            return target
        path.unlink()
        return target


def error_text(report: ImportReport) -> str:
    """The human-readable reason a file was quarantined (written to ``<name>.error.txt``)."""
    lines = [
        f"file:     {report.file}",
        f"format:   {report.format or 'not recognised'}",
        f"location: {report.error_location or 'whole file'}",
        f"error:    {report.error}",
    ]
    if report.hint:
        lines.append(f"fix:      {report.hint}")
    others = [p for p in report.problems if p.message != report.error]
    if others:
        lines.append("other problems:")
        lines += [f"  {p.severity.value}: {p.location}: {p.message}" for p in others]
    lines.append(f"sha256:   {report.content_hash}")
    return "\n".join(lines) + "\n"


def settle(path: Path, inbox_dir: Path, report: ImportReport, *, now: dt.datetime) -> Path | None:
    """Archive or quarantine ``path`` after its import committed; a FAILED file stays put."""
    if report.status is ImportStatus.QUARANTINED:
        target = move_into(path, inbox_dir / QUARANTINE)
        target.with_name(target.name + ".error.txt").write_text(error_text(report), encoding="utf-8")
        return target
    if report.status in {ImportStatus.IMPORTED, ImportStatus.DUPLICATE_FILE}:
        return move_into(path, inbox_dir / ARCHIVE / business_date(now).isoformat())
    return None


def scan_inbox(
    sessions: sessionmaker[Session],
    company_bokio_id: str,
    inbox_dir: Path,
    *,
    max_bytes: int,
    now: dt.datetime,
    csv_mapping: CsvMapping | None = None,
) -> list[ImportReport]:
    """Import every ready file in ``inbox_dir`` (one transaction each), then move it.

    A database that went away stops the scan (every file would fail; the next run retries). Any
    other unexpected error is logged, the file left in place with a ``failed`` report, and the
    scan goes on, so one odd file cannot block the inbox.
    """
    reports: list[ImportReport] = []
    for path in inbox_files(inbox_dir, now=now):
        try:
            report = import_file(
                sessions, company_bokio_id, path, max_bytes=max_bytes, csv_mapping=csv_mapping
            )
        except OperationalError:
            raise
        except Exception as exc:  # batch boundary: log, count, go on (style §15)
            log.exception("ingest.file_failed", company=company_bokio_id, file=path.name)
            reports.append(
                ImportReport(file=path.name, format=None, status=ImportStatus.FAILED, error=repr(exc))
            )
            continue
        moved = settle(path, inbox_dir, report, now=now)
        log.info(
            "ingest.file",
            company=company_bokio_id,
            file=path.name,
            status=report.status.value,
            added=report.added,
            known=report.already_known,
            moved_to=str(moved) if moved else None,
        )
        reports.append(report)
    return reports
