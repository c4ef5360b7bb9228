"""Property: whatever the latencies, lost answers and kill points, each allocation is booked exactly once.

In-process and deterministic: the sandbox parks a "slow" write at a gate and applies it when the
(injected) clock passes its landing time -- before or after syncd's settle window; a killed
worker is simulated by claiming as a process that no longer exists and never recording the
outcome, then recovering as a restart would. Late copies the protocol cannot prevent (a write
applied after the settle window) must be found by the next pull and deleted.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd import models  # noqa: F401 - every table in the metadata, for the clean-up
from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.bokio import RateLimiter, RetryPolicy
from syncd.db import Base
from syncd.outbox import store
from syncd.outbox.apply import apply_outcome
from syncd.outbox.client import company_client
from syncd.outbox.kinds import CommandKind
from syncd.outbox.pusher import Pusher, PushPolicy
from syncd.sandbox import Sandbox, SandboxTransport
from syncd.sandbox.faults import Gate
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    TOKEN,
    FakeClock,
    accept_allocations,
    allocations,
    command_states,
    company_pk,
    live_objects,
    make_sandbox,
    mirror,
    publish_invoices,
)

BASE_URL = "http://sandbox.test/v1"
POLICY = PushPolicy(settle_window_s=60.0)
FAULTS = ("none", "drop", "lost", "slow", "killed", "killed before sending")
LANDING = (0.25, 0.75, 1.5, 3.0)  # a slow write lands this many settle windows after it was sent
Step = tuple[str, float]


@pytest.fixture(scope="module")
def dead_worker() -> str:
    """A worker id of this host whose process has exited, as a killed pusher's would be."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:killed"


@dataclass
class Run:
    """One example: a fresh company, an in-process sandbox, a pusher whose every attempt may fail."""

    database: Database
    sandbox: Sandbox
    clock: FakeClock
    worker: str
    script: list[Step]
    http: httpx.Client = field(init=False)
    pusher: Pusher = field(init=False)
    landings: list[tuple[dt.datetime, Gate]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.Client(transport=SandboxTransport(self.sandbox))
        client = company_client(
            self.http,
            base_url=BASE_URL,
            token=TOKEN,
            company_id=COMPANY,
            limiter=RateLimiter(clock=self.clock.monotonic, sleep=self.clock.sleep),
            retry=RetryPolicy(max_attempts=3, base_delay_s=0.5),
            now=self.clock.now,
        )
        pk = company_pk(self.database.sessions)
        self.pusher = Pusher(
            self.database.sessions,
            client,
            company_id=pk,
            owner=AllocationLifecycle(),
            policy=POLICY,
            now=self.clock.now,
        )

    def land_due(self) -> None:
        for due, gate in list(self.landings):
            if due <= self.clock.now():
                gate.open()
                self.landings.remove((due, gate))

    def land_all(self) -> None:
        for _, gate in self.landings:
            gate.open()
        self.landings.clear()

    def restart(self) -> None:
        store.recover_stale(
            self.database.sessions,
            now=self.clock.now(),
            settle=POLICY.settle,
            company_id=self.pusher.company_id,
        )

    def push_until_quiet(self) -> None:
        for _ in range(2000):
            self.land_due()
            claims = store.claim(
                self.database.sessions,
                worker=self.worker,
                now=self.clock.now(),
                company_id=self.pusher.company_id,
                lease=POLICY.lease,
            )
            if claims:
                self.attempt(claims[0])
                continue
            with self.database.sessions() as session:
                wake = store.next_wakeup(session, self.clock.now(), self.pusher.company_id)
            due = [t for t in (wake, min((d for d, _ in self.landings), default=None)) if t is not None]
            if not due:
                return
            self.clock.advance_to(min(due) + dt.timedelta(milliseconds=1))
        raise AssertionError("the outbox never became quiet")

    def attempt(self, claimed: store.Claimed) -> None:
        fault, landing = ("none", 0.0)
        if claimed.mode == "send" and claimed.kind != CommandKind.TAG_JOURNAL_ENTRIES and self.script:
            fault, landing = self.script.pop(0)
        faults = self.sandbox.faults
        if fault == "drop":
            faults.inject("drop")
        elif fault == "lost":
            faults.inject("hang")
        elif fault in ("slow", "killed"):
            gate = faults.gate(f"slow-{len(self.script)}-{claimed.id}-{claimed.attempts}")
            faults.inject("hang", gate=gate.name)
            self.landings.append((self.clock.now() + POLICY.settle * landing, gate))
        if fault == "killed before sending":
            self.restart()
            return
        outcome = self.pusher.execute(claimed)
        if fault == "killed":
            self.restart()  # the outcome dies with the worker
            return
        with self.database.sessions.begin() as session:
            apply_outcome(
                session, claimed, outcome, self.clock.now(), owner=AllocationLifecycle(), worker=self.worker
            )


def _empty(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.mark.integration
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    invoices=st.integers(min_value=1, max_value=3),
    script=st.lists(st.tuples(st.sampled_from(FAULTS), st.sampled_from(LANDING)), max_size=14),
)
def test_no_latency_lost_answer_or_kill_point_duplicates_or_loses_a_payment(
    database: Database, dead_worker: str, invoices: int, script: list[Step]
) -> None:
    _empty(database)
    sandbox = make_sandbox()
    ids = publish_invoices(sandbox, invoices)
    accept_allocations(database.sessions, sandbox, ids)
    clock = FakeClock()
    clock.advance(1)
    run = Run(database, sandbox, clock, dead_worker, list(script))
    puller = mirror(database.url, clock, BASE_URL, transport=SandboxTransport(sandbox))
    try:
        run.push_until_quiet()
        run.land_all()  # whatever Bokio was still processing lands now
        for _ in range(2):  # the next pulls find the copies that landed late; the pushes delete them
            puller.pull()
            run.push_until_quiet()
    finally:
        puller.close()
        run.http.close()

    for allocation in allocations(database.sessions):
        payments, settlements = live_objects(sandbox, allocation.invoice_bokio_id)
        assert [p["id"] for p in payments] == [allocation.bokio_payment_id], "duplicated or lost"
        assert [s["id"] for s in settlements] == allocation.bokio_settlement_ids.get("ids"), (
            "duplicated or lost"
        )
        assert all(o["journalEntryRef"] is not None for o in [*payments, *settlements])
        assert allocation.push_state == "done", allocation.last_error
    states = command_states(database.sessions)
    assert set(states) == {"done"}, states
