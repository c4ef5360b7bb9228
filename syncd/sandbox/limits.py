"""Bokio's limits (reference §3.5): rolling rate window per token, monthly quota per company,
one in-flight write per (method, path), plus the request log and high-water marks."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass
class Limits:
    """Configurable limits; ``None`` disables one.

    ``concurrency_key`` decides what "one write per (method, path)" means: ``"template"``
    (default, conservative: two payments to different invoices collide) or ``"path"``.
    """

    rate_limit: int | None = 200
    rate_window_seconds: float = 60.0
    monthly_quota: int | None = 5000
    concurrent_writes: bool = True
    concurrency_key: Literal["template", "path"] = "template"


class RateWindow:
    """Rolling window of request times per token."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[datetime]] = {}

    def check(self, token: str, now: datetime, limit: int, window: float) -> tuple[bool, int, int]:
        """Count a request; returns ``(allowed, remaining, retry_after_seconds)``."""
        hits = self._hits.setdefault(token, deque())
        horizon = now - timedelta(seconds=window)
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= limit:
            wait = (hits[0] + timedelta(seconds=window) - now).total_seconds()
            return False, 0, max(1, math.ceil(wait))
        hits.append(now)
        return True, limit - len(hits), 0

    def reset(self) -> None:
        self._hits.clear()


def month_key(now: datetime) -> str:
    """Quota month in Stockholm time, e.g. ``2026-03``."""
    return now.astimezone(STOCKHOLM).strftime("%Y-%m")


def seconds_to_next_month(now: datetime) -> int:
    """Seconds until the next Stockholm month starts (the quota's ``Retry-After``)."""
    local = now.astimezone(STOCKHOLM)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return max(1, math.ceil((nxt - local).total_seconds()))


@dataclass
class LogEntry:
    """One handled request as the admin log shows it (tokens are never logged)."""

    seq: int
    time: str
    method: str
    path: str
    template: str
    status: int
    company: str | None
    write: bool
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Counters:
    """Per-company counts: total, per status, writes, per quota month; in-flight high-water marks."""

    requests: int = 0
    writes: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class InFlight:
    """In-flight requests per company and per (method, path key), with high-water marks."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, str], int] = {}
        self.high_water: dict[tuple[str, str], int] = {}

    def enter(self, key: tuple[str, str]) -> int:
        self.current[key] = self.current.get(key, 0) + 1
        self.high_water[key] = max(self.high_water.get(key, 0), self.current[key])
        return self.current[key]

    def leave(self, key: tuple[str, str]) -> None:
        self.current[key] -= 1
        if not self.current[key]:
            del self.current[key]

    def busy(self, key: tuple[str, str]) -> bool:
        return self.current.get(key, 0) > 0

    def reset(self) -> None:
        self.current.clear()
        self.high_water.clear()
