"""``/healthz``, ``/readyz`` and ``/metrics`` on one small stdlib HTTP server thread.

The stdlib ``HTTPServer`` is enough for three GET endpoints polled by a kubelet and a Prometheus:
no web framework, no new dependency. Requests are served by a small bounded pool of worker
threads, so a slow readiness check (database timeout) never delays ``/healthz``, and a flood of
connections (idle ones held open, too) cannot start a thread each: beyond the workers and a short
queue, a connection is closed at once.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from prometheus_client.exposition import choose_encoder

from syncd.errors import ConfigError
from syncd.logging import get_logger
from syncd.ops.health import Heartbeat, Readiness
from syncd.ops.metrics import Metrics

log = get_logger(__name__)

ReadinessCheck = Callable[[], Readiness]


WORKERS = 4
"""Threads serving requests; each connection may hold one for at most the handler's timeout."""
QUEUED = 16
"""Accepted connections waiting for a worker; more are closed at once instead of piling up."""


class _Server(HTTPServer):
    """Serves each connection on a bounded pool instead of a thread per connection."""

    ops: OpsServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="syncd-ops-worker")
        self._slots = threading.BoundedSemaphore(WORKERS + QUEUED)
        super().__init__(address, handler)  # a failed bind calls server_close: the pool must exist

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.debug("ops.connection_refused", client=client_address[0], why="all workers busy")
            self.shutdown_request(request)
            return
        try:
            self._pool.submit(self._serve, request, client_address)
        except RuntimeError:  # the pool is shutting down
            self._slots.release()
            self.shutdown_request(request)

    def _serve(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one connection's failure is logged, never fatal
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # seconds a client may take to send its request line
    server_version = "syncd-ops"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        route = self.server.ops.routes().get(path)
        if route is None:
            self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint {path}"})
            return
        try:
            route(self)
        except Exception:  # one failing probe must not kill the server thread
            log.exception("ops.endpoint_failed", path=path)
            self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error, see the logs"})

    def send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        self.send_bytes(status, json.dumps(body).encode(), "application/json")

    def send_bytes(self, status: HTTPStatus, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # probes hit every few seconds: keep them out of the INFO stream
        log.debug("ops.request", client=self.client_address[0], line=format % args)


class OpsServer:
    """Serves liveness, readiness and metrics from a daemon thread; :meth:`stop` joins it.

    ``port=0`` binds a free port; :attr:`port` reports the one bound.
    """

    def __init__(
        self,
        *,
        heartbeat: Heartbeat,
        readiness: ReadinessCheck,
        metrics: Metrics,
        host: str = "127.0.0.1",
        port: int = 9108,
    ) -> None:
        self.heartbeat = heartbeat
        self.readiness = readiness
        self.metrics = metrics
        self._host = host
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        if self._server is None:
            raise RuntimeError("the ops server is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:9108``."""
        host = self._host if self._host not in {"0.0.0.0", "::", ""} else "127.0.0.1"  # noqa: S104
        return f"http://{host}:{self.port}"

    def start(self) -> OpsServer:
        """Bind and serve in a daemon thread; a busy port is a configuration error."""
        if self._server is not None:
            return self
        try:
            server = _Server((self._host, self._requested_port), _Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {self._host}:{self._requested_port}: {exc.strerror}; "
                "choose another http_port (0 picks a free one) or stop the other process",
                key="http_port",
            ) from exc
        server.ops = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="syncd-ops-http", daemon=True
        )
        self._thread.start()
        log.info("ops.listening", host=self._host, port=self.port)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket and join the thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> OpsServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def routes(self) -> dict[str, Callable[[_Handler], None]]:
        """Path to handler."""
        return {"/healthz": self._healthz, "/readyz": self._readyz, "/metrics": self._metrics}

    def _healthz(self, request: _Handler) -> None:
        age = self.heartbeat.age()
        fresh = age < self.heartbeat.stale_after
        body = {
            "status": "ok" if fresh else "stale",
            "heartbeat_age_s": round(age, 3),
            "stale_after_s": self.heartbeat.stale_after,
        }
        request.send_json(HTTPStatus.OK if fresh else HTTPStatus.SERVICE_UNAVAILABLE, body)

    def _readyz(self, request: _Handler) -> None:
        result = self.readiness()
        request.send_json(HTTPStatus.OK if result.ready else HTTPStatus.SERVICE_UNAVAILABLE, result.as_json())

    def _metrics(self, request: _Handler) -> None:
        encoder, content_type = choose_encoder(request.headers.get("Accept") or "")
        request.send_bytes(HTTPStatus.OK, encoder(self.metrics.registry), content_type)
