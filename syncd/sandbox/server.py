"""The sandbox over real HTTP on the stdlib ``ThreadingHTTPServer`` (no extra dependencies).

``drop`` closes the socket without writing a response; ``hang`` sleeps ``seconds`` (set it longer
than the client's timeout) and then closes without a response; a gated ``hang`` stays silent
until its write was applied. An answer the client no longer waits for is dropped quietly.

The admin routes (``/_sandbox/*``: faults, gates, reset, clock, the request log) can swap tokens
and rewrite the books, so over HTTP they need the admin token in ``X-Sandbox-Admin-Token`` — a
secret separate from the Bokio token, generated per server unless one is given (``server.admin_token``).
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from syncd.sandbox import jsonutil
from syncd.sandbox.core import Sandbox
from syncd.sandbox.errors import internal_error
from syncd.sandbox.faults import GATE_LIMIT_S
from syncd.sandbox.gateway import ADMIN_PREFIX, answer
from syncd.sandbox.response import SandboxResponse, error_response

_log = logging.getLogger(__name__)

ADMIN_HEADER = "X-Sandbox-Admin-Token"


class _Handler(BaseHTTPRequestHandler):
    """One request: admin token check, :func:`~syncd.sandbox.gateway.answer`, faults played."""

    sandbox: ClassVar[Sandbox]
    admin_token: ClassVar[str]
    protocol_version = "HTTP/1.1"
    # Keep-alive plus Nagle would hold each small response back ~40 ms waiting for an ACK.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        """Answer, and answer a failure here (a bad ``Content-Length``, say) with Bokio's JSON 500."""
        try:
            self._answer()
        except Exception:  # noqa: BLE001 - logged; the client still gets an answer
            _log.exception("sandbox HTTP handler failed on %s %s", self.command, self.path)
            self.close_connection = True  # the request body may be unread: do not reuse the socket
            response = error_response(internal_error())
            self._write(response.status, response.headers, response.body)

    def _answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path.startswith(ADMIN_PREFIX) and not self._admin():
            return
        query = dict(parse_qsl(url.query, keep_blank_values=True))  # as the in-process transport
        response = answer(
            self.sandbox, self.command, url.path, query=query, headers=dict(self.headers.items()), body=body
        )
        if response.fault in ("drop", "hang"):
            self._play_fault(response)
            return
        self._write(response.status, response.headers, response.body)

    def _play_fault(self, response: SandboxResponse) -> None:
        """Say nothing: wait out a hang (or its gate), then close the connection."""
        if response.fault == "hang" and response.gate is not None:
            response.gate.done.wait(response.fault_seconds or GATE_LIMIT_S)
        elif response.fault == "hang":
            time.sleep(response.fault_seconds)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)

    def _write(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (or died) while a latency fault held its request
            self.close_connection = True

    def _admin(self) -> bool:
        """Whether the request carries the admin token; else answer 401 and say so."""
        given = self.headers.get(ADMIN_HEADER) or ""
        if hmac.compare_digest(given.encode(), self.admin_token.encode()):
            return True
        payload = jsonutil.dumps(
            {"error": f"admin routes need the sandbox admin token in the {ADMIN_HEADER} header"}
        )
        self._write(401, {"Content-Type": "application/json"}, payload)
        return False

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the sandbox keeps its own request log."""


def _handler_class(sandbox: Sandbox, admin_token: str) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to one sandbox and its admin token."""
    return type("Handler", (_Handler,), {"sandbox": sandbox, "admin_token": admin_token})


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one sandbox; ``url`` ends in ``/v1``."""

    daemon_threads = True

    def __init__(self, host: str, port: int, sandbox: Sandbox, admin_token: str | None = None) -> None:
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        super().__init__((host, port), _handler_class(sandbox, self.admin_token))
        self.sandbox = sandbox

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1"


def serve(host: str, port: int, sandbox: Sandbox, admin_token: str | None = None) -> SandboxServer:
    """Bind (``port=0`` picks a free one) without starting; call ``serve_forever`` or use :func:`running`."""
    return SandboxServer(host, port, sandbox, admin_token)


@contextlib.contextmanager
def running(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, *, admin_token: str | None = None
) -> Iterator[SandboxServer]:
    """Serve in a background thread for the ``with`` block, then shut down cleanly."""
    server = serve(host, port, sandbox, admin_token)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="syncd-sandbox", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
