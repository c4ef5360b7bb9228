"""Golden-file tests: each fixture in ``golden/`` is parsed and rendered to JSON, and the JSON
must equal ``<fixture>.expected.json`` byte for byte.

To regenerate after an intended parser change, run::

    SYNCD_UPDATE_GOLDEN=1 .venv/bin/pytest tests/bankfiles/test_golden.py

and review the diff. An environment variable is used instead of a ``--update-golden`` flag
because pytest only honours ``pytest_addoption`` in the rootdir conftest or a plugin, and this
suite must not reach into files other teams own.
"""

from __future__ import annotations

import os

import pytest

from syncd.bankfiles import parse
from syncd.bankfiles.render import render_json

from .conftest import GOLDEN

FIXTURES = sorted(p.name for p in GOLDEN.iterdir() if not p.name.endswith(".expected.json"))
UPDATE = os.environ.get("SYNCD_UPDATE_GOLDEN") == "1"


def test_every_fixture_has_an_expected_file_and_vice_versa():
    expected = {p.name.removesuffix(".expected.json") for p in GOLDEN.glob("*.expected.json")}
    if not UPDATE:
        assert expected == set(FIXTURES)


@pytest.mark.golden
@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_renders_exactly_as_its_golden_file(name):
    rendered = render_json(parse((GOLDEN / name).read_bytes(), name))
    expected_path = GOLDEN / f"{name}.expected.json"
    if UPDATE:
        expected_path.write_text(rendered, encoding="utf-8")
    assert expected_path.read_text(encoding="utf-8") == rendered


@pytest.mark.parametrize("name", [n for n in FIXTURES if n.endswith("_cp1252.csv")])
def test_cp1252_and_utf8_bom_exports_of_a_bank_give_the_same_transactions(name):
    cp1252 = parse((GOLDEN / name).read_bytes(), "x.csv")
    utf8 = parse((GOLDEN / name.replace("_cp1252", "_utf8bom")).read_bytes(), "x.csv")
    assert cp1252.transactions == utf8.transactions
