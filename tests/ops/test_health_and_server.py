"""The ops HTTP server over a real socket: liveness from the heartbeat, readiness from the database."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from syncd import migrate
from syncd.errors import ConfigError
from syncd.ops.health import DatabaseReadiness, Heartbeat, Readiness
from syncd.ops.metrics import Metrics
from syncd.ops.server import OpsServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def ready_always() -> Readiness:
    return Readiness(True, "test")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def heartbeat(clock: FakeClock) -> Heartbeat:
    return Heartbeat(stale_after=30, clock=clock)


@pytest.fixture
def server(heartbeat: Heartbeat) -> Iterator[OpsServer]:
    with OpsServer(heartbeat=heartbeat, readiness=ready_always, metrics=Metrics(), port=0) as ops:
        yield ops


def test_a_heartbeat_is_fresh_at_start_goes_stale_without_beats_and_recovers_on_a_beat(
    clock: FakeClock,
) -> None:
    beat = Heartbeat(stale_after=10, clock=clock)
    assert beat.is_fresh()
    clock.now += 9.5
    assert beat.age() == pytest.approx(9.5)
    assert beat.is_fresh()
    clock.now += 1
    assert not beat.is_fresh()
    beat.beat()
    assert beat.age() == 0
    assert beat.is_fresh()
    assert beat.beats == 1


def test_port_zero_binds_a_free_port_and_reports_it(server: OpsServer) -> None:
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


def test_healthz_is_200_while_the_heartbeat_is_fresh_and_503_once_stale(
    server: OpsServer, clock: FakeClock, heartbeat: Heartbeat
) -> None:
    status, body, _ = get(server.url + "/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"

    clock.now += 31
    status, body, _ = get(server.url + "/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "stale", "heartbeat_age_s": 31.0, "stale_after_s": 30}

    heartbeat.beat()
    assert get(server.url + "/healthz")[0] == 200


def test_healthz_never_runs_the_readiness_check(heartbeat: Heartbeat) -> None:
    calls: list[int] = []

    def readiness() -> Readiness:
        calls.append(1)
        return Readiness(False, "database down")

    with OpsServer(heartbeat=heartbeat, readiness=readiness, metrics=Metrics(), port=0) as ops:
        assert get(ops.url + "/healthz")[0] == 200
        assert calls == []
        assert get(ops.url + "/readyz")[0] == 503
        assert calls == [1]


def test_unknown_paths_are_404_and_a_failing_check_is_500_without_killing_the_server(
    heartbeat: Heartbeat,
) -> None:
    def broken() -> Readiness:
        raise RuntimeError("bug")

    with OpsServer(heartbeat=heartbeat, readiness=broken, metrics=Metrics(), port=0) as ops:
        assert get(ops.url + "/nope")[0] == 404
        assert get(ops.url + "/readyz")[0] == 500
        assert get(ops.url + "/healthz")[0] == 200


def test_stop_closes_the_socket_and_is_idempotent(heartbeat: Heartbeat) -> None:
    ops = OpsServer(heartbeat=heartbeat, readiness=ready_always, metrics=Metrics(), port=0).start()
    port = ops.port
    ops.stop()
    ops.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_a_busy_port_is_a_configuration_error_naming_http_port(
    server: OpsServer, heartbeat: Heartbeat
) -> None:
    second = OpsServer(heartbeat=heartbeat, readiness=ready_always, metrics=Metrics(), port=server.port)
    with pytest.raises(ConfigError, match="http_port"):
        second.start()


def test_metrics_are_served_in_prometheus_text_format(heartbeat: Heartbeat) -> None:
    metrics = Metrics()
    metrics.observe_allocation("ocr", "auto", 2)
    with OpsServer(heartbeat=heartbeat, readiness=ready_always, metrics=metrics, port=0) as ops:
        status, body, headers = get(ops.url + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    allocations = families["syncd_allocations"].samples
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in allocations}
    assert samples[("syncd_allocations_total", (("decision", "auto"), ("tier", "ocr")))] == 2
    assert families["syncd_build_info"].samples[0].labels["version"]


# --- readiness against real databases ---------------------------------------------------------


def readyz(url: str, heartbeat: Heartbeat) -> tuple[int, dict[str, Any]]:
    check = DatabaseReadiness(url, timeout_s=2)
    try:
        with OpsServer(heartbeat=heartbeat, readiness=check, metrics=Metrics(), port=0) as ops:
            status, body, _ = get(ops.url + "/readyz")
            return status, json.loads(body)
    finally:
        check.close()


def test_readyz_is_200_on_a_database_at_head(database_url: str, heartbeat: Heartbeat) -> None:
    status, body = readyz(database_url, heartbeat)
    assert status == 200
    assert body["status"] == "ready"
    assert body["current"] == body["head"] == migrate.head_revision()


def test_readyz_is_503_on_an_unmigrated_database_and_says_to_upgrade(
    empty_database_url: str, heartbeat: Heartbeat
) -> None:
    if empty_database_url.startswith("sqlite"):  # an empty file, not a missing one
        migrate.upgrade(empty_database_url)
        migrate.downgrade(empty_database_url, "base")
    status, body = readyz(empty_database_url, heartbeat)
    assert status == 503
    assert body["current"] is None
    assert "syncd db upgrade" in body["reason"]


def test_readyz_is_503_on_a_database_downgraded_below_head(database_url: str, heartbeat: Heartbeat) -> None:
    migrate.downgrade(database_url, "base")
    status, body = readyz(database_url, heartbeat)
    assert status == 503
    assert body["head"] == migrate.head_revision()
    assert "schema at base" in body["reason"]


def test_readyz_does_not_create_a_missing_sqlite_file(tmp_path: Any, heartbeat: Heartbeat) -> None:
    path = tmp_path / "absent.sqlite3"
    status, body = readyz(f"sqlite:///{path}", heartbeat)
    assert status == 503
    assert "does not exist" in body["reason"]
    assert not path.exists()


def test_readyz_is_503_when_postgresql_does_not_answer_and_hides_the_password(heartbeat: Heartbeat) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, body = readyz(f"postgresql+psycopg://syncd:s3cr3t-pw@127.0.0.1:{port}/syncd", heartbeat)
    assert status == 503
    assert body["reason"].startswith("database unreachable")
    assert "s3cr3t-pw" not in json.dumps(body)
