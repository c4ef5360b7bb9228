"""Two pushers on one PostgreSQL database never send the same command."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.bokio import RateLimiter
from syncd.outbox.client import company_client
from syncd.outbox.pusher import Pusher
from syncd.outbox.store import Claimed
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    TOKEN,
    accept_allocations,
    command_states,
    company_pk,
    make_sandbox,
    publish_invoices,
    serving,
)

ALLOCATIONS = 40


@pytest.mark.integration
def test_two_pushers_on_one_postgresql_never_send_the_same_command(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("several pushers share one database only on PostgreSQL (SQLite serves one process)")
    sandbox = make_sandbox(concurrent_writes=False)  # any duplicate would then show in the log
    invoices = publish_invoices(sandbox, ALLOCATIONS)
    accept_allocations(database.sessions, sandbox, invoices)
    sent: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def work(name: str, base_url: str) -> None:
        def record(claimed: Claimed) -> None:
            with lock:
                sent.append((name, claimed.id, claimed.mode))

        with httpx.Client() as http:
            client = company_client(
                http, base_url=base_url, token=TOKEN, company_id=COMPANY, limiter=RateLimiter()
            )
            pusher = Pusher(
                database.sessions,
                client,
                company_id=company_pk(database.sessions),
                owner=AllocationLifecycle(),
                before_send=record,
            )
            start.wait()
            pusher.drain()

    with serving(sandbox) as server:
        threads = [threading.Thread(target=work, args=(f"w{i}", server.url)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert command_states(database.sessions) == {"done": ALLOCATIONS * 5}
    per_command = Counter(command_id for _, command_id, _ in sent)
    assert max(per_command.values()) == 1, "a command was sent twice"
    assert {name for name, _, _ in sent} == {"w0", "w1"}, "both pushers should have worked"
    writes = Counter(
        (entry.method, entry.path) for entry in sandbox.log if entry.write and entry.method in ("POST", "PUT")
    )
    duplicated = {key: n for key, n in writes.items() if n > 1 and "tag-groups" not in key[1]}
    assert not duplicated
    with sandbox.lock:
        company = sandbox.companies[COMPANY]
        assert all(len(company.payments[i]) == 1 and len(company.settlements[i]) == 1 for i in invoices)
