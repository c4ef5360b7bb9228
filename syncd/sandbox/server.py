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
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from syncd.sandbox import jsonutil
from syncd.sandbox.core import Sandbox
from syncd.sandbox.faults import GATE_LIMIT_S

ADMIN_HEADER = "X-Sandbox-Admin-Token"


def _handler_class(sandbox: Sandbox, admin_token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Keep-alive plus Nagle would hold each small response back ~40 ms waiting for an ACK.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            if url.path.startswith("/_sandbox") and not self._admin():
                return
            response = sandbox.handle(self.command, url.path, dict(parse_qsl(url.query)), headers, body)
            if response.fault == "hang" and response.gate is not None:
                response.gate.done.wait(response.fault_seconds or GATE_LIMIT_S)
            elif response.fault == "hang":
                time.sleep(response.fault_seconds)
            if response.fault in ("drop", "hang"):
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
            except OSError:  # the client gave up (or died) while a latency fault held its request
                self.close_connection = True

        def _admin(self) -> bool:
            """Whether the request carries the admin token; else answer 401 and say so."""
            given = self.headers.get(ADMIN_HEADER) or ""
            if hmac.compare_digest(given.encode(), admin_token.encode()):
                return True
            payload = jsonutil.dumps(
                {"error": f"admin routes need the sandbox admin token in the {ADMIN_HEADER} header"}
            )
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return False

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the sandbox keeps its own request log."""

    return Handler


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
