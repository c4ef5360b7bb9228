"""The sandbox's admin routes over HTTP need its admin token (issue 12): anyone reaching the port
could otherwise swap a company's token or rewrite its books."""

from __future__ import annotations

import subprocess
import sys

import httpx

from syncd.sandbox import Sandbox
from syncd.sandbox.server import ADMIN_HEADER, running
from tests.sandbox.conftest import COMPANY, TOKEN


def test_admin_routes_over_http_refuse_a_request_without_the_admin_token_and_serve_one_with_it(
    sandbox: Sandbox,
) -> None:
    with running(sandbox) as server:
        admin = server.url.removesuffix("/v1") + "/_sandbox"
        bokio = {"Authorization": f"Bearer {TOKEN}"}
        swap = {"companyId": COMPANY, "token": "attacker-token"}

        without = httpx.post(f"{admin}/reset", json=swap, timeout=5)
        with_bokio_token = httpx.post(f"{admin}/reset", json=swap, headers=bokio, timeout=5)
        wrong = httpx.get(f"{admin}/counters", headers={ADMIN_HEADER: "guess"}, timeout=5)
        still_served = httpx.get(f"{server.url}/companies/{COMPANY}/invoices", headers=bokio, timeout=5)
        allowed = httpx.get(f"{admin}/counters", headers={ADMIN_HEADER: server.admin_token}, timeout=5)

    assert without.status_code == 401
    assert ADMIN_HEADER in without.json()["error"]
    assert with_bokio_token.status_code == 401
    assert wrong.status_code == 401
    assert still_served.status_code == 200  # the company's token was not swapped
    assert allowed.status_code == 200
    assert COMPANY in allowed.json()["companies"]


def test_sandbox_serve_takes_an_admin_token_or_generates_and_prints_one() -> None:
    def serve(*extra: str) -> tuple[subprocess.Popen[str], str, str]:
        command = [sys.executable, "-m", "syncd", "sandbox", "serve", "--port", "0", "--token", TOKEN]
        command += ["--company-id", COMPANY, "--seed", "none", *extra]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("serving ").removesuffix("/v1")
        token = process.stdout.readline().strip().removeprefix("admin token ")
        return process, url, token

    given, given_url, given_token = serve("--admin-token", "operator-chosen-admin-token")
    generated, generated_url, generated_token = serve()
    try:
        assert given_token == "operator-chosen-admin-token"
        assert len(generated_token) >= 24
        for url, token in ((given_url, given_token), (generated_url, generated_token)):
            clock = f"{url}/_sandbox/clock"
            assert httpx.get(clock, timeout=5).status_code == 401
            assert httpx.get(clock, headers={ADMIN_HEADER: token}, timeout=5).status_code == 200
    finally:
        for process in (given, generated):
            process.terminate()
            assert process.wait(timeout=10) == 0
            if process.stdout is not None:
                process.stdout.close()
