"""A Bokio that applies a payment long after syncd gave up on it: the payment is booked exactly once.

Both cases of issue 12, over real HTTP against the sandbox: the payment POST is held at a gate
(Bokio "still processing") and applied only when the test opens it -- after the pushing process
was killed, or after the settle window and syncd's read-back.
"""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path

import pytest

from syncd.outbox.kinds import CommandKind
from syncd.outbox.pusher import PushPolicy
from tests.conftest import Database
from tests.outbox.world import (
    PAYMENTS,
    Harness,
    accept_allocations,
    allocations,
    command_states,
    create_command,
    live_objects,
    mirror,
    publish_invoices,
    syncd,
    syncd_env,
    wait_for,
)

SETTLE = dt.timedelta(seconds=PushPolicy().settle_window_s)


def _one_recorded_payment_owned_by_the_allocation(harness: Harness, invoice: str) -> None:
    payments, settlements = live_objects(harness.sandbox, invoice)
    (allocation,) = allocations(harness.sessions)
    assert [p["id"] for p in payments] == [allocation.bokio_payment_id], "booked twice or lost"
    assert payments[0]["journalEntryRef"] is not None
    assert [s["id"] for s in settlements] == allocation.bokio_settlement_ids["ids"]
    assert settlements[0]["journalEntryRef"] is not None


@pytest.mark.integration
def test_a_push_killed_while_bokio_still_processes_the_payment_and_restarted_at_once_books_it_once(
    database: Database, harness: Harness, tmp_path: Path
) -> None:
    sandbox = harness.sandbox
    (invoice,) = publish_invoices(sandbox, 1)
    accept_allocations(harness.sessions, sandbox, [invoice])
    gate = sandbox.faults.gate("bokio-still-processing")
    sandbox.faults.inject("latency", PAYMENTS, method="POST", gate=gate.name)
    env = syncd_env(database.url, harness.base_url)

    first = syncd(env, tmp_path, "run", "--once")
    assert wait_for(gate.held.is_set, while_alive=first), "the payment POST never reached Bokio"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    restart = syncd(env, tmp_path, "run", "--once", output=True)
    _, err = restart.communicate(timeout=300)
    assert restart.returncode == 0, err.decode()

    create = create_command(harness.sessions, invoice)
    assert create.state == "unknown", "the restart must not have re-sent the payment"
    assert create.last_sent_at is not None
    assert create.next_attempt_at >= create.last_sent_at + SETTLE
    assert live_objects(sandbox, invoice) == ([], [])
    gate.open()  # Bokio finishes the dead process's request only now
    assert gate.done.wait(30)

    harness.drive(harness.pusher())  # the clock jumps over the settle window; the read-back adopts it

    _one_recorded_payment_owned_by_the_allocation(harness, invoice)
    assert command_states(harness.sessions) == {"done": 5}
    puller = mirror(database.url, harness.clock, harness.base_url)
    try:
        puller.pull()
    finally:
        puller.close()
    assert command_states(harness.sessions) == {"done": 5}, "no duplicate to repair"


@pytest.mark.integration
def test_a_payment_bokio_applies_after_the_settle_window_is_found_as_a_copy_and_deleted(
    database: Database, harness: Harness
) -> None:
    sandbox = harness.sandbox
    (invoice,) = publish_invoices(sandbox, 1)
    accept_allocations(harness.sessions, sandbox, [invoice])
    gate = sandbox.faults.gate("later-than-the-window")
    sandbox.faults.inject("latency", PAYMENTS, method="POST", gate=gate.name)
    pusher = harness.pusher(read_s=0.2)
    harness.clock.advance(1)  # the commands were enqueued on the wall clock

    assert pusher.run_once() == 1  # the client times out; Bokio holds the request
    create = create_command(harness.sessions, invoice)
    assert create.state == "unknown"
    assert create.last_sent_at is not None
    assert create.next_attempt_at == create.last_sent_at + SETTLE
    harness.clock.advance_to(create.next_attempt_at)
    assert pusher.run_once() == 1  # read back after the window: nothing there, so sent again
    assert create_command(harness.sessions, invoice).state == "pending"
    gate.open()  # ...and only now does Bokio apply the first request
    assert gate.done.wait(30)
    harness.drive(pusher)
    assert command_states(harness.sessions) == {"done": 5}
    assert len(live_objects(sandbox, invoice)[0]) == 2, "the late request landed beside the re-sent one"

    puller = mirror(database.url, harness.clock, harness.base_url)
    try:
        puller.pull()
        harness.drive(pusher)
    finally:
        puller.close()

    _one_recorded_payment_owned_by_the_allocation(harness, invoice)
    repair = create_command(harness.sessions, invoice, CommandKind.DELETE_PAYMENT)
    assert repair.state == "done"
    assert repair.payload["duplicate_of"] == allocations(harness.sessions)[0].bokio_payment_id
    assert command_states(harness.sessions) == {"done": 6}
