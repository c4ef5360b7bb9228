"""``syncd demo --web``: the web app on the demo's database, for a newcomer to click through."""

from __future__ import annotations

import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import SecretStr

from syncd.app import App
from syncd.daemon.cycle import CompanyCycle
from syncd.settings import Settings, WebSettings, WebUser
from syncd.web.auth import hash_password
from syncd.web.server import serving

DEMO_USER = "demo"
PUSH_EVERY_S = 5.0


def demo_settings(settings: Settings, password: str, *, port: int) -> Settings:
    """The demo's settings with one web user (a password made for this run only)."""
    user = WebUser(name=DEMO_USER, password_hash=SecretStr(hash_password(password)))
    web = WebSettings(port=port, users=(user,), session_secret=SecretStr(secrets.token_urlsafe(32)))
    return settings.model_copy(update={"web": web})


def serve_demo(settings: Settings, *, port: int, stop: threading.Event | None = None) -> None:
    """Serve until Ctrl-C (or ``stop``), printing where and how to sign in."""
    password = secrets.token_urlsafe(12)
    settings = demo_settings(settings, password, port=port)
    stop = stop or threading.Event()
    with App(settings) as app, serving(app, settings.web.host, settings.web.port) as url, _ctrl_c_sets(stop):
        sign_in = f"sign in as {DEMO_USER!r} with password {password!r}"
        print(f"\nthe web app runs on {url}/ - {sign_in}", file=sys.stderr)
        print("decisions are pushed to the demo's sandbox every few seconds; Ctrl-C stops", file=sys.stderr)
        while not stop.wait(PUSH_EVERY_S):  # as the daemon's push job would
            for company in settings.companies:
                CompanyCycle(app, company).push()
    print("stopped", file=sys.stderr)


@contextmanager
def _ctrl_c_sets(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C sets ``stop`` instead of raising where it lands: a push under way finishes (as the
    daemon's does on SIGTERM), and an interrupt inside a library's cleanup, where Python prints
    and ignores it, cannot leave the demo serving on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
