from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from syncd.bokio import (
    NotFoundError,
    OutcomeUnknownError,
    PaymentWrite,
    RateLimitedError,
    RequestRecord,
    RetryPolicy,
    TransportError,
    ValidationError,
)

from .conftest import COMPANY, INVOICE, PREFIX, FakeClock, make_client

PAYMENT = {
    "id": "pay-1",
    "invoiceId": "inv-1",
    "date": "2026-03-01",
    "sumBaseCurrency": 100,
    "bookkeepingAccountNumber": 1930,
    "journalEntryRef": None,
}
WRITE = PaymentWrite(dt.date(2026, 3, 1), Decimal("100"))


def test_client_waits_out_a_scripted_429_and_then_succeeds(clock: FakeClock) -> None:
    script = [
        httpx.Response(
            429,
            headers={"Bokio-RateLimit-RetryAfter": "17"},
            json={"code": "rate-limit-exceeded", "message": "Too many requests"},
        ),
        httpx.Response(200, json=INVOICE),
    ]
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock())
        return script.pop(0)

    records: list[RequestRecord] = []
    invoice = make_client(handler, clock, records=records).get_invoice("inv-1")
    assert invoice.id == "inv-1"
    assert seen[1] - seen[0] == pytest.approx(17)
    assert [r.status for r in records] == [429, 200]
    assert records[0].error_kind == "rate-limit-exceeded"
    assert records[0].path_template == "/companies/{companyId}/invoices/{invoiceId}"
    assert [r.attempt for r in records] == [1, 2]


def test_a_429_on_a_write_is_resent_because_bokio_rejected_it_before_acting(clock: FakeClock) -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        posts += 1
        if posts == 1:
            return httpx.Response(
                429,
                headers={"Retry-After": "2"},
                json={"code": "concurrency-limit-exceeded", "message": "busy"},
            )
        return httpx.Response(200, json=PAYMENT)

    payment = make_client(handler, clock).create_payment("inv-1", WRITE)
    assert payment.id == "pay-1"
    assert posts == 2


def test_rate_limit_gives_up_after_max_attempts(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Bokio-RateLimit-RetryAfter": "1"})

    client = make_client(handler, clock, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(RateLimitedError) as info:
        client.get_invoice("inv-1")
    assert info.value.retry_after == 1.0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("Connection reset by peer"),
        httpx.WriteTimeout("write timed out"),
    ],
    ids=["read-timeout", "dropped-response", "connection-reset", "write-timeout"],
)
def test_a_write_whose_answer_is_lost_is_never_reposted(clock: FakeClock, failure: Exception) -> None:
    posts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request)
            raise failure
        return httpx.Response(200, json=INVOICE)

    records: list[RequestRecord] = []
    with pytest.raises(OutcomeUnknownError) as info:
        make_client(handler, clock, records=records).create_payment("inv-1", WRITE)
    assert len(posts) == 1
    assert info.value.method == "POST"
    assert info.value.path_template == "/companies/{companyId}/invoices/{invoiceId}/payments"
    assert records[0].status is None
    assert records[0].error_kind in {"timeout", "connection_lost"}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_to_a_write_is_an_unknown_outcome_sent_exactly_once(clock: FakeClock, status: int) -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        posts += 1
        return httpx.Response(status, json={"code": "internal-server-error", "message": "oops"})

    with pytest.raises(OutcomeUnknownError) as info:
        make_client(handler, clock).create_payment("inv-1", WRITE)
    assert posts == 1
    assert info.value.status == status


def test_a_write_that_never_connected_is_retried_safely(clock: FakeClock) -> None:
    attempts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json=PAYMENT)

    records: list[RequestRecord] = []
    assert make_client(handler, clock, records=records).create_payment("inv-1", WRITE).id == "pay-1"
    assert attempts == 2
    assert [r.error_kind for r in records] == ["not_sent", None]


@pytest.mark.parametrize(
    "first",
    [httpx.Response(503), httpx.ConnectError("refused"), httpx.ReadTimeout("slow")],
    ids=["503", "connect-error", "read-timeout"],
)
def test_a_get_is_retried_after_a_transient_failure(clock: FakeClock, first: object) -> None:
    script: list[object] = [first, httpx.Response(200, json=INVOICE)]

    def handler(request: httpx.Request) -> httpx.Response:
        item = script.pop(0)
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, httpx.Response)
        return item

    assert make_client(handler, clock).get_invoice("inv-1").id == "inv-1"
    assert script == []
    assert len(clock.sleeps) == 1  # one jittered backoff


def test_a_get_gives_up_with_a_retriable_error_when_attempts_run_out(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused")

    with pytest.raises(TransportError):
        make_client(handler, clock, retry=RetryPolicy(max_attempts=4)).get_invoice("inv-1")
    assert calls == 4


def test_definite_4xx_answers_are_not_retried(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if request.method == "GET":
            return httpx.Response(404, json={"code": "not-found", "message": "gone"})
        return httpx.Response(
            400,
            json={
                "code": "validation-error",
                "message": "bad",
                "errors": [{"field": "#/date", "message": "required"}],
            },
        )

    client = make_client(handler, clock)
    with pytest.raises(NotFoundError):
        client.get_invoice("x")
    with pytest.raises(ValidationError):
        client.create_payment("x", WRITE)
    assert calls == 2


class _SlowDrip(httpx.SyncByteStream):
    """Each chunk costs 40 fake seconds: no per-chunk timeout fires, the call deadline must."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def __iter__(self) -> Iterator[bytes]:
        for part in (b'{"id":', b'"inv-1"', b"}"):
            self.clock.t += 40
            yield part


def test_the_overall_deadline_stops_a_slow_drip_and_makes_a_write_unknown(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_SlowDrip(clock))

    client = make_client(handler, clock, deadline_s=60)
    with pytest.raises(TransportError, match="deadline"):
        client.get_invoice("inv-1")
    with pytest.raises(OutcomeUnknownError, match="deadline"):
        client.publish_invoice("inv-1")


def test_every_attempt_is_reported_with_template_timing_and_status(clock: FakeClock) -> None:
    script = [httpx.Response(503), httpx.Response(200, json=PAYMENT)]

    def handler(request: httpx.Request) -> httpx.Response:
        clock.t += 0.25
        return script.pop(0)

    records: list[RequestRecord] = []
    make_client(handler, clock, records=records).get_payment("inv-1", "pay-1")
    template = "/companies/{companyId}/invoices/{invoiceId}/payments/{paymentId}"
    assert [(r.method, r.path_template, r.status) for r in records] == [
        ("GET", template, 503),
        ("GET", template, 200),
    ]
    assert records[0].duration_ms == pytest.approx(250)
    assert records[0].error_kind == "http_503"
    assert records[1].error_kind is None
    assert records[0].company_id == COMPANY
    assert records[0].started_at.tzinfo is not None


def test_a_failing_request_hook_does_not_turn_a_done_write_into_an_error(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=PAYMENT)

    def broken(record: RequestRecord) -> None:
        raise RuntimeError("ledger down")

    client = make_client(handler, clock, on_request=broken)
    assert client.create_payment("inv-1", WRITE).id == "pay-1"


def test_paths_are_built_from_the_openapi_templates(clock: FakeClock) -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json=PAYMENT)

    client = make_client(handler, clock)
    client.record_payment("inv-1", "pay-1")
    client.delete_payment("inv-1", "pay-1")
    assert seen == [
        ("POST", f"{PREFIX}/invoices/inv-1/payments/pay-1/record"),
        ("DELETE", f"{PREFIX}/invoices/inv-1/payments/pay-1"),
    ]
