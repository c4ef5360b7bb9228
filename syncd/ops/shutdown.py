"""Graceful SIGTERM/SIGINT: ask the loop to stop, let the current unit of work finish.

The signal handler only sets a :class:`threading.Event`. The scheduler stops starting new
work, jobs check :attr:`ShutdownSignal.requested` between pages or outbox items, commit what
they have, and the process exits 0 within ``TimeoutStopSec`` / ``terminationGracePeriodSeconds``
(daemon-ops §5.5). Nothing is logged inside the handler: it runs between two bytecodes of
whatever the main thread was doing, possibly while that thread holds the logging lock.

A second signal raises :class:`KeyboardInterrupt` in the main thread, for an operator who
pressed Ctrl-C twice and does not want to wait (the CLI exits 130).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

HandlerType = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class ShutdownSignal:
    """An event set by SIGTERM/SIGINT (or :meth:`request`); ``install`` from the main thread."""

    def __init__(
        self,
        signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
        *,
        force_on_second: bool = True,
    ) -> None:
        self._signals = tuple(signals)
        self._force_on_second = force_on_second
        self._event = threading.Event()
        self._reason: str | None = None
        self._previous: dict[signal.Signals, HandlerType] = {}

    @property
    def requested(self) -> bool:
        """True once shutdown was asked for; check it between units of work."""
        return self._event.is_set()

    @property
    def reason(self) -> str | None:
        """``SIGTERM``, ``SIGINT`` or the reason given to :meth:`request`."""
        return self._reason

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until shutdown is requested or ``timeout`` passes; True if requested.

        Use it instead of ``time.sleep`` in loops, so a stop request cuts the sleep short.
        """
        return self._event.wait(timeout)

    def request(self, reason: str = "requested") -> None:
        """Ask for shutdown from code (a fatal error in a job, a test)."""
        if self._reason is None:
            self._reason = reason
        self._event.set()

    def install(self) -> ShutdownSignal:
        """Install the handlers, remembering the previous ones; main thread only (Python's rule)."""
        for signum in self._signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def uninstall(self) -> None:
        """Restore the handlers that were there before :meth:`install`."""
        for signum, previous in self._previous.items():
            # None means "not installed from Python": the default is the closest we can restore
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous.clear()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._event.is_set() and self._force_on_second:
            raise KeyboardInterrupt(f"second {signal.Signals(signum).name}: stopping without waiting")
        self.request(signal.Signals(signum).name)

    def __enter__(self) -> ShutdownSignal:
        return self.install()

    def __exit__(self, *_exc: object) -> None:
        self.uninstall()
