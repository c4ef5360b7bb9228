"""Bearer tokens for Bokio: private integration tokens and OAuth 2.0 (reference §2).

Tokens are held as :class:`pydantic.SecretStr` (the same type the settings use), whose ``repr``
and ``str`` print stars; the raw value is only read where the ``Authorization`` header is built.

- :class:`PrivateTokenAuth`: one company, a static token.
- :class:`OAuthClient`: the ``/authorize`` URL with a mandatory ``state`` (Bokio's deviation from
  RFC 6749) and its check on the callback, and the three ``/token`` grants.
- :class:`OAuthCompanyAuth`: a company token that refreshes itself ``skew_s`` before expiry and
  persists the rotated refresh token through a :class:`TokenStore` *before* using it, so a crash
  never leaves us holding only a refresh token Bokio has already retired.
- :class:`ClientCredentialsAuth`: the General API token (``/connections``); no refresh token is
  issued, a new one is simply requested.

Refreshes are serialised per auth object by a lock; across processes the per-company advisory
lock (design §6) keeps two replicas from rotating the same refresh token.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from syncd import jsonutil
from syncd.bokio.errors import AuthError, ErrorContext, OAuthError, ServerError, TransportError

DEFAULT_BASE_URL = "https://api.bokio.se/v1"
# ``/token``, ``/authorize`` and ``/connections`` live under ``/v1`` too: Bokio's General API OpenAPI
# declares the server ``https://api.bokio.se/v1`` with paths ``/token`` and ``/authorize`` (and the
# security scheme's relative ``tokenUrl: /token``); only some prose examples omit the prefix
# (reference §2.2). The sandbox serves them at ``/v1/token`` and ``/v1/authorize`` likewise.
DEFAULT_GENERAL_BASE_URL = "https://api.bokio.se/v1"
Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Auth(Protocol):
    """What the client needs from any token source."""

    def authorization(self) -> str:
        """The ``Authorization`` header value, e.g. ``Bearer …``; may refresh first."""
        ...

    def invalidate(self) -> bool:
        """Called after a 401; True if fetching a new token could help (then the call is retried once)."""
        ...


class PrivateTokenAuth:
    """A private integration token (Company API, one company)."""

    def __init__(self, token: SecretStr | str) -> None:
        self._token = token if isinstance(token, SecretStr) else SecretStr(token)
        if not self._token.get_secret_value().strip():
            raise AuthError("the Bokio integration token is empty; set it in the secret file")

    def authorization(self) -> str:
        return f"Bearer {self._token.get_secret_value()}"

    def invalidate(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "PrivateTokenAuth(token=SecretStr('**********'))"


@dataclass(frozen=True)
class TokenSet:
    """What ``/token`` returned, with the absolute expiry computed from ``expires_in``."""

    access_token: SecretStr
    expires_at: datetime
    refresh_token: SecretStr | None = None
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    tenant_id: str | None = None
    tenant_type: str | None = None
    connection_id: str | None = None

    def expires_within(self, now: datetime, skew: timedelta) -> bool:
        return now + skew >= self.expires_at


class TokenStore(Protocol):
    """Persistence for OAuth tokens (DB row, secret manager…); ``key`` is usually the company id."""

    def load(self, key: str) -> TokenSet | None: ...

    def save(self, key: str, tokens: TokenSet) -> None: ...

    def locked(self, key: str) -> AbstractContextManager[object]:
        """Held across load → refresh → save: Bokio rotates the refresh token on every refresh, so
        two refreshers with the same token (two stages, two replicas) would disconnect the company."""
        ...


class InMemoryTokenStore:
    """A :class:`TokenStore` for tests and the demo."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.saves = 0

    def locked(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def load(self, key: str) -> TokenSet | None:
        return self._tokens.get(key)

    def save(self, key: str, tokens: TokenSet) -> None:
        self._tokens[key] = tokens
        self.saves += 1


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, and the ``state`` to keep (server-side session) for the callback."""

    url: str
    state: str


class OAuthClient:
    """The General API's ``/authorize`` and ``/token`` for one registered public integration."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        client_id: str,
        client_secret: SecretStr,
        redirect_uri: str,
        base_url: str = DEFAULT_GENERAL_BASE_URL,
        now: Now = _utcnow,
        new_state: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._http = http
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self.base_url = base_url.rstrip("/")
        self._now = now
        self._new_state = new_state

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r}, client_secret=SecretStr('**********'))"

    def authorization_url(
        self, *, scopes: list[str] | None = None, tenant_id: str | None = None, state: str | None = None
    ) -> AuthorizationRequest:
        """Build the ``/authorize`` redirect; ``state`` is generated unless given (it is mandatory)."""
        state = state or self._new_state()
        if not state:
            raise ValueError("Bokio requires a non-empty state")
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": state,
        }
        if scopes:
            params["scope"] = " ".join(scopes)
        if tenant_id:
            params["bokio_tenantid"] = tenant_id
            params["bokio_tenanttype"] = "company"
        return AuthorizationRequest(f"{self.base_url}/authorize?{urlencode(params)}", state)

    @staticmethod
    def code_from_callback(params: Mapping[str, str], *, expected_state: str) -> str:
        """Check ``state`` (constant time) and return the code; refuses errors and forged callbacks."""
        if "error" in params:
            raise OAuthError(
                f"authorization refused: {params.get('error_description') or params['error']}",
                error=params["error"],
            )
        state = params.get("state", "")
        if not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
            raise OAuthError("OAuth callback state does not match; possible CSRF, start again", error="state")
        code = params.get("code")
        if not code:
            raise OAuthError("OAuth callback carries no code", error="code")
        return code

    def exchange_code(self, code: str) -> TokenSet:
        """Authorization code (valid 5 minutes) → company token set with refresh token."""
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )

    def refresh(self, refresh_token: SecretStr) -> TokenSet:
        """Refresh grant; if Bokio returns no new refresh token the old one is kept."""
        tokens = self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
        )
        return tokens if tokens.refresh_token else replace(tokens, refresh_token=refresh_token)

    def client_credentials(self) -> TokenSet:
        """General API token (for ``/connections``)."""
        return self._token({"grant_type": "client_credentials"})

    def _token(self, form: dict[str, str]) -> TokenSet:
        basic = base64.b64encode(f"{self.client_id}:{self._secret.get_secret_value()}".encode()).decode()
        ctx = ErrorContext(method="POST", path="/token", path_template="/token")
        started = self._now()
        try:
            response = self._http.post(
                f"{self.base_url}/token",
                data=form,
                headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            # a refresh whose answer was lost may already have rotated the token; re-auth may follow
            raise TransportError(f"token request failed: {type(exc).__name__}", context=ctx) from None
        ctx = replace(ctx, status=response.status_code)
        if response.status_code >= 500:
            raise ServerError(f"token endpoint answered {response.status_code}", context=ctx)
        try:
            body: Any = jsonutil.loads(response.text) if response.content else {}
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            error = body.get("error") if isinstance(body, dict) else None
            desc = body.get("error_description") if isinstance(body, dict) else None
            raise OAuthError(
                f"token request refused: {desc or error or response.status_code}",
                error=str(error) if error else None,
                context=ctx,
            )
        return _token_set(body, started)


def _token_set(body: dict[str, Any], now: datetime) -> TokenSet:
    refresh = body.get("refresh_token")
    return TokenSet(
        access_token=SecretStr(str(body["access_token"])),
        expires_at=now + timedelta(seconds=int(body.get("expires_in") or 3600)),
        refresh_token=SecretStr(str(refresh)) if refresh else None,
        token_type=str(body.get("token_type") or "bearer"),
        tenant_id=body.get("tenant_id") or None,
        tenant_type=body.get("tenant_type") or None,
        connection_id=body.get("connection_id") or None,
    )


class OAuthCompanyAuth:
    """A public integration's token for one company: refresh before expiry, persist the rotation."""

    def __init__(
        self, oauth: OAuthClient, store: TokenStore, *, key: str, skew_s: float = 60.0, now: Now = _utcnow
    ) -> None:
        self._oauth = oauth
        self._store = store
        self.key = key
        self._skew = timedelta(seconds=skew_s)
        self._now = now
        self._lock = threading.Lock()
        self._force = False
        self._used: SecretStr | None = None  # the access token Bokio last refused (see invalidate)

    def __repr__(self) -> str:
        return f"OAuthCompanyAuth(key={self.key!r})"

    def current(self) -> TokenSet:
        """A valid token set, refreshing (and saving) first if it is about to expire.

        Under the store's lock, so one refresher at a time rotates the token; a forced refresh
        (after a 401) is skipped when someone else already replaced the refused token.
        """
        with self._lock, self._store.locked(self.key):
            tokens = self._store.load(self.key)
            if tokens is None:
                raise AuthError(f"no OAuth tokens stored for {self.key}; connect the company first")
            forced = self._force and (self._used is None or tokens.access_token == self._used)
            if forced or tokens.expires_within(self._now(), self._skew):
                if tokens.refresh_token is None:
                    raise AuthError(f"OAuth token for {self.key} expired and has no refresh token")
                tokens = self._oauth.refresh(tokens.refresh_token)
                self._store.save(self.key, tokens)
            self._force = False
            self._used = tokens.access_token
            return tokens

    def authorization(self) -> str:
        return f"Bearer {self.current().access_token.get_secret_value()}"

    def invalidate(self) -> bool:
        """Force a refresh on the next call (the client retries a 401 only once)."""
        with self._lock:
            self._force = True
            return True


class ClientCredentialsAuth:
    """General API token; fetched again (no refresh token exists) shortly before it expires."""

    def __init__(self, oauth: OAuthClient, *, skew_s: float = 60.0, now: Now = _utcnow) -> None:
        self._oauth = oauth
        self._skew = timedelta(seconds=skew_s)
        self._now = now
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "ClientCredentialsAuth()"

    def authorization(self) -> str:
        with self._lock:
            if self._tokens is None or self._tokens.expires_within(self._now(), self._skew):
                self._tokens = self._oauth.client_credentials()
            return f"Bearer {self._tokens.access_token.get_secret_value()}"

    def invalidate(self) -> bool:
        with self._lock:
            had = self._tokens is not None
            self._tokens = None
            return had
