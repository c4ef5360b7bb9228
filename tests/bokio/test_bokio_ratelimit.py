from __future__ import annotations

import datetime as dt
import threading
import time
from bisect import bisect_left
from decimal import Decimal

import httpx
import pytest

from syncd.bokio import PaymentWrite, RateLimiter
from syncd.bokio.ratelimit import parse_retry_after

from .conftest import INVOICE, FakeClock, make_client


def test_450_gets_never_put_more_than_200_requests_in_any_60_second_window(clock: FakeClock) -> None:
    arrivals: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(clock())
        clock.t += 0.05  # each request takes 50 ms
        return httpx.Response(200, json=INVOICE)

    client = make_client(handler, clock)
    for _ in range(450):
        client.get_invoice("inv-1")

    assert len(arrivals) == 450
    worst = max(bisect_left(arrivals, t + 60.0) - i for i, t in enumerate(arrivals))
    assert worst == 200
    # and it did not over-throttle: 450 requests need a bit more than two windows
    assert arrivals[-1] - arrivals[0] < 2 * 60 + 15


def test_limiter_pause_holds_every_request_until_it_expires(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.pause(30)
    start = clock()
    limiter.acquire()
    assert clock() - start == pytest.approx(30)


def test_one_write_per_method_and_path_template_is_in_flight_under_threads() -> None:
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        key = "payments" if request.url.path.endswith("/payments") else "other"
        with lock:
            in_flight[key] = in_flight.get(key, 0) + 1
            peak[key] = max(peak.get(key, 0), in_flight[key])
        time.sleep(0.005)
        with lock:
            in_flight[key] -= 1
        return httpx.Response(200, json={"id": "p", "date": "2026-03-01", "sumBaseCurrency": 1})

    limiter = RateLimiter()  # real clock: the lock, not the window, is under test
    clients = [make_client(handler, FakeClock(), limiter=limiter) for _ in range(2)]  # same token
    write = PaymentWrite(dt.date(2026, 3, 1), Decimal(1))

    def worker(n: int) -> None:
        for i in range(5):
            clients[n % 2].create_payment(f"inv-{n}-{i}", write)  # different invoices, same template

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak["payments"] == 1


def test_rate_limit_headers_are_read_in_current_and_legacy_spelling(clock: FakeClock) -> None:
    script = [
        httpx.Response(
            200, json=INVOICE, headers={"Bokio-RateLimit-Limit": "200", "Bokio-RateLimit-Remaining": "150"}
        ),
        httpx.Response(
            200,
            json=INVOICE,
            headers={
                "X-Bokio-RateLimit-Limit": "200",
                "X-Bokio-RateLimit-Remaining": "12",
                "X-Bokio-RateLimit-Reset": "31",
            },
        ),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return script.pop(0)

    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    client = make_client(handler, clock, limiter=limiter)
    client.get_invoice("a")
    assert (limiter.last_seen.limit, limiter.last_seen.remaining) == (200, 150)
    client.get_invoice("b")
    assert (limiter.last_seen.remaining, limiter.last_seen.reset) == (12, "31")


def test_retry_after_accepts_seconds_and_http_dates_preferring_bokios_header() -> None:
    now = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after({"Bokio-RateLimit-RetryAfter": "12", "Retry-After": "99"}, now) == 12.0
    assert parse_retry_after({"Retry-After": "Sun, 01 Mar 2026 12:01:30 GMT"}, now) == 90.0
    assert parse_retry_after({"Retry-After": "garbage"}, now) is None
    assert parse_retry_after({}, now) is None
