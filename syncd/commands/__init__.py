"""Subcommands of ``syncd``; shared helpers for building the app and printing results.

Start-up: ``syncd --help`` and a mistyped command import no command module (see
:data:`syncd.cli.COMMANDS`), and this package imports nothing heavy at import time, so a command
pays only for the modules it uses. It does import :mod:`syncd.logging`, which every command
configures anyway: that module imports structlog without rich (≈0.03 s), which holds only if it
comes before any module importing structlog directly (the Bokio client does).

Output conventions, the same for every command:

- Text is for people: an invoice is named by number, customer and amount (never its UUID alone),
  amounts in the Swedish format of :func:`syncd.match.plan.format_amount` (``12 500,00``), no
  Python reprs, and a dry run says what it *would* do.
- ``--json`` prints exactly one JSON object, never a bare list: the things listed sit in a named
  list (``{"companies": [...]}``, ``{"commands": [...]}``, ``{"proposals": [...]}``) next to any
  scalar facts (``{"dry_run": true, "companies": [...]}``). Money and every other non-integer number
  is an exact decimal *string* (``"2600.00"``), so any JSON parser reads it without a float;
  integers stay numbers, dates and times are ISO 8601 strings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from syncd.logging import configure_logging  # before any structlog import: keeps rich out (above)

if TYPE_CHECKING:
    from syncd.app import App
    from syncd.settings import Settings


def load(args: argparse.Namespace) -> Settings:
    """Settings for a command, with logging configured (secrets registered for redaction)."""
    from syncd.settings import load_settings

    settings = load_settings(config_path=getattr(args, "config", None))
    configure_logging(
        level=getattr(args, "log_level", None) or settings.log_level,
        fmt=getattr(args, "log_format", None) or settings.log_format,
        secrets=settings.secrets(),
    )
    return settings


def build_app(args: argparse.Namespace) -> App:
    """The composition root for a command."""
    from syncd.app import App

    return App(load(args))


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout; Decimals (and any float) as exact decimal strings."""
    from syncd import jsonutil

    sys.stdout.write(jsonutil.dumps(json_ready(value)) + "\n")


def json_ready(value: Any) -> Any:
    """``value`` with every Decimal as its exact string (``Decimal("53.00")`` → ``"53.00"``).

    A float is written by its shortest repr (``5.0`` → ``"5.0"``): syncd keeps money in Decimal,
    so a float can only be a setting such as a timeout, and it is still never a JSON float.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """The ``--json`` flag every reporting command has."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
