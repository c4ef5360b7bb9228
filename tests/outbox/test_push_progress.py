"""A long push (many commands, as after retrying a batch of failures) logs how far it is."""

from __future__ import annotations

import datetime as dt

from structlog.testing import capture_logs

from syncd.outbox.store import next_wakeup
from tests.outbox.world import Harness, accept_allocations, command_states, publish_invoices


def test_a_long_push_logs_a_progress_line_every_few_commands(harness: Harness) -> None:
    invoices = publish_invoices(harness.sandbox, 3)
    accept_allocations(harness.sessions, harness.sandbox, invoices)
    pusher = harness.pusher(progress_every=4)
    pusher.recover()

    with capture_logs() as events:
        for _ in range(100):
            pusher.drain()
            with harness.sessions() as session:
                wake = next_wakeup(session, harness.clock.now(), pusher.company_id)
            if wake is None:
                break
            harness.clock.advance_to(wake + dt.timedelta(milliseconds=1))

    assert command_states(harness.sessions) == {"done": 15}
    progress = [e for e in events if e["event"] == "outbox.progress"]
    assert progress, "no progress line"
    assert {e["log_level"] for e in progress} == {"info"}
    handled = [e["handled"] for e in progress]
    assert handled == sorted(handled)
    assert all(e["done"] <= e["handled"] for e in progress)
