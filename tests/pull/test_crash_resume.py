"""A full sweep SIGKILLed mid-stream and restarted ends with the same mirror as one that ran through.

The pull runs as ``python -m syncd pull --full`` in a subprocess against the sandbox served over
real HTTP (with latency so the kill lands between pages); the test kills it once the sandbox has
answered about half the requests an uninterrupted sweep needs, then runs it again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.db import make_engine
from syncd.mirror.tables import (
    Account,
    CreditNote,
    Customer,
    FiscalYear,
    Invoice,
    InvoicePayment,
    InvoiceSettlement,
)
from syncd.sandbox.seed import Mix, seed_demo
from syncd.sandbox.server import running
from tests.conftest import new_database_url
from tests.pull.harness import COMPANY, make_sandbox

TOKEN = "crash-test-token"
MODELS = (Invoice, InvoicePayment, InvoiceSettlement, CreditNote, Customer, Account, FiscalYear)


@pytest.fixture
def second_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "second"
    folder.mkdir()
    yield from new_database_url(request, backend, folder)


def _env(database_url: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env.update(
        SYNCD_DATABASE_URL=database_url,
        SYNCD_COMPANY_ID=COMPANY,
        SYNCD_BOKIO_TOKEN=TOKEN,
        SYNCD_BOKIO_BASE_URL=base_url,
        SYNCD_BOKIO__RATE_LIMIT_PER_MINUTE="100000",
        SYNCD_LOG_LEVEL="WARNING",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return env


def _pull(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "pull", "--full", "--json"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _mirror(url: str) -> dict[str, set[tuple[Any, ...]]]:
    """Table contents without timestamps or surrogate keys."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            out: dict[str, set[tuple[Any, ...]]] = {}
            for model in MODELS:
                rows = connection.execute(
                    select(model.bokio_id, model.content_hash, model.deleted_at.is_(None))
                ).all()
                out[model.__tablename__] = {tuple(row) for row in rows}
            derived = connection.execute(
                select(Invoice.bokio_id, Invoice.gross_amount, Invoice.outstanding, Invoice.amount_problem)
            ).all()
            out["derived"] = {tuple(row) for row in derived}
            return out
    finally:
        engine.dispose()


@pytest.mark.integration
@pytest.mark.slow
def test_a_killed_full_sweep_resumes_to_the_same_mirror_as_an_uninterrupted_one(
    database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    seed_demo(
        sandbox, company_id=COMPANY, token=TOKEN, customers=10, invoices=320, mix=Mix(paid=0.1, partial=0.05)
    )
    with running(sandbox) as server:
        done = subprocess.run(
            [sys.executable, "-m", "syncd", "pull", "--full", "--json"],
            env=_env(second_database_url, server.url),
            cwd=tmp_path,
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()
        total = len(sandbox.log)

        sandbox.faults.inject("latency", "*", times=100_000, seconds=0.02)
        start = len(sandbox.log)
        env = _env(database_url, server.url)
        victim = _pull(env, tmp_path)
        deadline = time.monotonic() + 60
        while len(sandbox.log) - start < total // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert victim.poll() is None, "the pull finished before it could be killed"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_after = len(sandbox.log) - start
        sandbox.faults.clear()

        restart = len(sandbox.log)
        again = subprocess.run(
            [sys.executable, "-m", "syncd", "pull", "--full", "--json"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr.decode()
        resumed_cost = len(sandbox.log) - restart

    assert 0 < killed_after < total
    assert resumed_cost < total  # resumed after the committed pages instead of starting over
    assert _mirror(database_url) == _mirror(second_database_url)
