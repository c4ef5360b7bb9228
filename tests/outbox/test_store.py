"""Claiming: seq order within an allocation, one command in flight per invoice, pauses, stale claims."""

from __future__ import annotations

import datetime as dt

from syncd.mirror.tables import Company
from syncd.outbox.kinds import CommandKind
from syncd.outbox.store import Lease, claim, recover_stale
from syncd.outbox.tables import OutboxCommand
from tests.conftest import Database
from tests.outbox.world import accept_allocations, command_states, make_sandbox, publish_invoices


def _later() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)


def _setup(database: Database, invoices: int = 2) -> list[str]:
    sandbox = make_sandbox()
    ids = publish_invoices(sandbox, invoices)
    accept_allocations(database.sessions, sandbox, ids)
    return ids


def test_only_the_first_command_of_each_allocation_is_runnable_one_per_invoice(database: Database) -> None:
    later = _later()
    _setup(database, invoices=2)

    first = claim(database.sessions, worker="w", now=later, limit=10)
    again = claim(database.sessions, worker="w", now=later, limit=10)

    assert [(c.kind, c.seq) for c in first] == [
        (CommandKind.CREATE_PAYMENT, 1),
        (CommandKind.CREATE_PAYMENT, 1),
    ]
    assert len({c.invoice_id for c in first}) == 2
    assert again == [], "nothing else may run while each invoice has a command in flight"


def test_a_paused_company_and_a_future_attempt_are_not_claimed(database: Database) -> None:
    later = _later()
    _setup(database, invoices=1)
    with database.sessions.begin() as session:
        company = session.query(Company).one()
        company.paused_until = later + dt.timedelta(hours=1)

    assert claim(database.sessions, worker="w", now=later) == []
    assert claim(database.sessions, worker="w", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)) == []
    assert len(claim(database.sessions, worker="w", now=later + dt.timedelta(hours=2))) == 1


def test_a_claim_left_by_a_dead_worker_is_released_after_its_real_deadline_and_read_back_once_settled(
    database: Database,
) -> None:
    later = _later()
    settle = dt.timedelta(minutes=15)
    lease = Lease(call_deadline_s=120, margin_s=30)  # one call: 150 s, not a flat 5 minutes
    _setup(database, invoices=1)
    (claimed,) = claim(database.sessions, worker="elsewhere:1:x", now=later, lease=lease)

    assert recover_stale(database.sessions, now=later + dt.timedelta(seconds=149), settle=settle) == 0
    assert recover_stale(database.sessions, now=later + dt.timedelta(seconds=151), settle=settle) == 1
    assert command_states(database.sessions) == {"unknown": 1, "pending": 4}
    assert claim(database.sessions, worker="w", now=later + settle - dt.timedelta(seconds=1)) == [], (
        "a request the dead worker sent may still land: no read-back before the settle window"
    )
    (resolving,) = claim(database.sessions, worker="w", now=later + settle)
    assert (resolving.id, resolving.mode) == (claimed.id, "resolve")
    assert resolving.last_sent_at == later
    with database.sessions() as session:
        row = session.get(OutboxCommand, claimed.id)
        assert row is not None
        assert row.first_sent_at == later
        assert row.before == {"source": "mirror", "payment_ids": [], "first_send": []}
