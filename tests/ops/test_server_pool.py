"""The ops server serves on a bounded pool (issue 12): a flood of idle connections cannot start a
thread each, and once it is gone the probes are answered again."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Callable

from syncd.ops.health import Heartbeat, Readiness
from syncd.ops.metrics import Metrics
from syncd.ops.server import QUEUED, WORKERS, OpsServer


def eventually(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def workers() -> int:
    return sum(t.name.startswith("syncd-ops-worker") for t in threading.enumerate())


def healthz(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


def test_a_flood_of_idle_connections_holds_at_most_the_worker_pool_and_health_recovers() -> None:
    heartbeat = Heartbeat(stale_after=30)
    ready = lambda: Readiness(True, "test")  # noqa: E731
    with OpsServer(heartbeat=heartbeat, readiness=ready, metrics=Metrics(), port=0) as ops:
        before = threading.active_count()
        flood = [socket.create_connection(("127.0.0.1", ops.port)) for _ in range(3 * (WORKERS + QUEUED))]
        try:
            eventually(lambda: workers() == WORKERS, "every worker busy with an idle connection")
            assert threading.active_count() <= before + WORKERS
        finally:
            for connection in flood:
                connection.close()
        eventually(lambda: healthz(ops.url) == 200, "/healthz answered after the flood")
        assert workers() <= WORKERS
