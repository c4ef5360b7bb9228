"""Sandbox fixtures: a strict sandbox on a manual clock, and an httpx client wired in-process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from syncd.sandbox import ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.contract import spec_available

COMPANY = "5b0c6c43-6f4e-4c1f-9d1e-3f7a2f0f1a01"
TOKEN = "test-token"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def sandbox(clock: ManualClock) -> Sandbox:
    sb = Sandbox(clock=clock, strict=spec_available(), sleep=lambda _s: None)
    sb.add_company(COMPANY, token=TOKEN)
    return sb


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=SandboxTransport(sandbox),
        base_url=f"http://sandbox.test/v1/companies/{COMPANY}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as c:
        yield c
