"""Cursor and window arithmetic, with literal before/after fixtures."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd.pull.cursors import (
    ScanProgress,
    TimestampCursor,
    advance,
    drop_seen,
    pages_for,
    query_start,
    window_start,
)

T = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


def test_an_empty_cursor_queries_everything() -> None:
    assert query_start(TimestampCursor(), dt.timedelta(minutes=10)) is None


def test_the_query_starts_a_lag_before_the_cursor_and_is_closed() -> None:
    assert query_start(TimestampCursor(T), dt.timedelta(minutes=10)) == T - dt.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("before", "rows", "run_start", "after"),
    [
        pytest.param(
            TimestampCursor(),
            [("a", T), ("b", T - S)],
            T + 5 * S,
            TimestampCursor(T, frozenset({"a"})),
            id="first run takes the newest stamp and its ids",
        ),
        pytest.param(
            TimestampCursor(T - S, frozenset({"x"})),
            [("a", T), ("b", T)],
            T,
            TimestampCursor(T - S, frozenset({"x"})),
            id="rows stamped in the run's own second do not move the cursor",
        ),
        pytest.param(
            TimestampCursor(T, frozenset({"a"})),
            [("a", T), ("b", T)],
            T + S,
            TimestampCursor(T, frozenset({"a", "b"})),
            id="a second id at the same stamp joins the boundary",
        ),
        pytest.param(
            TimestampCursor(T, frozenset({"a"})),
            [("z", T - 60 * S)],
            T + S,
            TimestampCursor(T, frozenset({"a"})),
            id="rows from the lag window never move the cursor back",
        ),
        pytest.param(
            TimestampCursor(T, frozenset({"a"})),
            [("n", None)],
            T + S,
            TimestampCursor(T, frozenset({"a"})),
            id="rows without a stamp are ignored",
        ),
        pytest.param(
            TimestampCursor(T, frozenset({"a"})),
            [("c", T + 3 * S), ("d", T + 9 * S)],
            T + 9 * S + dt.timedelta(milliseconds=400),
            TimestampCursor(T + 3 * S, frozenset({"c"})),
            id="capped at the run start: the signpost second stays open",
        ),
    ],
)
def test_the_cursor_advances_by_the_rules(
    before: TimestampCursor,
    rows: list[tuple[str, dt.datetime | None]],
    run_start: dt.datetime,
    after: TimestampCursor,
) -> None:
    assert advance(before, rows, run_start) == after


def test_boundary_rows_seen_before_are_dropped_others_kept() -> None:
    cursor = TimestampCursor(T, frozenset({"a"}))
    rows = [("a", T), ("b", T), ("a", T + S), ("c", T - S)]
    assert drop_seen(cursor, rows) == [("b", T), ("a", T + S), ("c", T - S)]


def test_a_cursor_survives_its_json_round_trip() -> None:
    cursor = TimestampCursor(T, frozenset({"b", "a"}))
    assert cursor.to_json() == {"value": "2026-03-02T09:00:00+00:00", "boundary_ids": ["a", "b"]}
    assert TimestampCursor.from_json(cursor.to_json()) == cursor
    assert TimestampCursor.from_json(None) == TimestampCursor()


def test_scan_progress_accumulates_pages_and_round_trips() -> None:
    before = ScanProgress(kind="open", query="status==published", started_at=T)
    after = before.after_page(1, ["a", "b"], last=False).after_page(2, ["c"], last=True)
    assert (after.page, after.next_page, after.seen, after.pages_done) == (2, 3, frozenset("abc"), True)
    assert ScanProgress.from_json(after.to_json()) == after


def test_window_and_page_arithmetic() -> None:
    assert window_start(dt.date(2026, 3, 2), 30) == dt.date(2026, 1, 31)
    assert [pages_for(n, 100) for n in (0, 99, 100, 101, 250)] == [1, 1, 1, 2, 3]
