"""SIGTERM lets the current unit of work finish, then the loop exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from syncd.ops.shutdown import ShutdownSignal

WORKER = textwrap.dedent(
    """
    import sys, time
    from syncd.ops.shutdown import ShutdownSignal

    unit_seconds = float(sys.argv[1])
    with ShutdownSignal() as stop:
        unit = 0
        while not stop.requested:
            unit += 1
            print(f"unit {unit} started", flush=True)
            time.sleep(unit_seconds)  # the work: a signal now must not cut it short
            print(f"unit {unit} done", flush=True)
            stop.wait(0.05)
        print(f"stopping after {stop.reason}", flush=True)
    """
)


def start_worker(tmp_path: Path, unit_seconds: float) -> subprocess.Popen[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(unit_seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "unit 1 started"
    return process


def test_sigterm_during_a_unit_of_work_finishes_it_and_exits_zero(tmp_path: Path) -> None:
    process = start_worker(tmp_path, unit_seconds=0.5)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out.splitlines() == ["unit 1 done", "stopping after SIGTERM"]


def test_a_second_signal_aborts_without_waiting_for_the_unit(tmp_path: Path) -> None:
    process = start_worker(tmp_path, unit_seconds=30)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=10)
    assert time.monotonic() - started < 10
    assert process.returncode != 0
    assert "unit 1 done" not in out


def test_wait_returns_as_soon_as_a_signal_arrives_and_uninstall_restores_the_old_handler() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    with ShutdownSignal(force_on_second=False) as stop:
        assert not stop.wait(0.01)  # not requested yet
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)
        assert stop.requested
        assert stop.reason == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == previous


def test_code_can_request_shutdown_with_a_reason() -> None:
    stop = ShutdownSignal()
    stop.request("fatal configuration error")
    stop.request("later reason")
    assert stop.wait(0)
    assert stop.reason == "fatal configuration error"
