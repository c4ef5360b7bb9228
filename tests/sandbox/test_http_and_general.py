"""The sandbox over real HTTP (thread and subprocess) and the General API token grants."""

from __future__ import annotations

import base64
import subprocess
import sys
from decimal import Decimal

import httpx
import pytest

from syncd.domain.references import is_ocr
from syncd.sandbox import ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.server import running
from tests.sandbox.conftest import COMPANY, TOKEN
from tests.sandbox.helpers import body, make_customer, make_invoice, post

pytestmark = pytest.mark.integration


def test_a_short_lifecycle_over_a_real_socket_and_a_dropped_response(clock: ManualClock) -> None:
    sandbox = Sandbox(clock=clock, strict=True)
    sandbox.add_company(COMPANY, token=TOKEN)
    with running(sandbox) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.url.endswith("/v1")
        with httpx.Client(
            base_url=f"{server.url}/companies/{COMPANY}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ) as client:
            customer = make_customer(client)
            invoice = make_invoice(client, customer["id"])
            assert is_ocr(invoice["paymentReference"])
            sandbox.faults.inject("drop", "*/payments", method="POST")
            with pytest.raises(httpx.TransportError):
                post(
                    client,
                    f"/invoices/{invoice['id']}/payments",
                    {
                        "date": "2026-03-03",
                        "sumBaseCurrency": Decimal("1250.00"),
                        "bookkeepingAccountNumber": 1930,
                    },
                )
            assert body(client.get(f"/invoices/{invoice['id']}"))["status"] == "paid"
            sandbox.faults.inject("hang", "*/customers", seconds=0.3)
            with pytest.raises(httpx.ReadTimeout):
                client.get("/customers", timeout=0.05)


def test_the_cli_module_prints_its_url_first_and_serves_the_demo_seed() -> None:
    command = [
        sys.executable,
        "-m",
        "syncd.sandbox.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--company-id",
        COMPANY,
        "--seed",
        "demo",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("serving http://127.0.0.1:")
        url = line.removeprefix("serving ")
        response = httpx.get(
            f"{url}/companies/{COMPANY}/invoices", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert response.status_code == 200
        assert body(response)["totalItems"] == 40
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_oauth_grants_issue_company_tokens_that_rotate_on_refresh(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_client("client-1", "secret-1", "https://app.example/cb")
    general = httpx.Client(transport=SandboxTransport(sandbox), base_url="http://s/v1")
    basic = {"Authorization": "Basic " + base64.b64encode(b"client-1:secret-1").decode()}
    redirect = general.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "client-1",
            "redirect_uri": "https://app.example/cb",
            "state": "xyz",
            "bokio_tenantid": COMPANY,
        },
    )
    assert redirect.status_code == 302
    code = httpx.URL(redirect.headers["Location"]).params["code"]
    issued = body(
        general.post(
            "/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb"},
            headers=basic,
        )
    )
    assert issued["tenant_id"] == COMPANY
    assert issued["expires_in"] == 3600
    assert (
        body(
            general.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": "https://app.example/cb",
                },
                headers=basic,
            )
        )["error"]
        == "invalid_grant"
    )
    api = f"/companies/{COMPANY}/customers"
    assert general.get(api, headers={"Authorization": f"Bearer {issued['access_token']}"}).status_code == 200
    refreshed = body(
        general.post(
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
            headers=basic,
        )
    )
    assert refreshed["refresh_token"] != issued["refresh_token"]
    reused = general.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        headers=basic,
    )
    assert reused.status_code == 400
    clock.advance(3601)
    assert (
        general.get(api, headers={"Authorization": f"Bearer {refreshed['access_token']}"}).status_code == 401
    )
    app = body(general.post("/token", data={"grant_type": "client_credentials"}, headers=basic))
    assert app["tenant_type"] == "general"
    assert "refresh_token" not in app
    assert general.get(api, headers={"Authorization": f"Bearer {app['access_token']}"}).status_code == 401
    assert general.post("/token", data={"grant_type": "client_credentials"}).status_code == 401
