"""Liveness from a heartbeat, readiness from the database.

Liveness answers "is this process wedged?" and must never depend on the database: a slow
database would otherwise get every replica restarted at once (daemon-ops §5.3). The scheduler
beats the :class:`Heartbeat` from its own loop, so a stuck scheduler stops beating even though
the HTTP thread is still answering; the same beat should drive the systemd watchdog.

Readiness answers "may this replica count as rolled out?": the database answers ``SELECT 1``
within a short timeout and its schema is at the Alembic head this code was shipped with. The
daemon never migrates on its own; ``syncd db upgrade`` (a Job, or ``ExecStartPre``) does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from syncd import migrate
from syncd.db import make_engine
from syncd.errors import SyncdError
from syncd.logging import REDACTOR

Clock = Callable[[], float]


class Heartbeat:
    """A thread-safe "last seen alive" timestamp on a monotonic clock.

    Construction counts as the first beat, so a process that has just started is healthy for
    ``stale_after`` seconds before its scheduler must prove itself.
    """

    def __init__(self, *, stale_after: float, clock: Clock = time.monotonic) -> None:
        if stale_after <= 0:
            raise ValueError("stale_after must be positive")
        self._stale_after = stale_after
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._beats = 0

    @property
    def stale_after(self) -> float:
        """Seconds without a beat after which the process counts as wedged."""
        return self._stale_after

    @property
    def beats(self) -> int:
        """How many times :meth:`beat` was called (for logs and tests)."""
        with self._lock:
            return self._beats

    def beat(self) -> None:
        """Record that the loop is alive now."""
        now = self._clock()
        with self._lock:
            self._last = now
            self._beats += 1

    def age(self) -> float:
        """Seconds since the last beat (never negative)."""
        now = self._clock()
        with self._lock:
            return max(0.0, now - self._last)

    def is_fresh(self) -> bool:
        """True while the last beat is younger than ``stale_after``."""
        return self.age() < self._stale_after


@dataclass(frozen=True, slots=True)
class Readiness:
    """The outcome of one readiness check; ``reason`` says what an operator should do."""

    ready: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The body ``/readyz`` returns."""
        return {"status": "ready" if self.ready else "not ready", "reason": self.reason, **self.details}


class DatabaseReadiness:
    """Checks that the database answers and is at the schema head; a callable for the server.

    It owns a small engine without a pool, built with driver-level timeouts, so a probe never
    waits behind the jobs for a pooled connection and never hangs longer than ``timeout_s``
    (plus connection set-up) on a database that stopped answering.
    """

    def __init__(self, database_url: str, *, timeout_s: float = 2.0) -> None:
        self._url = database_url
        self._timeout_s = timeout_s
        self._head: str | None = None
        self._head_known = False
        self._engine = self._make_engine()

    def _make_engine(self) -> Engine:
        backend = make_url(self._url).get_backend_name()
        connect_args: dict[str, Any]
        if backend == "postgresql":
            connect_args = {
                "connect_timeout": max(1, math.ceil(self._timeout_s)),
                "options": f"-c statement_timeout={int(self._timeout_s * 1000)}",
            }
        elif backend == "sqlite":
            connect_args = {"timeout": self._timeout_s}
        else:
            connect_args = {}
        return make_engine(self._url, poolclass=NullPool, connect_args=connect_args)

    def _sqlite_missing(self) -> Path | None:
        url = make_url(self._url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        path = Path(url.database)
        return None if path.exists() else path

    def head(self) -> str | None:
        """The head revision of the shipped migrations (read once: it cannot change at run time)."""
        if not self._head_known:
            self._head = migrate.head_revision()
            self._head_known = True
        return self._head

    def __call__(self) -> Readiness:
        missing = self._sqlite_missing()
        if missing is not None:  # connecting would create an empty file; say what to do instead
            return Readiness(False, f"database file {missing} does not exist: run `syncd db upgrade`")
        try:
            head = self.head()
        except SyncdError as exc:
            return Readiness(False, f"migrations not found: {exc}")
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = migrate.current_revision(self._engine)
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None) or exc
            first_line = (str(orig).strip().splitlines() or [""])[0]
            # the body is served over HTTP: scrub it like a log line (URLs may carry passwords)
            reason = f"database unreachable: {type(orig).__name__}: {first_line}"
            return Readiness(False, REDACTOR.scrub_text(reason))
        details = {"current": current, "head": head}
        if current != head:
            return Readiness(
                False, f"schema at {current or 'base'}, code expects {head}: run `syncd db upgrade`", details
            )
        return Readiness(True, "database reachable and schema at head", details)

    def close(self) -> None:
        """Dispose of the probe's engine."""
        self._engine.dispose()
