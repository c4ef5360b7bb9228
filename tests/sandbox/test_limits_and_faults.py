"""Bokio's limits and the scripted faults, on a manual clock (no real sleeping)."""

from __future__ import annotations

import threading
from decimal import Decimal

import httpx
import pytest

from syncd.sandbox import Fault, Limits, ManualClock, Sandbox, SandboxTransport
from tests.sandbox.conftest import COMPANY, TOKEN
from tests.sandbox.helpers import body, make_customer, make_invoice, post


def test_missing_or_wrong_tokens_get_401_without_body(client: httpx.Client) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        response = client.get("/customers", headers=headers)
        assert response.status_code == 401
        assert response.content == b""


def test_unknown_companies_are_404_and_foreign_companies_are_403(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    other = sandbox.add_company(token="other-token")
    assert client.get(f"/v1/companies/{sandbox.new_id()}/customers").status_code == 404
    response = client.get(f"http://sandbox.test/v1/companies/{other.id}/customers")
    assert response.status_code == 403


def test_the_rolling_rate_window_answers_429_with_retry_after(
    sandbox: Sandbox, client: httpx.Client, clock: ManualClock
) -> None:
    sandbox.limits = Limits(rate_limit=3, rate_window_seconds=60)
    first = client.get("/customers")
    assert first.headers["Bokio-RateLimit-Remaining"] == "2"
    clock.advance(10)
    client.get("/customers")
    client.get("/customers")
    limited = client.get("/customers")
    assert limited.status_code == 429
    assert body(limited)["code"] == "rate-limit-exceeded"
    assert limited.headers["Bokio-RateLimit-RetryAfter"] == "50"
    clock.advance(50)
    assert client.get("/customers").status_code == 200


def test_the_monthly_quota_answers_403_quota_exceeded_until_next_month(
    sandbox: Sandbox, client: httpx.Client, clock: ManualClock
) -> None:
    sandbox.limits = Limits(monthly_quota=2)
    assert client.get("/customers").status_code == 200
    assert client.get("/customers").status_code == 200
    over = client.get("/customers")
    assert over.status_code == 403
    assert body(over)["code"] == "quota-exceeded"
    assert int(over.headers["Retry-After"]) > 0
    clock.advance(int(over.headers["Retry-After"]))
    assert client.get("/customers").status_code == 200


def test_a_second_concurrent_write_to_the_same_path_gets_429(clock: ManualClock) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_sleep(_seconds: float) -> None:
        entered.set()
        release.wait(5)

    sb = Sandbox(clock=clock, sleep=slow_sleep)
    sb.add_company(COMPANY, token=TOKEN)
    sb.faults.inject("latency", "*/customers", method="POST", seconds=1)
    client = httpx.Client(
        transport=SandboxTransport(sb),
        base_url=f"http://s/v1/companies/{COMPANY}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    results: list[int] = []
    worker = threading.Thread(
        target=lambda: results.append(
            post(client, "/customers", {"name": "A", "type": "company"}).status_code
        )
    )
    worker.start()
    assert entered.wait(5)
    second = post(client, "/customers", {"name": "B", "type": "company"})
    assert second.status_code == 429
    assert body(second)["code"] == "concurrency-limit-exceeded"
    assert client.get("/customers").status_code == 200  # reads are not limited
    release.set()
    worker.join(5)
    assert results == [200]
    assert sb.high_water()[f"{COMPANY} POST /companies/{{companyId}}/customers"] == 1
    assert sb.high_water()[COMPANY] == 2


def test_scripted_status_and_rate_limit_faults_do_not_touch_state(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.faults.inject("status", "*/customers", method="POST", status=503, retry_after=7)
    sandbox.faults.add(Fault(kind="rate_limit", path="/companies/{companyId}/customers", retry_after=3))
    failed = post(client, "/customers", {"name": "A", "type": "company"})
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "7"
    limited = client.get("/customers")
    assert limited.status_code == 429
    assert limited.headers["Bokio-RateLimit-RetryAfter"] == "3"
    assert body(client.get("/customers"))["totalItems"] == 0
    assert [e.fault for e in sandbox.log[-3:]] == ["status", "rate_limit", None]


def test_commit_then_drop_applies_the_payment_but_the_client_sees_a_transport_error(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    customer = make_customer(client)
    iid = make_invoice(client, customer["id"])["id"]
    sandbox.faults.inject("drop", "/companies/*/invoices/*/payments", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        post(
            client,
            f"/invoices/{iid}/payments",
            {"date": "2026-03-03", "sumBaseCurrency": Decimal(100), "bookkeepingAccountNumber": 1930},
        )
    assert body(client.get(f"/invoices/{iid}/payments"))["totalItems"] == 1


@pytest.mark.parametrize(("apply", "expected"), [(False, 0), (True, 1)])
def test_a_hang_times_out_and_applies_the_write_only_when_asked(
    sandbox: Sandbox, client: httpx.Client, apply: bool, expected: int
) -> None:
    sandbox.faults.inject("hang", "*/customers", method="POST", seconds=0.01, apply=apply)
    with pytest.raises(httpx.ReadTimeout):
        post(client, "/customers", {"name": "A", "type": "company"})
    assert body(client.get("/customers"))["totalItems"] == expected


def test_faults_count_down_and_only_match_their_method(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.faults.inject("status", "*/customers", method="GET", status=500, times=2)
    assert [client.get("/customers").status_code for _ in range(3)] == [500, 500, 200]
    assert sandbox.faults.pending() == []


def test_latency_sleeps_through_the_injected_sleep(clock: ManualClock) -> None:
    slept: list[float] = []
    sb = Sandbox(clock=clock, sleep=slept.append)
    sb.add_company(COMPANY, token=TOKEN)
    sb.faults.inject("latency", "*", seconds=0.25)
    assert (
        sb.handle(
            "GET", f"/v1/companies/{COMPANY}/customers", headers={"Authorization": f"Bearer {TOKEN}"}
        ).status
        == 200
    )
    assert slept == [0.25]


def test_the_admin_routes_script_faults_move_the_clock_and_expose_the_log(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    admin = httpx.Client(transport=SandboxTransport(sandbox), base_url="http://sandbox.test/_sandbox")
    assert (
        admin.post("/faults", json={"kind": "status", "path": "*/customers", "status": 502}).status_code
        == 200
    )
    assert client.get("/customers").status_code == 502
    assert admin.post("/clock", json={"advanceSeconds": 3600}).json()["now"].startswith("2026-03-02T10:00")
    log = admin.get("/log").json()["entries"]
    assert log[-1]["status"] == 502
    assert log[-1]["template"] == "/companies/{companyId}/customers"
    counters = admin.get("/counters").json()["companies"][COMPANY]
    assert counters["requests"] == 1
    assert counters["by_status"] == {"502": 1}
    assert admin.post("/faults", json={"kind": "bogus"}).status_code == 400
    reset = admin.post("/reset", json={"seed": "demo", "companyId": COMPANY, "token": TOKEN}).json()
    assert reset["companyId"] == COMPANY
    assert body(client.get("/invoices"))["totalItems"] == 40
