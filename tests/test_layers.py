"""The house as its README draws it: only syncd/bokio (and the sandbox that fakes Bokio) knows
Bokio's wire format, so no other module spells one of its camelCase keys as a string."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from syncd.bokio import models as bm

SYNCD = Path(__file__).resolve().parents[1] / "syncd"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")

CLIENT = ("syncd/bokio/", "syncd/sandbox/")
"""Bokio's client, and the fake Bokio that must speak its wire format itself."""

EXCEPTIONS = {
    "syncd/demo/world.py": "the demo seeds and reads the in-process sandbox's state, which is kept in "
    "Bokio's wire format",
    "syncd/demo/readback.py": "reads back the in-process sandbox's state (Bokio's wire format) for the "
    "demo report",
}
"""Modules that still spell wire keys, each with the reason it could not be removed."""


def _schema_keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in node.values():
            yield from _schema_keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_keys(value)


def _model_keys() -> Iterator[str]:
    """Every alias of the typed models (present even where the OpenAPI files are not)."""
    for value in vars(bm).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            for name, info in value.model_fields.items():
                yield info.alias or to_camel(name)
    yield from ("settlementDetails", "invoiceSettlementDetails", "fileName")  # the absorbed quirks


@cache
def wire_keys() -> frozenset[str]:
    """Bokio's camelCase property names: the OpenAPI schemas' (when at hand) and the models'."""
    keys = set(_model_keys())
    for name in ("bokio-openapi-company.yaml", "bokio-openapi-general.yaml"):
        path = REFERENCE / name
        if path.exists():
            keys.update(_schema_keys(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return frozenset(key for key in keys if CAMEL.match(key))


def wire_literals(source: str, keys: frozenset[str]) -> list[tuple[int, str]]:
    """``(line, key)`` for every string literal in ``source`` that is exactly a wire key."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in keys
    ]


def test_the_scan_sees_a_wire_key_in_a_string_literal_and_not_in_a_name() -> None:
    keys = frozenset({"paidAmount"})
    source = 'paid_amount = raw["paidAmount"]\nf"{paidAmount}"\n'
    assert wire_literals(source, keys) == [(1, "paidAmount")]
    assert "paidAmount" in wire_keys()


def test_no_bokio_wire_keys_outside_the_client() -> None:
    keys = wire_keys()
    found = []
    for path in sorted(SYNCD.rglob("*.py")):
        relative = path.relative_to(SYNCD.parent).as_posix()
        if relative.startswith(CLIENT) or relative in EXCEPTIONS:
            continue
        found += [
            f"{relative}:{line} {key!r}"
            for line, key in wire_literals(path.read_text(encoding="utf-8"), keys)
        ]
    assert found == [], "Bokio's wire keys belong in syncd/bokio:\n" + "\n".join(found)


def test_every_exception_still_needs_its_exception() -> None:
    keys = wire_keys()
    stale = [
        relative
        for relative in EXCEPTIONS
        if not wire_literals((SYNCD.parent / relative).read_text(encoding="utf-8"), keys)
    ]
    assert stale == [], f"no wire keys left in {stale}: drop them from EXCEPTIONS"
