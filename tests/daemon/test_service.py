"""``syncd run`` as an operator runs it: a real process, real HTTP to the sandbox, a real database.

The sandbox serves over HTTP from the test process (so the test can look inside Bokio's books);
the daemon is a separate ``python -m syncd run`` process configured by environment variables only.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from syncd.db import make_engine, session_factory
from syncd.demo.bankday import bank_files
from syncd.demo.payments import Scenario
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.outbox.tables import OutboxCommand
from syncd.sandbox import Sandbox
from syncd.sandbox.server import running

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def drop_bank_day(sandbox: Sandbox, demo: DemoCompany, inbox: Path, *, seed: int = 7) -> list[str]:
    """Write a day of bank files for the company's open invoices; returns exact-OCR invoice numbers."""
    plan, files = bank_files(
        open_invoices(sandbox, demo.id), day=dt.date(2026, 11, 25), seed=seed, creditor=demo.creditor
    )
    inbox.mkdir(parents=True, exist_ok=True)
    old = time.time() - 10  # the inbox leaves files still for less than 5 s alone (uploads in progress)
    for name, content in files.items():
        partial = inbox / f".{name}.part"
        partial.write_bytes(content)
        os.utime(partial, (old, old))
        partial.rename(inbox / name)
    return [number for p in plan.payments if p.scenario is Scenario.EXACT_OCR for number in p.invoices]


def shorthand(
    database_url: str, base_url: str, demo: DemoCompany, inbox: Path | None = None
) -> dict[str, str]:
    """The single-company environment shorthand: the only configuration an operator needs."""
    env = {
        "SYNCD_DATABASE_URL": database_url,
        "SYNCD_BOKIO_BASE_URL": base_url,
        "SYNCD_COMPANY_ID": demo.id,
        "SYNCD_BOKIO_TOKEN": demo.token,
    }
    if inbox is not None:
        env["SYNCD_BANK_INBOX"] = str(inbox)
    return env


def recorded_payments(sandbox: Sandbox, company_id: str, numbers: list[str]) -> bool:
    """Every one of these invoices has a payment in Bokio that was recorded (bookkept)."""
    with sandbox.lock:
        company = sandbox.companies[company_id]
        by_number = {inv.get("invoiceNumber"): inv_id for inv_id, inv in company.invoices.items()}
        for number in numbers:
            payments = company.payments.get(by_number[number], {})
            if not any(p.get("journalEntryRef") for p in payments.values()):
                return False
    return True


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    ops_url: str
    notify: socket.socket

    def messages(self, timeout: float = 0.2) -> list[str]:
        self.notify.settimeout(timeout)
        found = []
        try:
            while True:
                found.append(self.notify.recv(4096).decode())
        except (TimeoutError, BlockingIOError):
            return found


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    try:
        yield str(path), sock
    finally:
        sock.close()


def start_daemon(env: dict[str, str], notify: tuple[str, socket.socket], log: Path) -> Daemon:
    port = free_port()
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")},
        **env,
        "SYNCD_HTTP_PORT": str(port),
        "SYNCD_DAEMON__INBOX_INTERVAL_S": "1",
        "SYNCD_DAEMON__PUSH_INTERVAL_S": "2",
        "SYNCD_LOG_FORMAT": "json",
        "NOTIFY_SOCKET": notify[0],
    }
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run"], env=full, stdout=handle, stderr=subprocess.STDOUT
        )
    return Daemon(process, f"http://127.0.0.1:{port}", notify[1])


def stop(daemon: Daemon, log: Path) -> int:
    return stop_all([(daemon, log)])[0]


# what systemd gives a stop: a stage may be inside a Bokio call with retries (up to
# bokio.deadline_s, 120 s) when SIGTERM comes, and finishes it first
UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "syncd.service"
STOP_TIMEOUT_S = int(re.findall(r"^TimeoutStopSec=(\d+)$", UNIT.read_text(), re.MULTILINE)[0])


def stop_all(daemons: list[tuple[Daemon, Path]]) -> list[int]:
    """SIGTERM every daemon, then wait for each; one that does not stop is killed, never left behind."""
    for daemon, _log in daemons:
        daemon.process.send_signal(signal.SIGTERM)
    codes: list[int] = []
    stuck: list[Path] = []
    for daemon, log in daemons:
        try:
            codes.append(daemon.process.wait(timeout=STOP_TIMEOUT_S))
        except subprocess.TimeoutExpired:
            daemon.process.kill()
            daemon.process.wait()
            stuck.append(log)
    if stuck:
        logs = "\n".join(f"{log.name}:\n{log.read_text()[-3000:]}" for log in stuck)
        raise AssertionError(f"{len(stuck)} daemon(s) did not stop on SIGTERM; logs:\n{logs}")
    return codes


def test_a_dropped_camt054_is_booked_in_bokio_within_a_tick_and_sigterm_exits_cleanly(
    database_url: str, tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    sandbox, demo = build_sandbox(seed=3)
    log = tmp_path / "daemon.log"
    with running(sandbox) as server:
        (tmp_path / "inbox").mkdir()  # syncd never creates a missing inbox: a typo must not look quiet
        env = shorthand(database_url, server.url, demo, tmp_path / "inbox")
        daemon = start_daemon(env, notify_socket, log)
        try:
            received: list[str] = []
            wait_for(
                lambda: received.extend(daemon.messages()) or any("READY=1" in m for m in received),
                timeout=30,
                what=f"READY=1 from systemd notify; log:\n{log.read_text()[-2000:]}",
            )
            assert httpx.get(f"{daemon.ops_url}/healthz").status_code == 200
            ready = httpx.get(f"{daemon.ops_url}/readyz")
            assert ready.status_code == 200, ready.text

            wait_for(lambda: '"stage": "import"' in log.read_text(), timeout=30, what="the first inbox scan")
            exact = drop_bank_day(sandbox, demo, tmp_path / "inbox")
            assert exact
            wait_for(
                lambda: recorded_payments(sandbox, demo.id, exact),
                timeout=45,
                what=f"recorded payments in Bokio; log:\n{log.read_text()[-3000:]}",
            )
            metrics = httpx.get(f"{daemon.ops_url}/metrics").text
            assert "syncd_bokio_requests_total{" in metrics
            assert 'syncd_outbox_depth{company="' in metrics
        finally:
            code = stop(daemon, log)
        received += daemon.messages()
    assert code == 0, log.read_text()[-3000:]
    assert any("STOPPING=1" in m for m in received)
    assert any("WATCHDOG=1" in m for m in received) or "WATCHDOG_USEC" not in os.environ
    assert "Bearer" not in log.read_text()
    assert demo.token not in log.read_text()


def test_sigterm_during_a_push_lets_the_command_finish_and_leaves_nothing_sending(
    database_url: str, tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    sandbox, demo = build_sandbox(seed=5)
    sandbox.faults.inject(
        "latency", "/companies/*/invoices/*/payments", method="POST", times=100, seconds=1.5
    )
    log = tmp_path / "daemon.log"
    with running(sandbox) as server:
        (tmp_path / "inbox").mkdir()  # syncd never creates a missing inbox: a typo must not look quiet
        env = shorthand(database_url, server.url, demo, tmp_path / "inbox")
        daemon = start_daemon(env, notify_socket, log)
        try:
            wait_for(lambda: '"stage": "import"' in log.read_text(), timeout=30, what="the first inbox scan")
            drop_bank_day(sandbox, demo, tmp_path / "inbox")

            def posting() -> bool:
                with sandbox.lock:
                    return any(e.method == "POST" and e.template.endswith("/payments") for e in sandbox.log)

            wait_for(posting, timeout=45, what=f"the first payment POST; log:\n{log.read_text()[-3000:]}")
        finally:
            code = stop(daemon, log)
    assert code == 0, log.read_text()[-3000:]
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            sending = session.scalar(
                select(func.count()).select_from(OutboxCommand).where(OutboxCommand.state == "sending")
            )
            done = session.scalar(
                select(func.count()).select_from(OutboxCommand).where(OutboxCommand.state == "done")
            )
    finally:
        engine.dispose()
    assert sending == 0
    assert done >= 1, "the command under way when SIGTERM came was finished, not abandoned"


def test_a_second_daemon_on_the_same_sqlite_file_is_refused_clearly(
    tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    from syncd import migrate

    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    migrate.upgrade(url)
    sandbox, demo = build_sandbox(seed=2)
    log = tmp_path / "first.log"
    with running(sandbox) as server:
        env = shorthand(url, server.url, demo)
        first = start_daemon(env, notify_socket, log)
        try:
            wait_for(
                lambda: any("READY=1" in m for m in first.messages()), timeout=30, what="the first daemon"
            )
            second = subprocess.run(
                [sys.executable, "-m", "syncd", "run"],
                env={**os.environ, **env, "SYNCD_HTTP_PORT": str(free_port())},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            assert stop(first, log) == 0
    assert second.returncode == 2
    assert "another syncd daemon is already running" in second.stderr
