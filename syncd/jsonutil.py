"""JSON with exact Decimals in both directions.

The standard decoder turns ``12.10`` into a float and the standard encoder refuses Decimal; both
would put money at risk. :func:`loads` parses every non-integer number as Decimal and
:func:`dumps` writes Decimals as JSON numbers with exactly their digits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID


def loads(text: str | bytes) -> Any:
    """Parse JSON; non-integer numbers become Decimal.

    >>> loads('{"a": 0.1}')["a"] + loads('{"a": 0.2}')["a"]
    Decimal('0.3')
    """
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Serialise to compact JSON; Decimal as a plain number, dates ISO, enums by value.

    >>> dumps({"sum": Decimal("0.30"), "n": 1})
    '{"sum":0.30,"n":1}'
    """
    return "".join(_encode(value, sort_keys))


def _encode(value: Any, sort_keys: bool) -> list[str]:
    if isinstance(value, Mapping):
        items = sorted(value.items()) if sort_keys else list(value.items())
        parts: list[str] = []
        for key, item in items:
            parts.extend((",", json.dumps(str(key), ensure_ascii=False), ":", *_encode(item, sort_keys)))
        return ["{", *parts[1:], "}"]
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            parts.extend((",", *_encode(item, sort_keys)))
        return ["[", *parts[1:], "]"]
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("floats are not allowed in syncd JSON; use Decimal")
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    elif isinstance(value, UUID):
        value = str(value)
    if isinstance(value, bool | int | str) or value is None:
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def canonical(value: Any) -> str:
    """Sorted-key JSON with Decimals normalised, so equal content gives equal text (for hashes).

    >>> canonical({"b": Decimal("1.50"), "a": 1}) == canonical({"a": 1, "b": Decimal("1.5")})
    True
    """
    return dumps(_normalise(value), sort_keys=True)


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        normal = value.normalize()
        return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value
