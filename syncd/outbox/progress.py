"""Where a push is, for whoever shows it: :meth:`Pusher.drain` reports each command it handled.

The pusher only reports; ``syncd push`` draws a progress bar from it on a terminal, while the
log keeps the pusher's own ``outbox.progress`` lines (every ``progress_every`` commands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PushProgress:
    """One command handled by a drain, and how many it has handled so far (this one included)."""

    company_id: int
    handled: int
    command_id: int
    kind: str
    invoice_id: str
    outcome: str
    """What became of it: ``done``, ``retry``, ``unknown``, ``failed`` or ``pause``."""


PushProgressHook = Callable[[PushProgress], None]
