"""``syncd config show``: the effective configuration, secrets redacted, and where each value came from.

Every leaf value is listed with its source: the TOML file, an environment variable, a secret
file, a systemd credential, or ``default``. The database is shown as :func:`describe_database`
prints it (password redacted, SQLite as an absolute path). JSON: ``{"database", "values": [...]}``,
numbers as JSON numbers (exact decimals), never a float repr.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import SecretStr

from syncd.commands import add_json_flag, emit_json, load
from syncd.logging import REDACTED, REDACTOR
from syncd.settings import describe_database, load_settings_with_sources, source_of


def register(subparsers: Any) -> None:
    """Add the ``config`` command group."""
    config = subparsers.add_parser("config", help="show the effective configuration")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", help="print the merged configuration, secrets redacted, with the source of every value"
    )
    add_json_flag(show)
    show.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    load(args)  # validates (every problem listed) and registers the secrets for redaction
    settings, sources = load_settings_with_sources(config_path=getattr(args, "config", None))
    database = describe_database(settings.database_url.get_secret_value())
    rows = []
    for key, value in _leaves(settings.model_dump(mode="python"), ()):
        shown = database if key == ("database_url",) else _plain(value)
        rows.append({"key": ".".join(key), "value": REDACTOR.scrub(shown), "source": source_of(key, sources)})
    if args.json:
        emit_json({"database": database, "values": rows})
        return 0
    print(f"database: {database}")
    width = max((len(row["key"]) for row in rows), default=0)
    for row in rows:
        print(f"{row['key']:<{width}} = {_text(row['value'])}  ({row['source']})")
    return 0


def _leaves(value: Any, key: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf of the settings dump with its dotted path (tables and lists of tables walked)."""
    if isinstance(value, Mapping) and (value or not key):
        for name, item in value.items():
            yield from _leaves(item, (*key, str(name)))
    elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        for index, item in enumerate(value):
            yield from _leaves(item, (*key, str(index)))
    else:
        yield key, value


def _plain(value: Any) -> Any:  # noqa: PLR0911 - one conversion per type
    """A JSON-safe value: secrets redacted, floats as exact decimals, paths and ids as text."""
    if isinstance(value, SecretStr):
        return REDACTED if value.get_secret_value() else ""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path | UUID | dt.date):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_text(v)}" for k, v in value.items()) + "}"
    return str(value)
