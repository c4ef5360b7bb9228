"""Parse the next batch in a thread while the caller writes the current one.

An import alternates between Python work (the parser, the rows' COPY text) and waiting for the
database (PostgreSQL's COPY, candidate query and insert run in its own process). Waiting releases
the GIL, so a parser thread that reads ahead keeps this process busy while the database works: the
import then runs at the speed of the parse plus the row work instead of their sum with the
database's. Only the thread iterates the stream; the caller owns the session and its transaction
as before. At most ``depth`` batches wait in the queue, so memory stays flat. An exception in the
parser (a :class:`~syncd.errors.ParseError`, a size limit) is raised in the caller, at the batch
where it happened; when the caller stops early (its own error, a generator closed), the thread is
told to stop and joined before the caller goes on, so nobody reads the stream while it is parsed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

_WAIT = 0.05  # seconds a blocked producer waits between looks at the stop flag


class _End:
    """The producer's last message: the stream ended, or raised ``error``."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Producer(Generic[T]):
    """The thread's side: iterate ``items`` into a bounded queue until done or told to stop."""

    def __init__(self, items: Iterable[T], depth: int) -> None:
        self.items = items
        self.queue: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()

    def run(self) -> None:
        error: BaseException | None = None
        try:
            for item in self.items:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            error = exc
        self._put(_End(error))

    def _put(self, message: T | _End) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(message, timeout=_WAIT)
            except queue.Full:
                continue
            return True
        return False


def read_ahead(items: Iterable[T], depth: int = 2, *, name: str = "syncd-read-ahead") -> Generator[T]:
    """``items`` in order, produced by a thread up to ``depth`` items ahead of the caller."""
    producer = _Producer(items, depth)
    thread = threading.Thread(target=producer.run, name=name, daemon=True)
    thread.start()
    try:
        while True:
            message = producer.queue.get()
            if isinstance(message, _End):
                if message.error is not None:
                    raise message.error
                return
            yield message
    finally:
        producer.stop.set()
        thread.join()
