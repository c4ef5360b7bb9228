"""``syncd sandbox serve``: the fake Bokio API over HTTP (see :mod:`syncd.sandbox.cli`)."""

from __future__ import annotations

from typing import Any

from syncd.sandbox.cli import add_sandbox_commands


def register(subparsers: Any) -> None:
    """Add the ``sandbox`` command group."""
    add_sandbox_commands(subparsers)
