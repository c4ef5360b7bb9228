"""Helpers for Bokio client tests: a fake clock and a client over ``httpx.MockTransport``."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from syncd.bokio import (
    BokioClient,
    PrivateTokenAuth,
    RateLimiter,
    RequestRecord,
    RetryPolicy,
    build_http_client,
)
from syncd.bokio.auth import Auth

TOKEN = "tok-SECRET-0123456789abcdef"
COMPANY = "11111111-2222-3333-4444-555555555555"
BASE = "https://api.bokio.test/v1"
PREFIX = f"/v1/companies/{COMPANY}"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic seconds plus a matching wall clock; ``sleep`` only advances time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self) -> datetime:
        return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=self.t)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(
    handler: Handler,
    clock: FakeClock,
    *,
    records: list[RequestRecord] | None = None,
    retry: RetryPolicy | None = None,
    deadline_s: float = 600.0,
    limiter: RateLimiter | None = None,
    auth: Auth | None = None,
    on_request: Callable[[RequestRecord], None] | None = None,
) -> BokioClient:
    return BokioClient(
        build_http_client(httpx.MockTransport(handler)),
        base_url=BASE,
        company_id=COMPANY,
        auth=auth or PrivateTokenAuth(TOKEN),
        limiter=limiter or RateLimiter(clock=clock, sleep=clock.sleep),
        on_request=on_request or (records.append if records is not None else None),
        deadline_s=deadline_s,
        retry=retry,
        now=clock.now,
        rng=random.Random(7),
    )


def paged(items: Sequence[object], page: int = 1, total_pages: int = 1) -> dict[str, object]:
    return {"totalItems": len(items), "totalPages": total_pages, "currentPage": page, "items": items}


INVOICE = {
    "id": "inv-1",
    "type": "invoice",
    "customerRef": {"id": "cus-1", "name": "Acme AB"},
    "invoiceNumber": "1001",
    "paymentReference": "10016",
    "currency": "SEK",
    "totalAmount": 1250.10,
    "totalTax": 250.02,
    "paidAmount": 0,
    "status": "published",
    "invoiceDate": "2026-02-01",
    "dueDate": "2026-03-03",
    "lineItems": [],
}
