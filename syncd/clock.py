"""Business dates are Europe/Stockholm dates; stored instants are UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def business_date(instant: dt.datetime) -> dt.date:
    """The Swedish calendar date of an aware instant.

    >>> business_date(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC))
    datetime.date(2026, 12, 1)
    """
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    return instant.astimezone(STOCKHOLM).date()


def month_bounds(instant: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (UTC) of the Stockholm calendar month containing ``instant``.

    The monthly request quota is per calendar month; Bokio does not say in which time zone,
    so we take the company's own (Swedish) month.
    """
    local = instant.astimezone(STOCKHOLM)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ISO 8601 instant as an aware UTC datetime; empty is None.

    The one parser for timestamps syncd reads or stored (Bokio's, cursors', tokens'): ``Z`` and
    offsets are honoured, a naive value is taken as UTC (how syncd writes them). Bank files have
    their own time-zone rules and do not use it.

    >>> parse_timestamp("2026-03-02T09:00:00Z").isoformat()
    '2026-03-02T09:00:00+00:00'
    >>> parse_timestamp("2026-03-02T10:00:00+01:00").isoformat()
    '2026-03-02T09:00:00+00:00'
    >>> parse_timestamp("2026-03-02T09:00:00").isoformat()
    '2026-03-02T09:00:00+00:00'
    """
    if not value:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
