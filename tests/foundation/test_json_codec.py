"""syncd has one exact-decimal JSON codec (``syncd.jsonutil``); the sandbox keeps its own on purpose."""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd import jsonutil

SYNCD = Path(__file__).resolve().parents[2] / "syncd"
# JSON without money: token files and the ops server's small status bodies.
NO_MONEY = {"tokenstore.py", "ops/server.py"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _json_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "json":
            if node.attr == "JSONDecodeError":  # catching a decode error is not decoding
                continue
            found.append(f"json.{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "JSONEncoder":
            found.append("JSONEncoder")
        elif isinstance(node, ast.keyword) and node.arg == "parse_float":
            found.append("parse_float=")
    return found


def test_no_module_outside_jsonutil_and_the_sandbox_codes_json_itself() -> None:
    offenders = {}
    for path in sorted(SYNCD.rglob("*.py")):
        relative = path.relative_to(SYNCD).as_posix()
        if relative.startswith("sandbox/") or relative == "jsonutil.py" or relative in NO_MONEY:
            continue
        calls = _json_calls(path)
        if calls:
            offenders[relative] = calls
    assert offenders == {}, "encode and decode JSON through syncd.jsonutil"


@given(json_values, st.sampled_from([None, 0, 2]), st.booleans())
def test_plain_values_are_written_exactly_as_the_standard_encoder_lays_them_out(value, indent, sort_keys):
    separators = (",", ":") if indent is None else None
    expected = json.dumps(
        value, indent=indent, sort_keys=sort_keys, ensure_ascii=False, separators=separators
    )
    assert jsonutil.dumps(value, indent=indent, sort_keys=sort_keys) == expected


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_a_decimal_survives_the_round_trip_with_its_value(amount: Decimal) -> None:
    back = jsonutil.loads(jsonutil.dumps({"amount": amount}))["amount"]
    assert back == amount


def test_floats_and_non_finite_decimals_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        jsonutil.dumps([0.1])
    with pytest.raises(ValueError, match="JSON number"):
        jsonutil.dumps(Decimal("Infinity"))
