"""A progress bar for long commands on a terminal (``pull``, ``push``); logs carry progress otherwise.

rich is imported only when a bar is drawn: a command in a pipe, a log or ``--json`` never loads it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


class TerminalBar:
    """A transient rich bar on stderr: a description, done of total, and the time spent."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: Any = None

    def start(self, description: str, total: int | None) -> None:
        """Show the bar (``total`` None: the count alone, no estimate to fill)."""
        self._progress.start()
        self._task = self._progress.add_task(description, total=total)

    def update(self, completed: int, description: str) -> None:
        """Redraw now: each step of a long command is slow enough to be worth a frame."""
        if self._task is not None:
            self._progress.update(self._task, completed=completed, description=description, refresh=True)

    def stop(self) -> None:
        """Erase the bar (the command prints its summary after it); the next start draws a new one."""
        self._progress.stop()
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None


def terminal_bar(args: argparse.Namespace) -> TerminalBar | None:
    """A bar when a person watches stderr, and the command prints text (not ``--json``)."""
    if getattr(args, "json", False) or not sys.stderr.isatty():
        return None
    return TerminalBar()
