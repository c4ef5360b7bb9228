"""Pure cursor and window arithmetic for the pull streams (style practice 7).

No I/O: every function maps a small frozen state plus what a run saw to the next state, so the
rules are tested with literal before/after fixtures.

- **Timestamp cursor** (customers, the only resource with ``modifiedDateTime``): re-query with a
  *closed* start (``>=``) pushed back by a lag window, drop rows already seen exactly at the
  boundary, and never move the cursor to or past the second the run started (the signpost): a
  row stamped in that second could still be followed by another change in the same second.
- **Scan progress** (invoices and other lists without a change timestamp): page-number scans
  are not sorted by anything that survives a change, so only "which page is committed and
  which ids it held" is resumable; the scan's conclusions (vanished, soft-delete) wait for the
  last page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from syncd.clock import parse_timestamp

Row = tuple[str, dt.datetime | None]
"""``(id, modifiedDateTime)`` of one record."""


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


@dataclass(frozen=True, slots=True)
class TimestampCursor:
    """High-water mark of a modification timestamp and the ids seen exactly at it."""

    value: dt.datetime | None = None
    boundary_ids: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {"value": _iso(self.value), "boundary_ids": sorted(self.boundary_ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> TimestampCursor:
        data = data or {}
        return cls(parse_timestamp(data.get("value")), frozenset(data.get("boundary_ids") or ()))


def query_start(cursor: TimestampCursor, lag: dt.timedelta) -> dt.datetime | None:
    """Closed lower bound (``>=``) for the next query; None means "everything".

    >>> c = TimestampCursor(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    >>> query_start(c, dt.timedelta(minutes=5)).isoformat()
    '2026-03-02T08:55:00+00:00'
    """
    return cursor.value - lag if cursor.value is not None else None


def drop_seen(cursor: TimestampCursor, rows: Iterable[Row]) -> list[Row]:
    """Rows minus those already taken at the boundary (same id, same timestamp)."""
    return [
        (rid, ts)
        for rid, ts in rows
        if not (ts is not None and ts == cursor.value and rid in cursor.boundary_ids)
    ]


def signpost(run_started_at: dt.datetime) -> dt.datetime:
    """The cursor may only reach instants strictly before the second the run started.

    Bokio stamps ``modifiedDateTime`` to the second; a change in the run's own second can
    still be followed by another with the same stamp, so that second stays open.
    """
    return run_started_at.astimezone(dt.UTC).replace(microsecond=0)


def advance(cursor: TimestampCursor, rows: Iterable[Row], run_started_at: dt.datetime) -> TimestampCursor:
    """The cursor after a run that saw ``rows`` (all pages), capped at the run's signpost."""
    cap = signpost(run_started_at)
    settled = [(rid, ts) for rid, ts in rows if ts is not None and ts < cap]
    if not settled:
        return cursor
    top = max(ts for _, ts in settled)
    if cursor.value is not None and top < cursor.value:
        return cursor
    at_top = frozenset(rid for rid, ts in settled if ts == top)
    if top == cursor.value:
        return replace(cursor, boundary_ids=cursor.boundary_ids | at_top)
    return TimestampCursor(top, at_top)


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """A page scan in progress: its identity, the last committed page and the ids it held."""

    kind: str
    query: str | None
    started_at: dt.datetime
    page: int = 0
    seen: frozenset[str] = field(default_factory=frozenset)
    pages_done: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def after_page(self, page: int, ids: Iterable[str], *, last: bool) -> ScanProgress:
        """Progress once ``page`` with ``ids`` is committed."""
        return replace(self, page=page, seen=self.seen | frozenset(ids), pages_done=last)

    @property
    def next_page(self) -> int:
        return self.page + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "query": self.query,
            "started_at": _iso(self.started_at),
            "page": self.page,
            "seen": sorted(self.seen),
            "pages_done": self.pages_done,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScanProgress:
        started = parse_timestamp(data.get("started_at"))
        if started is None:
            raise ValueError("scan progress without started_at")
        return cls(
            kind=str(data["kind"]),
            query=data.get("query"),
            started_at=started,
            page=int(data.get("page") or 0),
            seen=frozenset(data.get("seen") or ()),
            pages_done=bool(data.get("pages_done")),
            extra=dict(data.get("extra") or {}),
        )


def window_start(today: dt.date, days: int) -> dt.date:
    """First ``invoiceDate`` of the recent-invoice window (inclusive).

    >>> window_start(dt.date(2026, 3, 2), 30)
    datetime.date(2026, 1, 31)
    """
    return today - dt.timedelta(days=days)


def pages_for(count: int, page_size: int) -> int:
    """Requests a listing of ``count`` rows costs (an empty listing still costs one).

    >>> [pages_for(n, 100) for n in (0, 1, 100, 101)]
    [1, 1, 1, 2]
    """
    return max(1, -(-count // page_size))
