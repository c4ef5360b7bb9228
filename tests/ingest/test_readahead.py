"""The import reads the next batches in a thread while it writes the current one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from syncd.errors import ParseError
from syncd.ingest.readahead import read_ahead


def _numbers(count: int, produced: list[int], threads: set[str]) -> Iterator[int]:
    for number in range(count):
        threads.add(threading.current_thread().name)
        produced.append(number)
        yield number


def test_read_ahead_hands_over_every_item_in_order_from_another_thread() -> None:
    produced: list[int] = []
    threads: set[str] = set()

    got = list(read_ahead(_numbers(50, produced, threads), depth=2, name="parser"))

    assert got == list(range(50))
    assert threads == {"parser"}
    assert threading.current_thread().name not in threads


def test_a_parse_error_reaches_the_caller_after_the_batches_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ParseError("not a date: '2026-13-01'", location="/Document/Ntry[3]")

    got: list[int] = []

    def take_all() -> None:
        got.extend(read_ahead(failing()))

    with pytest.raises(ParseError, match="not a date") as raised:
        take_all()

    assert got == [1, 2]
    assert raised.value.location == "/Document/Ntry[3]"


def test_a_caller_that_stops_early_stops_the_reader_before_it_goes_on() -> None:
    produced: list[int] = []
    threads: set[str] = set()
    items = read_ahead(_numbers(10_000, produced, threads), depth=2, name="stopped-reader")

    for item in items:
        if item == 3:
            break
    items.close()  # what leaving the import's transaction does to the generator

    assert not any(t.name == "stopped-reader" for t in threading.enumerate())
    # at most the queue's depth, the one in its hands and the one being put were read past 3
    assert len(produced) <= 4 + 2 + 2


def test_an_error_in_the_caller_leaves_no_reader_thread_behind() -> None:
    produced: list[int] = []
    threads: set[str] = set()

    def write_all() -> None:
        for item in read_ahead(_numbers(10_000, produced, threads), name="abandoned-reader"):
            if item == 5:
                raise RuntimeError("the database refused the batch")

    with pytest.raises(RuntimeError, match="refused"):
        write_all()

    assert not any(t.name == "abandoned-reader" for t in threading.enumerate())
    assert len(produced) < 10_000
