"""Client-side limits so syncd never provokes Bokio's (reference §3.5).

One :class:`RateLimiter` per bearer token, shared by every client using that token (Bokio counts
per token): a sliding log allowing at most ``max_requests`` in any ``window_s`` (200 / 60 s), a
pause that every thread honours after a 429/Retry-After, and one lock per (method, path template)
so at most one write per path is in flight (Bokio answers 429 ``concurrency-limit-exceeded``
otherwise). Keying on the *template* (``/invoices/{invoiceId}/payments``) is stricter than
Bokio's per-URL rule; that also gives the outbox "one write per invoice" for free.

Clock and sleep are injected, so tests run 450 requests through a fake clock in milliseconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_PREFIXES = ("Bokio-RateLimit-", "X-Bokio-RateLimit-")


@dataclass(frozen=True)
class RateLimitSnapshot:
    """Last rate-limit headers Bokio sent (either the current or the legacy ``X-`` names)."""

    limit: int | None = None
    remaining: int | None = None
    reset: str | None = None
    retry_after: float | None = None
    seen_at: float | None = None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for prefix in _PREFIXES:
        value = headers.get(prefix + name)
        if value is not None:
            return value
    return None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def parse_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait: ``Bokio-RateLimit-RetryAfter`` first, then ``Retry-After`` (seconds or HTTP date)."""
    for value in (_header(headers, "RetryAfter"), headers.get("Retry-After")):
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        return max(0.0, (when - now).total_seconds())
    return None


class RateLimiter:
    """Sliding-log request limiter, shared write locks and a global pause, for one token."""

    def __init__(
        self,
        *,
        max_requests: int = 200,
        window_s: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if max_requests < 1 or window_s <= 0:
            raise ValueError("max_requests must be >= 1 and window_s > 0")
        self.max_requests = max_requests
        self.window_s = window_s
        self.clock = clock
        self.sleep = sleep
        self._log: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._write_locks: dict[tuple[str, str], threading.Lock] = {}
        self.last_seen = RateLimitSnapshot()

    def _wait_needed(self, now: float) -> float:
        while self._log and self._log[0] <= now - self.window_s:
            self._log.popleft()
        waits = [self._paused_until - now]
        if len(self._log) >= self.max_requests:
            waits.append(self._log[0] + self.window_s - now)
        return max(waits)

    def acquire(self) -> float:
        """Block until a request may start, then count it. Returns seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._log.append(now)
                    return waited
            self.sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Hold every request on this token for ``seconds`` (after a 429 / Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)

    def observe(self, headers: Mapping[str, str], retry_after: float | None = None) -> None:
        """Remember Bokio's rate-limit headers from any response."""
        limit, remaining = _int(_header(headers, "Limit")), _int(_header(headers, "Remaining"))
        reset = _header(headers, "Reset")
        if limit is None and remaining is None and reset is None and retry_after is None:
            return
        with self._lock:
            self.last_seen = RateLimitSnapshot(limit, remaining, reset, retry_after, self.clock())

    @contextmanager
    def write_slot(self, method: str, path_template: str) -> Iterator[None]:
        """Hold the one in-flight slot for writes to (method, path template)."""
        key = (method.upper(), path_template)
        with self._lock:
            lock = self._write_locks.setdefault(key, threading.Lock())
        with lock:
            yield

    def in_window(self) -> int:
        """Requests counted in the current window (for metrics and tests)."""
        with self._lock:
            self._wait_needed(self.clock())
            return len(self._log)
