"""Fixtures: a sandbox served over real HTTP, and a harness pushing into it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncd.sandbox import Sandbox
from tests.conftest import Database
from tests.outbox.world import Harness, make_sandbox, serving


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox()


@pytest.fixture
def harness(database: Database, sandbox: Sandbox) -> Iterator[Harness]:
    with serving(sandbox) as server:
        harness = Harness(database.sessions, sandbox, server.url)
        try:
            yield harness
        finally:
            harness.close()
