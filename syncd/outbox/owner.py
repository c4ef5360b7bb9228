"""The port through which the outbox tells a group's owner what became of its commands.

The outbox delivers writes; it does not know what an allocation is. Every command belongs to a
group (``OutboxCommand.allocation_id``), and whoever enqueued the group implements
:class:`CommandOwner` (:class:`syncd.allocations.lifecycle.AllocationLifecycle`). Each method is
called inside the transaction that records the step, after the command row is updated; it must
not commit, and it may not call Bokio (side effects come after the commit).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

from syncd.outbox.tables import OutboxCommand


class CommandOwner(Protocol):
    """Told of each command's end: done, refused, cancelled or retried by a person."""

    def command_done(self, session: Session, command: OutboxCommand, now: dt.datetime, *, last: bool) -> None:
        """``command`` is done (its ``result`` holds Bokio's ids); ``last``: none of its group is open."""

    def command_failed(self, session: Session, command: OutboxCommand, now: dt.datetime) -> None:
        """Bokio refused ``command`` (``command.error``); its group's later commands are cancelled."""

    def command_cancelled(self, session: Session, command: OutboxCommand, now: dt.datetime) -> None:
        """A person cancelled ``command``; its group's later commands are cancelled too."""

    def command_retried(self, session: Session, command: OutboxCommand, now: dt.datetime) -> None:
        """A person sent a failed or cancelled ``command`` (and its later ones) back to ``pending``."""
