"""Every fault at every step of an allocation's commands: Bokio ends exactly as without faults.

Faults come from the sandbox's fault knobs over real HTTP; waits (Retry-After, backoff, settle
delay, a company pause) are jumped over by advancing the injected clock, never slept.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from syncd.outbox.kinds import CommandKind
from syncd.outbox.store import Claimed
from syncd.sandbox import Sandbox
from tests.outbox.world import (
    COMPANY,
    TOKEN,
    Harness,
    accept_allocations,
    allocations,
    bokio_state,
    command_states,
    publish_invoices,
)

STEPS = {
    "payment create": (CommandKind.CREATE_PAYMENT, "POST", "/companies/*/invoices/*/payments"),
    "payment record": (CommandKind.RECORD_PAYMENT, "POST", "/companies/*/invoices/*/payments/*/record"),
    "settlement create": (CommandKind.CREATE_SETTLEMENT, "POST", "/companies/*/invoices/*/settlements"),
    "settlement record": (
        CommandKind.RECORD_SETTLEMENT,
        "POST",
        "/companies/*/invoices/*/settlements/*/record",
    ),
    "tag": (CommandKind.TAG_JOURNAL_ENTRIES, "PUT", "/companies/*/journal-entries/*/tags"),
}
BYSTANDER_PATHS = {
    CommandKind.CREATE_PAYMENT: "/companies/{c}/invoices/no-such-invoice/payments",
    CommandKind.RECORD_PAYMENT: "/companies/{c}/invoices/no-such-invoice/payments/none/record",
    CommandKind.CREATE_SETTLEMENT: "/companies/{c}/invoices/no-such-invoice/settlements",
    CommandKind.RECORD_SETTLEMENT: "/companies/{c}/invoices/no-such-invoice/settlements/none/record",
    CommandKind.TAG_JOURNAL_ENTRIES: "/companies/{c}/journal-entries/no-such-entry/tags",
}
FAULTS = (
    "429 retry-after",
    "503",
    "timeout before acting",
    "commit then drop",
    "concurrency 429",
    "quota 403",
)
EXPECTED = {
    "payments": [("2026-03-02", "", True)],
    "settlements": [("bankFee", "12.50", True)],
    "tags": [1, 1],
}


def _expected(sandbox: Sandbox, invoices: list[str]) -> list[dict[str, Any]]:
    return bokio_state(sandbox, invoices)


class Bystander:
    """Holds a write to the same (method, path template) in flight, so Bokio answers 429 concurrency."""

    def __init__(self, harness: Harness, kind: str, method: str) -> None:
        self.harness, self.kind, self.method = harness, kind, method
        self.entered = threading.Event()
        self.fired = False
        self.thread: threading.Thread | None = None

    def sleep(self, seconds: float) -> None:
        self.entered.set()
        threading.Event().wait(seconds)

    def __call__(self, claimed: Claimed) -> None:
        if self.fired or claimed.kind != self.kind or claimed.mode != "send":
            return
        self.fired = True
        path = BYSTANDER_PATHS[self.kind].format(c=COMPANY)
        self.harness.sandbox.sleep = self.sleep
        self.harness.sandbox.faults.inject("latency", path, method=self.method, seconds=0.3)
        url = self.harness.base_url + path

        def send() -> None:
            with httpx.Client() as client:
                client.request(
                    self.method,
                    url,
                    content=b"{}",
                    headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
                )

        self.thread = threading.Thread(target=send, daemon=True)
        self.thread.start()
        assert self.entered.wait(5)


class QuotaExhaustion:
    """Uses up the company's monthly quota right before the step's request; lifts it once paused."""

    def __init__(self, sandbox: Sandbox, kind: str) -> None:
        self.sandbox, self.kind, self.fired, self.lifted = sandbox, kind, False, False

    def __call__(self, claimed: Claimed) -> None:
        if self.fired or claimed.kind != self.kind:
            return
        self.fired = True
        with self.sandbox.lock:
            counters = self.sandbox.counters.get(COMPANY)
            used = sum(counters.by_month.values()) if counters else 0
            self.sandbox.limits.monthly_quota = used

    def lift(self) -> None:
        if self.fired and not self.lifted:
            self.lifted = True
            self.sandbox.limits.monthly_quota = None


@pytest.mark.integration
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", list(STEPS))
def test_a_fault_at_any_step_leaves_bokio_exactly_as_a_fault_free_run(
    harness: Harness, step: str, fault: str
) -> None:
    kind, method, path = STEPS[step]
    sandbox = harness.sandbox
    invoices = publish_invoices(sandbox, 2)
    accept_allocations(harness.sessions, sandbox, invoices)
    options: dict[str, Any] = {}
    on_idle = None
    if fault == "429 retry-after":
        sandbox.faults.inject("rate_limit", path, method=method, times=4, retry_after=2)
    elif fault == "503":
        sandbox.faults.inject("status", path, method=method, status=503)
    elif fault == "timeout before acting":
        sandbox.faults.inject("hang", path, method=method, seconds=0.6)
        options["read_s"] = 0.2
    elif fault == "commit then drop":
        sandbox.faults.inject("drop", path, method=method)
    elif fault == "concurrency 429":
        options["before_send"] = Bystander(harness, kind, method)
    else:
        quota = QuotaExhaustion(sandbox, kind)
        options["before_send"] = quota
        on_idle = quota.lift

    harness.drive(harness.pusher(**options), on_idle=on_idle)

    assert command_states(harness.sessions) == {"done": 10}
    state = bokio_state(sandbox, invoices)
    for invoice_state in state:
        assert len(invoice_state["payments"]) == 1, "a payment was duplicated or lost"
        assert invoice_state["payments"][0][2], "the payment was not recorded"
        assert invoice_state["settlements"] == EXPECTED["settlements"]
        assert invoice_state["tags"] == EXPECTED["tags"]
    for allocation in allocations(harness.sessions):
        assert allocation.push_state == "done"
        with sandbox.lock:
            assert (
                allocation.bokio_payment_id
                in sandbox.companies[COMPANY].payments[allocation.invoice_bokio_id]
            )
    assert not sandbox.faults.pending()
