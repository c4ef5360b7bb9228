"""``syncd push`` SIGKILLed at random moments and restarted: every allocation booked exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    FEE,
    TOKEN,
    accept_allocations,
    allocations,
    command_states,
    make_sandbox,
    publish_invoices,
    serving,
)

ALLOCATIONS = 200
KILLS = 30
SEED = 20261125


def _env(database_url: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env.update(
        SYNCD_DATABASE_URL=database_url,
        SYNCD_COMPANY_ID=COMPANY,
        SYNCD_BOKIO_TOKEN=TOKEN,
        SYNCD_BOKIO_BASE_URL=base_url,
        SYNCD_LOG_LEVEL="WARNING",
        SYNCD_BOKIO__RATE_LIMIT_PER_MINUTE="100000",  # the sandbox here has no rate limit either
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return env


def _push(env: dict[str, str], cwd: Path, *, output: bool = False) -> subprocess.Popen[bytes]:
    pipe = subprocess.PIPE if output else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "push", "--json"], env=env, cwd=cwd, stdout=pipe, stderr=pipe
    )


def _no_duplicates(sandbox: Sandbox, invoices: list[str]) -> None:
    with sandbox.lock:
        company = sandbox.companies[COMPANY]
        for invoice in invoices:
            assert len(company.payments.get(invoice, {})) <= 1, f"duplicate payment on {invoice}"
            assert len(company.settlements.get(invoice, {})) <= 1, f"duplicate settlement on {invoice}"


@pytest.mark.slow
@pytest.mark.integration
def test_a_push_killed_at_random_moments_books_every_allocation_exactly_once(
    database: Database, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    sandbox = make_sandbox()
    invoices = publish_invoices(sandbox, ALLOCATIONS)
    accept_allocations(database.sessions, sandbox, invoices)
    killed_mid_work = 0
    with serving(sandbox) as server:
        env = _env(database.url, server.url)
        for _ in range(KILLS):
            before = len(sandbox.log)
            process = _push(env, tmp_path)
            deadline = time.monotonic() + 20
            while len(sandbox.log) == before and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)  # wait for the first request: kill while work is going out
            time.sleep(rng.uniform(0.0, 0.08))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            killed_mid_work += int(len(sandbox.log) > before)
            _no_duplicates(sandbox, invoices)
        final = _push(env, tmp_path, output=True)
        out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err.decode()
    report = json.loads(out)["companies"][0]
    assert report["outbox"] == {"done": ALLOCATIONS * 5}
    assert killed_mid_work == KILLS, "every kill should land while requests were going out"
    with sandbox.lock:
        company = sandbox.companies[COMPANY]
        for allocation in allocations(database.sessions):
            payments = company.payments[allocation.invoice_bokio_id]
            settlements = company.settlements[allocation.invoice_bokio_id]
            assert list(payments) == [allocation.bokio_payment_id]
            assert list(settlements) == allocation.bokio_settlement_ids["ids"]
            assert payments[allocation.bokio_payment_id]["journalEntryRef"] is not None
            (settlement,) = settlements.values()
            assert settlement["journalEntryRef"] is not None
            assert settlement["invoiceSettlementDetails"]["sumBaseCurrency"] == FEE
            assert allocation.push_state == "done"
    assert command_states(database.sessions) == {"done": ALLOCATIONS * 5}
