from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import structlog
from pydantic import SecretStr

from syncd.bokio import (
    AuthError,
    BokioGeneralClient,
    ClientCredentialsAuth,
    ForbiddenError,
    InMemoryTokenStore,
    OAuthClient,
    OAuthCompanyAuth,
    OAuthError,
    OutcomeUnknownError,
    PrivateTokenAuth,
    RateLimiter,
    TokenSet,
    build_http_client,
)

from .conftest import BASE, INVOICE, TOKEN, FakeClock, make_client

CLIENT_ID = "6f1c1b1e-0000-4000-8000-000000000001"
SECRET = "client-SECRET-value"
REDIRECT = "https://syncd.example/callback"


class FakeTokenServer:
    """Bokio's /token: hands out numbered tokens and rotates refresh tokens."""

    def __init__(self) -> None:
        self.forms: list[dict[str, list[str]]] = []
        self.n = 0
        self.rotate = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/token"
        assert (
            request.headers["Authorization"]
            == "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        )
        form = parse_qs(request.content.decode())
        self.forms.append(form)
        grant = form["grant_type"][0]
        if grant == "authorization_code" and form["code"] != ["good-code"]:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "code expired"})
        self.n += 1
        body = {
            "access_token": f"access-{self.n}",
            "token_type": "bearer",
            "expires_in": 3600,
            "tenant_id": "ten-1",
            "tenant_type": "company",
            "connection_id": "con-1",
        }
        if grant != "client_credentials" and (self.rotate or grant == "authorization_code"):
            body["refresh_token"] = f"refresh-{self.n}"
        if grant == "client_credentials":
            body.update(tenant_type="general", tenant_id="")
        return httpx.Response(200, json=body)


def _oauth(server: FakeTokenServer, clock: FakeClock) -> OAuthClient:
    return OAuthClient(
        build_http_client(httpx.MockTransport(server)),
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET),
        redirect_uri=REDIRECT,
        base_url=BASE,
        now=clock.now,
        new_state=lambda: "state-xyz",
    )


def test_authorization_url_carries_the_mandatory_state_and_bokio_parameters(clock: FakeClock) -> None:
    request = _oauth(FakeTokenServer(), clock).authorization_url(
        scopes=["invoices:read", "invoices:write"], tenant_id="ten-1"
    )
    parts = urlsplit(request.url)
    query = parse_qs(parts.query)
    assert parts.path == "/v1/authorize"
    assert query == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT],
        "state": ["state-xyz"],
        "scope": ["invoices:read invoices:write"],
        "bokio_tenantid": ["ten-1"],
        "bokio_tenanttype": ["company"],
    }
    assert request.state == "state-xyz"


def test_callback_with_a_wrong_or_missing_state_is_rejected() -> None:
    with pytest.raises(OAuthError, match="state"):
        OAuthClient.code_from_callback({"code": "c", "state": "forged"}, expected_state="state-xyz")
    with pytest.raises(OAuthError, match="state"):
        OAuthClient.code_from_callback({"code": "c"}, expected_state="state-xyz")
    with pytest.raises(OAuthError, match="denied"):
        OAuthClient.code_from_callback(
            {"error": "access_denied", "error_description": "user denied"}, expected_state="state-xyz"
        )
    assert (
        OAuthClient.code_from_callback({"code": "c", "state": "state-xyz"}, expected_state="state-xyz") == "c"
    )


def test_authorization_code_exchange_returns_tokens_with_absolute_expiry(clock: FakeClock) -> None:
    server = FakeTokenServer()
    tokens = _oauth(server, clock).exchange_code("good-code")
    assert server.forms[0] == {
        "grant_type": ["authorization_code"],
        "code": ["good-code"],
        "redirect_uri": [REDIRECT],
    }
    assert tokens.access_token.get_secret_value() == "access-1"
    assert tokens.refresh_token is not None
    assert tokens.expires_at == clock.now() + timedelta(seconds=3600)
    assert (tokens.tenant_id, tokens.connection_id) == ("ten-1", "con-1")


def test_a_refused_code_exchange_raises_with_the_oauth_error(clock: FakeClock) -> None:
    with pytest.raises(OAuthError, match="code expired") as info:
        _oauth(FakeTokenServer(), clock).exchange_code("stale")
    assert info.value.error == "invalid_grant"


def _stored(clock: FakeClock, *, expires_in_s: float) -> InMemoryTokenStore:
    store = InMemoryTokenStore()
    store.save(
        "co-1",
        TokenSet(
            access_token=SecretStr("access-0"),
            refresh_token=SecretStr("refresh-0"),
            expires_at=clock.now() + timedelta(seconds=expires_in_s),
        ),
    )
    return store


def test_token_is_refreshed_before_expiry_and_the_rotated_refresh_token_is_persisted(
    clock: FakeClock,
) -> None:
    server = FakeTokenServer()
    store = _stored(clock, expires_in_s=3600)
    auth = OAuthCompanyAuth(_oauth(server, clock), store, key="co-1", skew_s=60, now=clock.now)
    assert auth.authorization() == "Bearer access-0"
    assert server.forms == []

    clock.t += 3550  # inside the 60 s skew
    assert auth.authorization() == "Bearer access-1"
    assert server.forms[-1] == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-0"]}
    saved = store.load("co-1")
    assert saved is not None
    assert saved.refresh_token is not None
    assert saved.refresh_token.get_secret_value() == "refresh-1"

    clock.t += 3600
    assert auth.authorization() == "Bearer access-2"
    assert server.forms[-1]["refresh_token"] == ["refresh-1"]  # the rotated one was used


def test_refresh_keeps_the_old_refresh_token_when_bokio_does_not_rotate(clock: FakeClock) -> None:
    server = FakeTokenServer()
    server.rotate = False
    store = _stored(clock, expires_in_s=0)
    OAuthCompanyAuth(_oauth(server, clock), store, key="co-1", now=clock.now).authorization()
    saved = store.load("co-1")
    assert saved is not None
    assert saved.refresh_token is not None
    assert saved.refresh_token.get_secret_value() == "refresh-0"


def test_missing_tokens_are_an_auth_error_that_says_to_connect_first(clock: FakeClock) -> None:
    auth = OAuthCompanyAuth(_oauth(FakeTokenServer(), clock), InMemoryTokenStore(), key="co-9", now=clock.now)
    with pytest.raises(AuthError, match="connect the company"):
        auth.authorization()


def test_a_401_forces_one_refresh_and_one_resend(clock: FakeClock) -> None:
    server = FakeTokenServer()
    store = _stored(clock, expires_in_s=3600)
    auth = OAuthCompanyAuth(_oauth(server, clock), store, key="co-1", now=clock.now)
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer access-0":
            return httpx.Response(401)
        return httpx.Response(200, json=INVOICE)

    assert make_client(api, clock, auth=auth).get_invoice("inv-1").id == "inv-1"
    assert seen == ["Bearer access-0", "Bearer access-1"]


def test_general_api_lists_connections_with_a_client_credentials_token(clock: FakeClock) -> None:
    server = FakeTokenServer()
    cc = ClientCredentialsAuth(_oauth(server, clock), now=clock.now)

    def api(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer access-1"
        assert request.url.path == "/v1/connections"
        assert request.url.params["tenantId"] == "ten-1"
        item = {"id": "con-1", "tenantId": "ten-1", "tenantName": "Acme AB", "type": "company"}
        return httpx.Response(200, json={"totalItems": 1, "totalPages": 1, "currentPage": 1, "items": [item]})

    general = BokioGeneralClient(
        build_http_client(httpx.MockTransport(api)),
        base_url=BASE,
        auth=cc,
        limiter=RateLimiter(clock=clock, sleep=clock.sleep),
    )
    (conn,) = general.iter_connections(tenant_id="ten-1")
    assert (conn.id, conn.tenant_name) == ("con-1", "Acme AB")
    assert server.forms == [{"grant_type": ["client_credentials"]}]


def test_the_token_never_appears_in_logs_reprs_or_exception_messages(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def api(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if request.method == "POST":
            raise httpx.ReadTimeout("timed out")
        return httpx.Response(403, json={"code": "forbidden", "message": "missing scope invoices:write"})

    auth = PrivateTokenAuth(TOKEN)
    client = make_client(api, clock, auth=auth)
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    with structlog.testing.capture_logs() as logs:
        try:
            client.get_invoice("x")
        except ForbiddenError as exc:
            errors.append(exc)
        try:
            client.publish_invoice("x")
        except OutcomeUnknownError as exc:
            errors.append(exc)
    assert len(errors) == 2
    assert logs, "requests are logged at debug level"
    texts = [repr(auth), str(auth), repr(client), repr(logs), caplog.text]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    tokens = TokenSet(access_token=SecretStr(TOKEN), expires_at=datetime.now(UTC))
    texts += [repr(tokens), str(tokens)]
    for text in texts:
        assert TOKEN not in text
