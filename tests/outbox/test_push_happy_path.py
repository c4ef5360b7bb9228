"""A fault-free push: every allocation booked once, with the minimum number of Bokio calls."""

from __future__ import annotations

from tests.outbox.world import (
    Harness,
    accept_allocations,
    allocations,
    bokio_state,
    command_states,
    publish_invoices,
)


def test_accepted_allocations_are_booked_recorded_and_tagged_in_bokio(harness: Harness) -> None:
    invoices = publish_invoices(harness.sandbox, 3)
    accept_allocations(harness.sessions, harness.sandbox, invoices)

    harness.drive(harness.pusher())

    assert command_states(harness.sessions) == {"done": 15}
    for invoice_state in bokio_state(harness.sandbox, invoices):
        assert invoice_state["payments"][0][2] is True
        assert len(invoice_state["payments"]) == 1
        assert len(invoice_state["settlements"]) == 1
        assert invoice_state["tags"] == [1, 1]
    for allocation in allocations(harness.sessions):
        assert allocation.push_state == "done"
        assert allocation.bokio_payment_id
        assert len(allocation.bokio_settlement_ids["ids"]) == 1


def test_the_fault_free_path_makes_only_the_calls_the_commands_need(harness: Harness) -> None:
    invoices = publish_invoices(harness.sandbox, 4)
    accept_allocations(harness.sessions, harness.sandbox, invoices)

    harness.drive(harness.pusher())

    setup = [
        "GET /companies/{companyId}/tag-groups",
        "POST /companies/{companyId}/tag-groups",
        "POST /companies/{companyId}/tag-groups/{tagGroupId}/tags",
    ]
    assert harness.requests[:0] == []
    per_allocation = [r for r in harness.requests if r not in setup]
    # create+record payment, create+record settlement, 2 tag PUTs; paidAmount/status are derived
    assert len(per_allocation) == 4 * 6
    assert not [r for r in per_allocation if r.startswith("GET")], "no read in the fault-free path"
    assert sum(1 for r in harness.requests if r in setup) == 3
