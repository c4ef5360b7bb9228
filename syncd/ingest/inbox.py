"""The bank inbox: a folder where files are dropped; each is imported, then archived or quarantined.

A file is moved only after its import committed, so a crash in between leaves it in the inbox;
the next scan finds its bytes already imported (``duplicate_file``) and simply archives it.

Nothing in the inbox can block it:

- A file is imported only once its size and mtime have been still for the quiet period
  (``[ingest] quiet_period_s``), measured from its mtime and from any change a scan saw itself
  (:class:`InboxWatch`), so a writer that pauses is not caught half way. A file that changes while
  it is being imported is left for the next scan, never quarantined for being incomplete; a file
  that stayed still and does not parse is quarantined, with ``<name>.error.txt`` beside it saying
  where (line or XPath), why, and how to fix it when that is obvious.
- Dot-files and ``*.part`` / ``*.tmp`` are a writer's work in progress and are left alone.
- Symlinks, folders, FIFOs and other non-regular entries are reported once and never opened
  (opening a FIFO would block the scan).
- Every per-file step (import, archive, quarantine, error note) runs inside the per-file error
  handling; a name too long for the archive gets a shortened, still unique name there, while the
  error note and the database keep the original.
- A missing inbox is an error (:class:`InboxMissingError`), not silently created: a typo in
  ``bank_inbox`` must not look like a quiet bank.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from syncd.bankfiles import CsvMapping
from syncd.clock import business_date
from syncd.errors import SyncdError
from syncd.ingest import reversals
from syncd.ingest.importer import ImportReport, ImportStatus, ensure_company_id, import_file
from syncd.ingest.tables import BankFile
from syncd.logging import get_logger

log = get_logger(__name__)

ARCHIVE = "archive"
QUARANTINE = "quarantine"
OWN_FOLDERS = frozenset({ARCHIVE, QUARANTINE})
PARTIAL_SUFFIXES = (".part", ".tmp")
QUIET_PERIOD_S = 5.0
NOTE_SUFFIX = ".error.txt"
MAX_NAME_BYTES = 200
"""Archive/quarantine names are kept under this many bytes: NAME_MAX (255) leaves room for a
``-NNN`` clash counter and the ``.error.txt`` note beside the file."""


class InboxMissingError(SyncdError):
    """The configured inbox folder does not exist (or is not a folder)."""

    def __init__(self, inbox_dir: Path) -> None:
        self.inbox_dir = inbox_dir
        super().__init__(
            f"bank inbox {inbox_dir} does not exist or is not a folder; create it (writable by syncd) "
            "or correct bank_inbox"
        )


class _Stamp(NamedTuple):
    """What identifies a version of a file without reading it."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, info: os.stat_result) -> _Stamp:
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)


@dataclass
class InboxWatch:
    """What scans of one inbox remember between runs: when each file last changed, what was reported.

    A daemon keeps one per company so that a file whose size or mtime changed between two scans
    waits a full quiet period from the moment the change was *seen*, even if the writer's clock
    (an NFS or SMB server) says the file is old. A fresh watch (``syncd run --once``) relies on the
    mtime alone.
    """

    _stamps: dict[str, tuple[_Stamp, float]] = field(default_factory=dict)
    _reported: dict[str, str] = field(default_factory=dict)

    def last_change(self, name: str, stamp: _Stamp, *, now: float) -> float:
        """When ``name`` last changed as far as anyone can tell: its mtime or a change a scan saw."""
        seen = self._stamps.get(name)
        if seen is None or seen[0] != stamp:
            changed = stamp.mtime_ns / 1e9 if seen is None else max(now, stamp.mtime_ns / 1e9)
            self._stamps[name] = (stamp, changed)
            return changed
        return seen[1]

    def changed(self, name: str, stamp: _Stamp, *, now: float) -> None:
        """Record that ``name`` changed at ``now`` (seen while importing it)."""
        self._stamps[name] = (stamp, max(now, stamp.mtime_ns / 1e9))

    def report_once(self, name: str, kind: str) -> bool:
        """True the first time ``name`` is seen as ``kind`` (a symlink, folder, FIFO …)."""
        if self._reported.get(name) == kind:
            return False
        self._reported[name] = kind
        return True

    def forget_except(self, names: set[str]) -> None:
        """Drop what is remembered about entries no longer in the inbox."""
        for memory in (self._stamps, self._reported):
            for gone in set(memory) - names:
                del memory[gone]


def _kind(mode: int) -> str | None:
    """What a non-regular entry is, for the report; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device or other special file"


def inbox_files(
    inbox_dir: Path,
    *,
    now: dt.datetime,
    quiet_s: float = QUIET_PERIOD_S,
    watch: InboxWatch | None = None,
) -> list[Path]:
    """Regular files whose size and mtime were still for ``quiet_s``, oldest first (mtime, then name).

    Entries that are not regular files are logged once per ``watch`` and never opened.
    """
    if not inbox_dir.is_dir():
        raise InboxMissingError(inbox_dir)
    watch = watch if watch is not None else InboxWatch()
    clock = now.timestamp()
    ready: list[tuple[int, str, Path]] = []
    present: set[str] = set()
    for entry in os.scandir(inbox_dir):
        present.add(entry.name)
        if entry.name.startswith(".") or entry.name.endswith(PARTIAL_SUFFIXES):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # gone between listing and looking
            continue
        kind = _kind(info.st_mode)
        if kind is not None:
            if not (kind == "folder" and entry.name in OWN_FOLDERS) and watch.report_once(entry.name, kind):
                log.warning(
                    "ingest.entry_skipped",
                    inbox=str(inbox_dir),
                    file=entry.name,
                    kind=kind,
                    why="only regular files are imported; move the real file into the inbox",
                )
            continue
        if clock - watch.last_change(entry.name, _Stamp.of(info), now=clock) < quiet_s:
            continue
        ready.append((info.st_mtime_ns, entry.name, Path(entry.path)))
    watch.forget_except(present)
    return [path for _mtime, _name, path in sorted(ready)]


def safe_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` if short enough, else a shortened one that keeps its start, suffix and identity.

    >>> safe_name("camt.xml")
    'camt.xml'
    >>> len(safe_name("x" * 300 + ".xml").encode())
    200
    """
    if len(name.encode()) <= limit:
        return name
    suffix = Path(name).suffix
    if len(suffix.encode()) > 16:
        suffix = ""
    tag = "~" + hashlib.sha256(name.encode()).hexdigest()[:10]
    budget = limit - len(suffix.encode()) - len(tag)
    stem = name.encode()[:budget].decode("utf-8", errors="ignore")  # cut on a character boundary
    return f"{stem}{tag}{suffix}"


def unique_destination(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name-1``, ``name-2`` … before the suffix when taken."""
    name = safe_name(name)
    candidate = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 0
    while candidate.exists() or candidate.with_name(candidate.name + NOTE_SUFFIX).exists():
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
        target.with_name(target.name + NOTE_SUFFIX).write_text(error_text(report), encoding="utf-8")
        return target
    if report.status in {ImportStatus.IMPORTED, ImportStatus.DUPLICATE_FILE}:
        return move_into(path, inbox_dir / ARCHIVE / business_date(now).isoformat())
    return None


def _open_safely(path: Path) -> _Stamp:
    """The file's stamp, checked through a non-blocking, no-follow open: a regular file or an error.

    The listing already skipped FIFOs and symlinks; this closes the gap of an entry swapped for one
    between the listing and the import.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path.name} is no longer a regular file")
    return _Stamp.of(info)


def _stamp_now(path: Path) -> _Stamp | None:
    try:
        return _Stamp.of(path.lstat())
    except FileNotFoundError:
        return None


def _forget_quarantine(sessions: sessionmaker[Session], company_bokio_id: str, digest: str) -> None:
    """Drop the quarantine row of bytes that turned out to be a file still being written."""
    company_id = ensure_company_id(sessions, company_bokio_id)
    with sessions.begin() as session:
        session.execute(
            delete(BankFile).where(
                BankFile.company_id == company_id,
                BankFile.content_hash == digest,
                BankFile.status == ImportStatus.QUARANTINED.value,
            )
        )


def scan_inbox(
    sessions: sessionmaker[Session],
    company_bokio_id: str,
    inbox_dir: Path,
    *,
    max_bytes: int,
    now: dt.datetime,
    csv_mapping: CsvMapping | None = None,
    quiet_s: float = QUIET_PERIOD_S,
    watch: InboxWatch | None = None,
    bank_accounts: Sequence[str] = (),
    stripe_reference_keys: Sequence[str] | None = None,
    bookings: reversals.Bookings | None = None,
) -> list[ImportReport]:
    """Import every ready file in ``inbox_dir`` (one transaction each), then move it.

    A database that went away stops the scan (every file would fail; the next run retries). Any
    other error in any step of one file is logged, the file left where it is with a ``failed``
    report, and the scan goes on, so one odd file cannot block the inbox. A file that changed
    while it was imported is not moved (and not reported): the next scan takes it again.
    """
    watch = watch if watch is not None else InboxWatch()
    reports: list[ImportReport] = []
    for path in inbox_files(inbox_dir, now=now, quiet_s=quiet_s, watch=watch):
        try:
            report = _scan_one(
                sessions,
                company_bokio_id,
                path,
                inbox_dir,
                max_bytes=max_bytes,
                now=now,
                csv_mapping=csv_mapping,
                watch=watch,
                bank_accounts=bank_accounts,
                stripe_reference_keys=stripe_reference_keys,
                bookings=bookings,
            )
        except OperationalError:
            raise
        except Exception as exc:  # batch boundary: log, count, go on (style §15)
            log.exception("ingest.file_failed", company=company_bokio_id, file=path.name)
            reports.append(
                ImportReport(file=path.name, format=None, status=ImportStatus.FAILED, error=repr(exc))
            )
            continue
        if report is not None:
            reports.append(report)
    return reports


def _scan_one(
    sessions: sessionmaker[Session],
    company_bokio_id: str,
    path: Path,
    inbox_dir: Path,
    *,
    max_bytes: int,
    now: dt.datetime,
    csv_mapping: CsvMapping | None,
    watch: InboxWatch,
    bank_accounts: Sequence[str],
    stripe_reference_keys: Sequence[str] | None,
    bookings: reversals.Bookings | None,
) -> ImportReport | None:
    """Import, then archive or quarantine, one file; None when it changed under the import."""
    before = _open_safely(path)
    report = import_file(
        sessions,
        company_bokio_id,
        path,
        max_bytes=max_bytes,
        csv_mapping=csv_mapping,
        bank_accounts=bank_accounts,
        stripe_reference_keys=stripe_reference_keys,
        bookings=bookings,
    )
    after = _stamp_now(path)
    if after != before:
        if after is not None:
            watch.changed(path.name, after, now=now.timestamp())
        if report.status is ImportStatus.QUARANTINED and report.content_hash:
            _forget_quarantine(sessions, company_bokio_id, report.content_hash)
        log.info(
            "ingest.file_still_changing",
            company=company_bokio_id,
            file=path.name,
            status=report.status.value,
            why="the file changed while it was imported; it stays for the next scan",
        )
        return report if report.status is ImportStatus.IMPORTED else None
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
    return report
