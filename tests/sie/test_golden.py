"""Golden files for the SIE 4 reader: each ``golden/*.se`` (CP437, hand-written) read and rendered
to JSON must equal ``<fixture>.expected.json`` byte for byte.

Regenerate after an intended change with ``SYNCD_UPDATE_GOLDEN=1 .venv/bin/pytest tests/sie``
and review the diff (the same mechanism as ``tests/bankfiles``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncd.sie import parse, render_json

GOLDEN = Path(__file__).parent / "golden"
FIXTURES = sorted(p.name for p in GOLDEN.glob("*.se"))
UPDATE = os.environ.get("SYNCD_UPDATE_GOLDEN") == "1"


def test_every_fixture_has_an_expected_file_and_vice_versa():
    expected = {p.name.removesuffix(".expected.json") for p in GOLDEN.glob("*.expected.json")}
    if not UPDATE:
        assert expected == set(FIXTURES)


@pytest.mark.golden
@pytest.mark.parametrize("name", FIXTURES)
def test_sie_fixture_reads_exactly_as_its_golden_file(name):
    rendered = render_json(parse((GOLDEN / name).read_bytes()))
    expected_path = GOLDEN / f"{name}.expected.json"
    if UPDATE:
        expected_path.write_text(rendered, encoding="utf-8")
    assert expected_path.read_text(encoding="utf-8") == rendered
