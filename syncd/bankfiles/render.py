"""Render a :class:`ParseResult` as plain JSON data: golden files, debugging, the CLI.

Decimals become strings (never floats), dates ISO strings, enums their values; the output is
deterministic so a diff shows exactly what a parser change did.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date
from decimal import Decimal

from syncd import jsonutil
from syncd.bankfiles.model import ParseResult

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]


def to_data(value: object) -> JsonValue:
    """Recursively convert dataclasses, tuples, Decimals, dates and enums to JSON data."""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot render {type(value).__name__}")


def render_json(result: ParseResult) -> str:
    """Stable, indented JSON text of ``result`` (ending in a newline)."""
    return jsonutil.dumps(to_data(result), indent=2) + "\n"
