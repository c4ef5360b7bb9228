"""sd_notify against a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.ops.sdnotify import SystemdNotifier


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    try:
        yield sock, str(path)
    finally:
        sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_the_daemon_lifecycle_reaches_systemd_as_ready_status_watchdog_stopping(
    notify_socket: tuple[socket.socket, str],
) -> None:
    sock, path = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "60000000"})
    assert notifier.enabled
    assert notifier.ready(status="serving 2 companies")
    assert notifier.status("polling\ncompany 1")
    assert notifier.watchdog()
    assert notifier.stopping()
    assert [received(sock) for _ in range(4)] == [
        "READY=1\nSTATUS=serving 2 companies",
        "STATUS=polling company 1",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_an_abstract_namespace_socket_is_addressed_with_a_leading_nul() -> None:
    name = f"syncd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": "@" + name})
        assert notifier.ready()
        assert received(sock) == "READY=1"


def test_without_notify_socket_every_call_is_a_harmless_no_op() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.status("x")
    assert not notifier.watchdog()
    assert not notifier.stopping()
    assert notifier.watchdog_interval() is None


def test_the_ping_period_is_half_of_watchdog_usec() -> None:
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "60000000"})
    assert notifier.watchdog_interval() == 60.0
    assert notifier.watchdog_period() == 30.0


def test_the_watchdog_is_ignored_when_watchdog_pid_names_another_process() -> None:
    other = SystemdNotifier({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid() + 1)})
    mine = SystemdNotifier({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())})
    assert other.watchdog_interval() is None
    assert mine.watchdog_interval() == 60.0
    assert SystemdNotifier({"WATCHDOG_USEC": "garbage"}).watchdog_interval() is None


def test_a_vanished_socket_is_reported_as_not_sent_instead_of_raising(tmp_path: Path) -> None:
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.enabled
    assert not notifier.ready()
