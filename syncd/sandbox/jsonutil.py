"""JSON with Decimal money both ways: parsed with ``parse_float=Decimal``, rendered as numbers.

Independent of syncd's own codec on purpose: the sandbox is the other side of the wire. If it
parsed and rendered JSON with the client's code, a bug there (a lost digit, a float sneaking in,
a number rendered as a string) would be made on both sides and cancel out, and no test could see
it. Two small codecs that must agree on the bytes are the check.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _number_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot render {value} as JSON")
    return format(value, "f")


def dumps(obj: Any) -> bytes:
    """Render ``obj`` to UTF-8 JSON; Decimals become JSON numbers with exact digits.

    >>> dumps({"a": Decimal("12.50"), "b": [Decimal("1E+2")]})
    b'{"a": 12.50, "b": [100]}'
    """
    return _encode(obj).encode("utf-8")


def _encode(obj: Any) -> str:
    if isinstance(obj, Decimal):
        return _number_text(obj)
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_encode(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ", ".join(_encode(v) for v in obj) + "]"
    if isinstance(obj, float):
        raise TypeError("float in a sandbox response: money must be Decimal")
    return json.dumps(obj, ensure_ascii=False)


def loads(data: bytes | str) -> Any:
    """Parse JSON with every non-integer number as Decimal (money stays exact)."""
    return json.loads(data, parse_float=Decimal)


def to_plain(obj: Any) -> Any:
    """A copy with Decimals as int/float, for JSON-schema validation only (never for money)."""
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    return obj
