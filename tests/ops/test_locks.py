"""Per-(company, job) try-locks and the SQLite single-daemon lock, across connections and processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.db import make_engine
from syncd.errors import ConfigError
from syncd.ops.locks import AlreadyRunningError, company_job_lock, instance_lock, lock_keys, sqlite_path
from tests.conftest import Database

ACME = "00000000-0000-4000-8000-000000000001"
BETA = "00000000-0000-4000-8000-000000000002"

HOLDER = textwrap.dedent(
    """
    import sys
    from syncd.db import make_engine
    from syncd.ops.locks import company_job_lock, instance_lock

    url, what = sys.argv[1], sys.argv[2]
    if what == "instance":
        with instance_lock(url):
            print("held", flush=True)
            sys.stdin.readline()
    else:
        engine = make_engine(url)
        with company_job_lock(engine, sys.argv[3], what) as acquired:
            print("held" if acquired else "busy", flush=True)
            sys.stdin.readline()
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Processes holding a lock until their stdin closes (or they are killed)."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdin, process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def hold_in_child(
    processes: list[subprocess.Popen[str]], tmp_path: Path, *args: str
) -> subprocess.Popen[str]:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    process = subprocess.Popen(
        [sys.executable, str(script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    processes.append(process)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_lock_keys_are_deterministic_signed_int32_pairs_and_ignore_uuid_case() -> None:
    first = lock_keys(ACME, "poll")
    assert first == lock_keys(ACME.upper(), "poll")
    assert first != lock_keys(BETA, "poll")
    assert first[0] == lock_keys(ACME, "push")[0]
    assert first[1] != lock_keys(ACME, "push")[1]
    assert all(-(2**31) <= key < 2**31 for key in first)


def test_the_same_company_and_job_cannot_be_locked_twice_but_other_companies_and_jobs_can(
    database: Database,
) -> None:
    other_engine = make_engine(database.url)  # a second pool: truly another connection
    try:
        with company_job_lock(database.engine, ACME, "poll") as acquired:
            assert acquired
            with company_job_lock(other_engine, ACME, "poll") as again:
                assert not again
            with company_job_lock(other_engine, BETA, "poll") as other_company:
                assert other_company
            with company_job_lock(other_engine, ACME, "push") as other_job:
                assert other_job
        with company_job_lock(other_engine, ACME, "poll") as after_release:
            assert after_release
    finally:
        other_engine.dispose()


def test_the_lock_is_released_when_the_job_raises(database: Database) -> None:
    with pytest.raises(RuntimeError), company_job_lock(database.engine, ACME, "match"):
        raise RuntimeError("job failed")
    with company_job_lock(database.engine, ACME, "match") as acquired:
        assert acquired


def test_another_process_holding_the_lock_makes_ours_skip_until_it_dies(
    database: Database, holder: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    child = hold_in_child(holder, tmp_path, database.url, "poll", ACME)
    with company_job_lock(database.engine, ACME, "poll") as acquired:
        assert not acquired
    with company_job_lock(database.engine, BETA, "poll") as other_company:
        assert other_company

    child.send_signal(signal.SIGKILL)  # no clean exit: the kernel / the server must release it
    child.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:
        with company_job_lock(database.engine, ACME, "poll") as acquired:
            if acquired or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    assert acquired


def test_an_in_memory_sqlite_database_still_excludes_within_the_process() -> None:
    engine = make_engine("sqlite://")
    try:
        with company_job_lock(engine, ACME, "poll") as acquired:
            assert acquired
            with company_job_lock(engine, ACME, "poll") as again:
                assert not again
    finally:
        engine.dispose()


def test_a_second_daemon_on_the_same_sqlite_file_is_refused_naming_the_file_and_pid(
    tmp_path: Path, holder: list[subprocess.Popen[str]]
) -> None:
    url = f"sqlite:///{tmp_path / 'syncd.sqlite3'}"
    child = hold_in_child(holder, tmp_path, url, "instance")
    with pytest.raises(AlreadyRunningError) as refused, instance_lock(url):
        pytest.fail("the second daemon must not get the lock")
    assert isinstance(refused.value, ConfigError)
    assert str(refused.value) == (
        f"another syncd daemon is already running on {sqlite_path(url)} (pid {child.pid})"
    )
    assert child.stdin is not None
    child.stdin.close()  # the first daemon stops
    child.wait(timeout=10)
    with instance_lock(url) as lock_file:
        assert lock_file is not None
        assert lock_file.read_text().strip() == str(os.getpid())


def test_the_instance_lock_is_a_no_op_on_postgresql() -> None:
    with instance_lock("postgresql+psycopg://syncd@127.0.0.1:5432/syncd") as lock_file:
        assert lock_file is None
