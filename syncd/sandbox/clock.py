"""Clocks the sandbox can be given: tests and the admin route move time without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class ManualClock:
    """A clock that only moves when told to; calls return aware UTC datetimes."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("clock start must be timezone-aware")
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        with self._lock:
            self._now = when.astimezone(UTC)
            return self._now


class SystemClock(ManualClock):
    """Wall-clock time plus an adjustable offset (the served sandbox's default)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self._offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        self._offset += timedelta(seconds=seconds)
        return self()

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        self._offset = when - datetime.now(UTC)
        return self()
