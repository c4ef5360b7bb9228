"""Who is asking: signed session cookies, CSRF tokens, argon2 passwords, a login rate limit, the proxy header.

The session is a signed cookie (itsdangerous), HttpOnly and SameSite=Lax, Secure whenever the
request came over TLS (directly, or through a trusted proxy's ``X-Forwarded-Proto``). It holds
the user's name and a CSRF token, nothing secret. Every POST must carry that token. A proxy's
user header counts only when the connection comes from one of ``trusted_proxies``, and the user
must still be configured (so company access is always the config's).
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from syncd.settings import Settings, WebSettings, WebUser

COOKIE = "syncd_session"
MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """The argon2id hash ``[[web.users]] password_hash`` holds."""
    return _HASHER.hash(password)


def password_ok(user: WebUser | None, password: str) -> bool:
    """Check a password in constant-ish time, also for unknown users (no name probing by timing)."""
    stored = user.password_hash.get_secret_value() if user and user.password_hash else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.password_hash is not None


def session_key(settings: Settings) -> str:
    """The configured signing key, else one kept (0600) under ``state_dir`` across restarts."""
    if settings.web.session_secret is not None:
        return settings.web.session_secret.get_secret_value()
    path = Path(settings.state_dir) / "web-session-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class Session:
    """What the cookie carries: the signed-in user (if any), the CSRF token and one-shot messages."""

    user: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    flash: list[tuple[str, str]] = field(default_factory=list)
    changed: bool = False

    def say(self, kind: str, text: str) -> None:
        """A message for the next page (``ok`` or ``error``)."""
        self.flash.append((kind, text))
        self.changed = True

    def take_flash(self) -> list[tuple[str, str]]:
        """The messages, once."""
        messages, self.flash = self.flash, []
        if messages:
            self.changed = True
        return messages


class Sessions:
    """Reads and writes the session cookie."""

    def __init__(self, key: str, web: WebSettings) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="syncd-web-session")
        self._max_age = int(web.session_hours * 3600)
        self._web = web

    def load(self, request: Request) -> Session:
        """The request's session; a fresh one if the cookie is missing, forged or expired."""
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data: dict[str, Any] = self._serializer.loads(raw, max_age=self._max_age)
            except BadSignature:
                data = {}
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                flash = [(str(k), str(t)) for k, t in data.get("f", [])]
                return Session(user=data.get("u"), csrf=data["c"], flash=flash)
        return Session(changed=True)

    def save(self, request: Request, response: Response, session: Session) -> None:
        """Write the cookie back when it changed."""
        if not session.changed:
            return
        value = self._serializer.dumps({"u": session.user, "c": session.csrf, "f": session.flash})
        response.set_cookie(
            COOKIE,
            value,
            max_age=self._max_age,
            httponly=True,
            samesite="lax",
            secure=over_tls(request, self._web),
            path="/",
        )


def from_trusted_proxy(request: Request, web: WebSettings) -> bool:
    """The direct peer is one of the configured reverse proxies."""
    peer = request.client.host if request.client else None
    return peer is not None and peer in web.trusted_proxies


def over_tls(request: Request, web: WebSettings) -> bool:
    """HTTPS here, or HTTPS at a trusted proxy in front of us."""
    if request.url.scheme == "https":
        return True
    return from_trusted_proxy(request, web) and request.headers.get("x-forwarded-proto", "") == "https"


def proxy_user(request: Request, web: WebSettings) -> WebUser | None:
    """The configured user a trusted proxy's header names, if any."""
    if not web.proxy_header or not from_trusted_proxy(request, web):
        return None
    name = request.headers.get(web.proxy_header, "").strip()
    return web.user(name) if name else None


def csrf_ok(session: Session, sent: object) -> bool:
    """The form's token is this session's."""
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent, session.csrf)


class LoginLimiter:
    """At most :data:`MAX_FAILURES` wrong passwords per (user, address) in a quarter of an hour."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        now = self._clock()
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > FAILURE_WINDOW_S:
            failures.popleft()
        return failures

    def blocked_for(self, name: str, address: str) -> int:
        """Seconds until this (user, address) may try again; 0 when it may now."""
        with self._lock:
            failures = self._recent((name.casefold(), address))
            if len(failures) < MAX_FAILURES:
                return 0
            return max(1, int(FAILURE_WINDOW_S - (self._clock() - failures[0])))

    def failed(self, name: str, address: str) -> None:
        """Count one wrong password."""
        with self._lock:
            self._recent((name.casefold(), address)).append(self._clock())

    def succeeded(self, name: str, address: str) -> None:
        """A right password clears the count."""
        with self._lock:
            self._failures.pop((name.casefold(), address), None)
