"""Fixtures for the puller: a seeded sandbox company and an App mirroring it (both DB legs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncd.sandbox.seed import seed_demo
from tests.conftest import Database
from tests.pull.harness import COMPANY, TOKEN, World, company_settings, make_app, make_sandbox


@pytest.fixture
def world(database: Database) -> Iterator[World]:
    sandbox = make_sandbox()
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, customers=8, invoices=60)
    app = make_app(database.url, sandbox)
    try:
        yield World(sandbox, app, app.puller(), company_settings())
    finally:
        app.close()
