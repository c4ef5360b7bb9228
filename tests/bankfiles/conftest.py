"""Shared helpers for the bank-file parser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def golden_bytes():
    """Read a golden fixture by name."""

    def read(name: str) -> bytes:
        return (GOLDEN / name).read_bytes()

    return read
