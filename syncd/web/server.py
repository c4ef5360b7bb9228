"""Serve the web app with uvicorn: in the foreground (``syncd web``) or in a thread (daemon, demo, tests).

uvicorn's own proxy-header handling stays off: it would replace the peer address with the
client's, and :mod:`syncd.web.auth` must see the peer to decide whether it is a trusted proxy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from syncd.app import App
from syncd.errors import ConfigError
from syncd.web.app import create_app

STARTUP_TIMEOUT_S = 15.0


def check_users(app: App) -> None:
    """Refuse to serve a page nobody can sign in to."""
    web = app.settings.web
    if not web.users:
        raise ConfigError(
            "no web users are configured: add one with `syncd web user add NAME` "
            "(it writes a [[web.users]] entry with an argon2 hash)"
        )
    if web.proxy_header and not web.trusted_proxies:
        raise ConfigError("web.proxy_header is set, web.trusted_proxies is empty: name the proxy's address")


def _server(app: App, host: str, port: int) -> Any:
    import uvicorn

    config = uvicorn.Config(
        create_app(app),
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    return uvicorn.Server(config)


def serve(app: App, host: str, port: int) -> None:
    """Serve until interrupted (uvicorn handles SIGINT and SIGTERM)."""
    _server(app, host, port).run()


@contextmanager
def serving(app: App, host: str, port: int) -> Iterator[str]:
    """Serve in a background thread; yields the base URL (port 0 picks a free one)."""
    server = _server(app, host, port)
    thread = threading.Thread(target=server.run, name="syncd-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"the web app could not listen on {host}:{port} (is the port taken?)")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
