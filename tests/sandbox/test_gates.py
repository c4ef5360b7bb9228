"""Gated faults: a write Bokio is "still processing" lands exactly when the test lets it."""

from __future__ import annotations

import httpx
import pytest

from syncd.sandbox import Sandbox
from syncd.sandbox.server import ADMIN_HEADER, running
from tests.sandbox.conftest import COMPANY, TOKEN
from tests.sandbox.helpers import body, post

CUSTOMER = {"name": "Fjällbygg AB", "type": "company"}


def test_a_gated_hang_times_out_at_once_and_applies_the_write_when_the_gate_opens(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    gate = sandbox.faults.gate("slow")
    sandbox.faults.inject("hang", "*/customers", method="POST", gate="slow")

    with pytest.raises(httpx.ReadTimeout):
        post(client, "/customers", CUSTOMER)

    assert gate.held.is_set()
    assert body(client.get("/customers"))["totalItems"] == 0
    busy = post(client, "/customers", CUSTOMER)
    assert busy.status_code == 429, "Bokio is still processing the first write to this path"
    gate.open()
    assert gate.done.is_set()
    assert body(client.get("/customers"))["totalItems"] == 1
    assert post(client, "/customers", CUSTOMER).status_code == 200


def test_skip_lets_the_first_matching_requests_through(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.faults.inject("status", "*/customers", method="GET", status=503, skip=2)

    assert [client.get("/customers").status_code for _ in range(4)] == [200, 200, 503, 200]


def test_over_http_a_gated_latency_applies_the_write_after_the_client_gave_up(sandbox: Sandbox) -> None:
    sandbox.faults.inject("latency", "*/customers", method="POST", gate="processing")
    with running(sandbox) as server:
        company = f"{server.url}/companies/{COMPANY}"
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        admin_url = server.url.removesuffix("/v1") + "/_sandbox"
        gate = sandbox.faults.gate("processing")
        with httpx.Client(timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
            impatient.post(
                f"{company}/customers", content=b'{"name": "A", "type": "company"}', headers=headers
            )
        assert gate.held.is_set()
        with httpx.Client(base_url=admin_url, headers={ADMIN_HEADER: server.admin_token}) as admin:
            assert admin.get("/gates").json()["gates"] == [
                {"name": "processing", "held": True, "open": False, "done": False, "parked": 0}
            ]

            opened = admin.post("/gates/processing/open").json()["gate"]

        assert opened["open"]
        assert gate.done.wait(10)
        listed = httpx.get(f"{company}/customers", headers=headers).json()
        assert listed["totalItems"] == 1


def test_clearing_the_faults_drops_a_parked_write_and_frees_its_path(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.faults.inject("hang", "*/customers", method="POST", gate="never")
    with pytest.raises(httpx.ReadTimeout):
        post(client, "/customers", CUSTOMER)
    parked = sandbox.faults.gate("never")

    sandbox.faults.clear()
    parked.open()

    assert not parked.done.is_set()
    assert post(client, "/customers", CUSTOMER).status_code == 200, "the path is no longer busy"
    assert body(client.get("/customers"))["totalItems"] == 1, "the parked write was never applied"
