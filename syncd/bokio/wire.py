"""JSON on the wire with money kept exact.

The stdlib decoder turns ``12.10`` into a float and the stdlib encoder refuses Decimal, so both
directions go through here: responses are parsed with ``parse_float=Decimal`` and request bodies
are written by a tiny encoder that prints Decimals as plain JSON numbers (``0.3``, never
``"0.3"`` and never ``0.30000000000000004``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import quote


def loads(text: str | bytes) -> Any:
    """Parse JSON text with every non-integer number as Decimal."""
    return json.loads(text, parse_float=Decimal)


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot send {value} as a JSON number")
    # 'f' avoids exponent forms such as 1E+2 that some servers read as float
    return format(value, "f")


def _encode(value: Any, out: list[str]) -> None:  # noqa: C901, PLR0912 - one branch per JSON type
    if value is None or isinstance(value, bool):
        out.append(json.dumps(value))
    elif isinstance(value, Enum):
        _encode(value.value, out)
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        raise TypeError("refusing to serialise a float; use Decimal for money")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, datetime):
        out.append(json.dumps(value.isoformat().replace("+00:00", "Z")))
    elif isinstance(value, date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def dumps(value: Any) -> str:
    """Serialise a request body; Decimals become exact JSON numbers, floats are refused."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def encode_query(params: Mapping[str, str | int]) -> bytes:
    """Percent-encode query parameters the way Bokio's filtering docs show (space → %20).

    httpx would write spaces as ``+``; Bokio documents ``%20``, so the query is built here and
    handed to httpx already encoded.
    """
    parts = [f"{quote(str(key), safe='')}={quote(str(val), safe='-_.~')}" for key, val in params.items()]
    return "&".join(parts).encode("ascii")
