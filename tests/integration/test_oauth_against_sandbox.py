"""OAuth for public integrations, end to end against the sandbox's General API (issue 3, point 5)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from pydantic import SecretStr

from syncd.bokio import (
    BokioClient,
    InMemoryTokenStore,
    OAuthClient,
    OAuthCompanyAuth,
    OAuthError,
    RateLimiter,
    TokenSet,
)
from syncd.sandbox import ManualClock, Sandbox, SandboxTransport
from syncd.tokenstore import FileTokenStore

COMPANY = "0a7c2f11-9d3b-4e6a-8f21-6c4d2b1a9e07"
CLIENT_ID = "syncd-public-integration"
SECRET = "client-secret-for-sandbox-tests"
REDIRECT = "https://syncd.example.se/oauth/callback"


@pytest.fixture
def wall() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def http(wall: ManualClock) -> httpx.Client:
    sandbox = Sandbox(clock=wall, strict=False, sleep=lambda _s: None)
    sandbox.add_company(COMPANY, name="Exempel Bygg AB")
    sandbox.add_client(CLIENT_ID, SECRET, REDIRECT)
    return httpx.Client(transport=SandboxTransport(sandbox), follow_redirects=False)


def oauth(http: httpx.Client, wall: ManualClock) -> OAuthClient:
    return OAuthClient(
        http,
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET),
        redirect_uri=REDIRECT,
        base_url="http://sandbox.test/v1",
        now=wall,
    )


def consent(http: httpx.Client, client: OAuthClient) -> dict[str, str]:
    """What the browser brings back to the redirect URI after the user consents."""
    request = client.authorization_url(tenant_id=COMPANY, scopes=["invoices:read", "invoices:write"])
    response = http.get(request.url)
    assert response.status_code == 302
    callback = parse_qs(urlparse(response.headers["location"]).query)
    return {key: values[0] for key, values in callback.items()} | {"_expected_state": request.state}


def test_the_code_exchange_gives_tokens_that_read_the_company(http: httpx.Client, wall: ManualClock) -> None:
    client = oauth(http, wall)
    params = consent(http, client)
    code = OAuthClient.code_from_callback(params, expected_state=params["_expected_state"])
    tokens = client.exchange_code(code)
    store = InMemoryTokenStore()
    store.save(COMPANY, tokens)
    bokio = BokioClient(
        http,
        base_url="http://sandbox.test/v1",
        company_id=COMPANY,
        auth=OAuthCompanyAuth(client, store, key=COMPANY, now=wall),
        limiter=RateLimiter(),
    )
    assert bokio.get_company_information().name == "Exempel Bygg AB"


def test_a_callback_with_a_forged_state_is_rejected(http: httpx.Client, wall: ManualClock) -> None:
    client = oauth(http, wall)
    params = consent(http, client)
    with pytest.raises(OAuthError, match="state"):
        OAuthClient.code_from_callback(params, expected_state="something-else")


def test_an_expiring_token_is_refreshed_and_the_rotated_refresh_token_persisted(
    http: httpx.Client, wall: ManualClock
) -> None:
    client = oauth(http, wall)
    params = consent(http, client)
    first = client.exchange_code(
        OAuthClient.code_from_callback(params, expected_state=params["_expected_state"])
    )
    store = InMemoryTokenStore()
    store.save(COMPANY, first)
    auth = OAuthCompanyAuth(client, store, key=COMPANY, now=wall)
    bokio = BokioClient(
        http, base_url="http://sandbox.test/v1", company_id=COMPANY, auth=auth, limiter=RateLimiter()
    )
    bokio.get_company_information()
    assert store.load(COMPANY) == first, "no refresh while the token is fresh"

    wall.set(first.expires_at + dt.timedelta(seconds=1))
    assert bokio.get_company_information().name == "Exempel Bygg AB"
    second = store.load(COMPANY)
    assert second is not None
    assert second.access_token.get_secret_value() != first.access_token.get_secret_value()
    assert second.refresh_token is not None
    assert first.refresh_token is not None
    assert second.refresh_token.get_secret_value() != first.refresh_token.get_secret_value()
    with pytest.raises(OAuthError):
        client.refresh(first.refresh_token)  # rotated: the old refresh token no longer works


def test_two_refreshers_of_one_company_rotate_its_token_once_and_neither_is_disconnected(
    http: httpx.Client, wall: ManualClock, tmp_path: Path
) -> None:
    """Two stages (or two replicas sharing the token volume) find the token expiring at once."""
    client = oauth(http, wall)
    params = consent(http, client)
    first = client.exchange_code(
        OAuthClient.code_from_callback(params, expected_state=params["_expected_state"])
    )
    FileTokenStore(tmp_path).save(COMPANY, first)
    wall.set(first.expires_at + dt.timedelta(seconds=1))

    second_loaded = threading.Event()

    class SlowRefresh(OAuthClient):
        def refresh(self, refresh_token: SecretStr) -> TokenSet:
            # hold the refresh until the other refresher has read the store (it cannot while the
            # store's lock is held: then this waits out its timeout and goes on alone)
            second_loaded.wait(timeout=0.5)
            return super().refresh(refresh_token)

    class Watched(FileTokenStore):
        def load(self, key: str) -> TokenSet | None:
            found = super().load(key)
            second_loaded.set()
            return found

    slow = SlowRefresh(
        http,
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET),
        redirect_uri=REDIRECT,
        base_url="http://sandbox.test/v1",
        now=wall,
    )
    auths = [
        OAuthCompanyAuth(slow, FileTokenStore(tmp_path), key=COMPANY, now=wall),
        OAuthCompanyAuth(client, Watched(tmp_path), key=COMPANY, now=wall),
    ]
    results: list[object] = [None, None]

    def use(i: int) -> None:
        try:
            results[i] = auths[i].current()
        except Exception as exc:  # the failure is the finding
            results[i] = exc

    first_thread = threading.Thread(target=use, args=(0,))
    first_thread.start()
    while not (tmp_path / f"{COMPANY}.lock").exists():  # the first refresher holds the lock
        time.sleep(0.001)
    second_thread = threading.Thread(target=use, args=(1,))
    second_thread.start()
    first_thread.join()
    second_thread.join()

    assert all(isinstance(r, TokenSet) for r in results), results
    stored = FileTokenStore(tmp_path).load(COMPANY)
    assert stored is not None
    assert [r.access_token for r in results if isinstance(r, TokenSet)] == [stored.access_token] * 2
    assert stored.access_token != first.access_token
