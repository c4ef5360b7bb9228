"""The send protocol's smaller rules: the settle window is configured sanely, a read-back that came
too early never re-sends, and a lost database connection gives the claim back at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.errors import ConfigError
from syncd.outbox import admin
from syncd.outbox.kinds import CommandKind
from syncd.outbox.pusher import PushPolicy
from syncd.outbox.store import Claimed
from syncd.settings import load_settings
from tests.outbox.world import (
    PAYMENTS,
    Harness,
    accept_allocations,
    allocations,
    command_states,
    create_command,
    live_objects,
    publish_invoices,
)

SETTLE = dt.timedelta(seconds=PushPolicy().settle_window_s)


class LosesTheDatabase:
    """The harness's sessions, except that the next ``failures`` transactions cannot connect."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.kw = sessions.kw
        self.failures = 0

    def begin(self) -> Any:
        if self.failures:
            self.failures -= 1
            raise OperationalError(
                "COMMIT", None, ConnectionError("server closed the connection unexpectedly")
            )
        return self.sessions.begin()

    def __call__(self, **options: Any) -> Session:
        return self.sessions(**options)


def _after_the_payment_goes_out(database: LosesTheDatabase, failures: int) -> Any:
    def hook(claimed: Claimed) -> None:
        if claimed.kind == CommandKind.CREATE_PAYMENT and claimed.mode == "send":
            database.failures = failures

    return hook


def test_a_settle_window_no_longer_than_the_clients_deadline_is_refused_at_start() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(
            {"SYNCD_BOKIO__DEADLINE_S": "120", "SYNCD_BOKIO__SETTLE_WINDOW_S": "60"}, config_path=None
        )

    assert "bokio.settle_window_s" in str(refused.value)
    assert "longer than bokio.deadline_s" in str(refused.value)


@pytest.mark.integration
def test_a_lost_database_connection_after_bokio_answered_releases_the_claim_at_once_as_unknown(
    harness: Harness,
) -> None:
    (invoice,) = publish_invoices(harness.sandbox, 1)
    accept_allocations(harness.sessions, harness.sandbox, [invoice], settlement=False)
    flaky = LosesTheDatabase(harness.sessions)
    pusher = harness.pusher(before_send=_after_the_payment_goes_out(flaky, failures=1))
    pusher.sessions = flaky  # type: ignore[assignment]
    harness.clock.advance(1)

    with pytest.raises(OperationalError):
        pusher.run_once()

    create = create_command(harness.sessions, invoice)
    assert (create.state, create.claimed_by) == ("unknown", None), "not left sending for the lease"
    assert create.last_sent_at is not None
    assert create.next_attempt_at == create.last_sent_at + SETTLE
    assert len(live_objects(harness.sandbox, invoice)[0]) == 1  # Bokio did book it

    harness.drive(harness.pusher())

    payments, _ = live_objects(harness.sandbox, invoice)
    assert [p["id"] for p in payments] == [allocations(harness.sessions)[0].bokio_payment_id]
    assert command_states(harness.sessions) == {"done": 3}


@pytest.mark.integration
def test_a_claim_the_database_could_not_take_back_is_released_by_the_next_recovery_in_the_same_process(
    harness: Harness,
) -> None:
    (invoice,) = publish_invoices(harness.sandbox, 1)
    accept_allocations(harness.sessions, harness.sandbox, [invoice], settlement=False)
    flaky = LosesTheDatabase(harness.sessions)
    pusher = harness.pusher(before_send=_after_the_payment_goes_out(flaky, failures=2))
    pusher.sessions = flaky  # type: ignore[assignment]
    harness.clock.advance(1)

    with pytest.raises(OperationalError):
        pusher.run_once()
    assert create_command(harness.sessions, invoice).state == "sending"

    assert pusher.recover() == 1  # at once: the lease has not passed, the process is alive

    create = create_command(harness.sessions, invoice)
    assert create.state == "unknown"
    assert create.last_sent_at is not None
    assert create.next_attempt_at == create.last_sent_at + SETTLE
    harness.drive(harness.pusher())
    assert len(live_objects(harness.sandbox, invoice)[0]) == 1
    assert command_states(harness.sessions) == {"done": 3}


@pytest.mark.integration
def test_a_read_back_that_a_person_asks_for_early_does_not_re_send_before_the_settle_window(
    harness: Harness,
) -> None:
    (invoice,) = publish_invoices(harness.sandbox, 1)
    accept_allocations(harness.sessions, harness.sandbox, [invoice], settlement=False)
    gate = harness.sandbox.faults.gate("slow")
    harness.sandbox.faults.inject("hang", PAYMENTS, method="POST", gate=gate.name)
    pusher = harness.pusher(read_s=0.2)
    harness.clock.advance(1)
    pusher.run_once()  # no answer; Bokio has not applied it yet
    with harness.sessions.begin() as session:
        admin.retry(
            session,
            create_command(harness.sessions, invoice).id,
            harness.clock.now(),
            owner=AllocationLifecycle(),
        )

    assert pusher.run_once() == 1  # read back now: nothing there -- yet

    create = create_command(harness.sessions, invoice)
    assert create.state == "unknown", "nothing re-sent before the window"
    assert create.last_sent_at is not None
    assert create.next_attempt_at == create.last_sent_at + SETTLE
    gate.open()
    harness.drive(pusher)
    payments, _ = live_objects(harness.sandbox, invoice)
    assert [p["id"] for p in payments] == [allocations(harness.sessions)[0].bokio_payment_id]
