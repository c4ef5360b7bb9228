"""``syncd push`` SIGKILLed in the middle of Bokio requests and restarted: every allocation booked once.

Each kill lands at a deterministic point: the sandbox holds the k-th request of the run (k drawn
from a seeded RNG) at a gate, the test kills the process while Bokio "is still processing" it,
then lets the request land and starts the next run at once. No sleeps, no timing assumptions.
"""

from __future__ import annotations

import random
import signal
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    FEE,
    Harness,
    accept_allocations,
    allocations,
    command_states,
    publish_invoices,
    syncd,
    syncd_env,
    wait_for,
)

ALLOCATIONS = 100  # more commands than the kills can reach: every kill still lands mid-request
KILLS = 16  # each kill is a fresh `syncd push` process (~1.4 s): 16 per leg keeps CI under 8 minutes
MOST_REQUESTS_BEFORE_A_KILL = 12  # fewer than any run has to do: every kill lands mid-request
SEED = 20261125


def _no_duplicates(sandbox: Sandbox, invoices: list[str]) -> None:
    with sandbox.lock:
        company = sandbox.companies[COMPANY]
        for invoice in invoices:
            assert len(company.payments.get(invoice, {})) <= 1, f"duplicate payment on {invoice}"
            assert len(company.settlements.get(invoice, {})) <= 1, f"duplicate settlement on {invoice}"


@pytest.mark.slow
@pytest.mark.integration
def test_a_push_killed_mid_request_again_and_again_books_every_allocation_exactly_once(
    database: Database, harness: Harness, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    sandbox = harness.sandbox
    invoices = publish_invoices(sandbox, ALLOCATIONS)
    accept_allocations(database.sessions, sandbox, invoices)
    # a short settle window, so the restarted runs read back what their predecessors left unknown
    env = syncd_env(
        database.url, harness.base_url, SYNCD_BOKIO__DEADLINE_S="2", SYNCD_BOKIO__SETTLE_WINDOW_S="3"
    )
    killed_mid_request = 0
    for kill in range(KILLS):
        gate = sandbox.faults.gate(f"kill-{kill}")
        nth = rng.randint(1, MOST_REQUESTS_BEFORE_A_KILL)
        sandbox.faults.inject("latency", "*", skip=nth - 1, gate=gate.name)
        process = syncd(env, tmp_path, "push")
        held = wait_for(gate.held.is_set, while_alive=process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        gate.open()  # Bokio finishes the dead process's request
        if held:
            assert gate.done.wait(30)
        sandbox.faults.clear()
        killed_mid_request += int(held)
        _no_duplicates(sandbox, invoices)

    harness.drive(harness.pusher())  # the last restart, in-process: the clock jumps over settle windows

    assert killed_mid_request == KILLS, "every kill should land while a request was in Bokio's hands"
    _no_duplicates(sandbox, invoices)
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
