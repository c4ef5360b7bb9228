"""What an outbox command does and where it is in its life, as enums stored by their values.

A command is ``pending`` → ``sending`` (claimed; committed before the request leaves) → ``done``,
``failed`` (Bokio refused; a person decides) or ``unknown`` (the answer was lost: read back, never
re-send blindly); ``cancelled`` by a person or because an earlier command of its group will not run.
"""

from __future__ import annotations

from enum import StrEnum


class CommandKind(StrEnum):
    """One Bokio write (or tag, or delete)."""

    RECORD_INVOICE = "record_invoice"
    CREATE_PAYMENT = "create_payment"
    RECORD_PAYMENT = "record_payment"
    CREATE_SETTLEMENT = "create_settlement"
    RECORD_SETTLEMENT = "record_settlement"
    TAG_JOURNAL_ENTRIES = "tag_journal_entries"
    DELETE_PAYMENT = "delete_payment"
    DELETE_SETTLEMENT = "delete_settlement"


class CommandState(StrEnum):
    """Where a command is; ``RUNNABLE`` ones are claimed, ``OPEN`` ones keep their group open."""

    PENDING = "pending"
    SENDING = "sending"
    UNKNOWN = "unknown"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


WRITE_KINDS = frozenset({CommandKind.CREATE_PAYMENT, CommandKind.CREATE_SETTLEMENT})
"""Writes that create an object: a lost answer is resolved by matching what was sent."""
DELETE_KINDS = frozenset({CommandKind.DELETE_PAYMENT, CommandKind.DELETE_SETTLEMENT})
RECORD_KINDS = frozenset({CommandKind.RECORD_PAYMENT, CommandKind.RECORD_SETTLEMENT})
"""Records of what an allocation created (the invoice's own record is not the allocation's booking)."""
RUNNABLE = (CommandState.PENDING, CommandState.UNKNOWN)
IN_FLIGHT = (CommandState.SENDING, CommandState.UNKNOWN)
FINISHED = (CommandState.DONE, CommandState.CANCELLED)
OPEN_STATES = (CommandState.PENDING, CommandState.SENDING, CommandState.UNKNOWN)
"""Waiting to be sent or settled (a failed command waits for a person instead)."""
