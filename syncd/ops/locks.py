"""Who may run what: a try-lock per (company, job), and one daemon per SQLite file.

PostgreSQL: a session-level ``pg_try_advisory_lock(key1, key2)`` held on a dedicated
connection in autocommit mode (no transaction left idle while the job runs). Replicas and an
admin rerun share companies by try-lock: whoever gets the lock runs, the others skip this tick
(design §6). A session lock dies with its connection, so a crashed replica cannot leave one
behind. Take it on a direct connection, never through PgBouncer in transaction mode.

SQLite: one daemon per database file (:func:`instance_lock`), and per (company, job) an
``flock`` on a file in ``<db file>.locks/``, so an admin command in another process, or
another thread of the daemon, cannot run the same job at once. ``flock`` belongs to the open
file, so it excludes threads of one process too, and the kernel drops it when the process dies.
Lock files are left in place on purpose: deleting one while another process waits on it
would let two processes lock two different files of the same name.

A lock decides who may *start*. It does not make side effects idempotent: the outbox claim
must stay safe on its own (daemon-ops §1.3).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from syncd.errors import ConfigError
from syncd.logging import get_logger

log = get_logger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
_MEMORY_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


class AlreadyRunningError(ConfigError):
    """A second daemon was started on the same SQLite file."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(f"another syncd daemon is already running on {path} ({who})")


def _int32(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:4], "big", signed=True)


def lock_keys(company_id: str, job: str) -> tuple[int, int]:
    """The two ``int4`` advisory-lock keys for (company, job): stable across processes and releases.

    Prefixed so another application's advisory locks on the same database are unlikely to
    collide; company ids are compared case-insensitively (they are UUIDs).
    """
    return _int32(f"syncd:company:{company_id.strip().lower()}"), _int32(f"syncd:job:{job}")


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for in-memory SQLite or another backend."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


@contextmanager
def company_job_lock(engine: Engine, company_id: str, job: str) -> Iterator[bool]:
    """Try to take the (company, job) lock without waiting; yield whether it was acquired.

    ``with company_job_lock(engine, cid, "poll") as acquired: if not acquired: return``.
    The lock is released on exit, also when the body raises.
    """
    backend = engine.dialect.name
    if backend == "postgresql":
        with _pg_lock(engine, company_id, job) as acquired:
            yield acquired
    elif backend == "sqlite":
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        if path is None:
            with _memory_lock(company_id, job) as acquired:
                yield acquired
        else:
            name = f"{_SAFE_NAME.sub('_', job)}.{_SAFE_NAME.sub('_', company_id.strip().lower())}.lock"
            with _file_lock(path.with_name(path.name + ".locks") / name) as held:
                yield held is not None
    else:
        raise ConfigError(f"job locks are not implemented for {backend}; use PostgreSQL or SQLite")


@contextmanager
def _pg_lock(engine: Engine, company_id: str, job: str) -> Iterator[bool]:
    key1, key2 = lock_keys(company_id, job)
    with engine.connect() as raw:
        connection = raw.execution_options(isolation_level="AUTOCOMMIT")
        acquired = bool(
            connection.scalar(text("SELECT pg_try_advisory_lock(:k1, :k2)"), {"k1": key1, "k2": key2})
        )
        try:
            yield acquired
        finally:
            if acquired:
                _pg_unlock(connection, key1, key2, company_id, job)


def _pg_unlock(connection: Connection, key1: int, key2: int, company_id: str, job: str) -> None:
    try:
        released = connection.scalar(text("SELECT pg_advisory_unlock(:k1, :k2)"), {"k1": key1, "k2": key2})
    except SQLAlchemyError:
        released = False
    if not released:
        # the session that held it is gone or confused: closing it is the one sure release
        log.warning("locks.unlock_failed", company=company_id, job=job)
        connection.invalidate()


@contextmanager
def _memory_lock(company_id: str, job: str) -> Iterator[bool]:
    with _MEMORY_GUARD:
        lock = _MEMORY_LOCKS.setdefault((company_id.strip().lower(), job), threading.Lock())
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


@contextmanager
def _file_lock(path: Path) -> Iterator[int | None]:
    """``flock`` ``path`` without waiting; yield the open descriptor, or None if held elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            yield None
            return
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def instance_lock(database_url: str) -> Iterator[Path | None]:
    """Hold the daemon's SQLite file for its lifetime; raise :class:`AlreadyRunningError` if taken.

    SQLite serves one daemon (design §6). The lock file ``<db file>.lock`` holds the owner's pid
    for the error message. A no-op (yielding None) on PostgreSQL, where replicas are welcome.
    """
    path = sqlite_path(database_url)
    if path is None:
        yield None
        return
    lock_path = path.with_name(path.name + ".lock")
    with _file_lock(lock_path) as fd:
        if fd is None:
            raise AlreadyRunningError(path, _read_pid(lock_path))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield lock_path
        finally:
            os.ftruncate(fd, 0)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
