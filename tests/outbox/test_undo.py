"""Undo deletes exactly what one allocation created; a refused undo leaves everything consistent."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from syncd.allocations.undo import request_undo
from syncd.db import utcnow
from syncd.mirror.tables import InvoicePayment
from syncd.sandbox.seed import pay_invoice
from tests.outbox.world import (
    COMPANY,
    Harness,
    accept_allocations,
    allocations,
    command_states,
    publish_invoices,
)


def _push_two_with_a_strangers_payment(harness: Harness) -> tuple[list[str], str]:
    invoices = publish_invoices(harness.sandbox, 2)
    with harness.sandbox.lock:
        books = harness.sandbox.books(COMPANY)
        stranger = pay_invoice(books, invoices[0], Decimal(100), harness.sandbox.today().isoformat())
    accept_allocations(harness.sessions, harness.sandbox, invoices)
    harness.drive(harness.pusher())
    return invoices, str(stranger["id"])


def test_undo_deletes_only_that_allocations_payment_and_settlement(harness: Harness) -> None:
    invoices, stranger = _push_two_with_a_strangers_payment(harness)
    first, second = allocations(harness.sessions)
    with harness.sessions.begin() as session:
        request_undo(session, first.id, by="karin", now=utcnow())

    harness.drive(harness.pusher())

    with harness.sandbox.lock:
        company = harness.sandbox.companies[COMPANY]
        assert list(company.payments[invoices[0]]) == [stranger]
        assert company.settlements[invoices[0]] == {}
        assert list(company.payments[invoices[1]]) == [second.bokio_payment_id]
        assert len(company.settlements[invoices[1]]) == 1
    undone, untouched = allocations(harness.sessions)
    assert (undone.state, undone.push_state, undone.bokio_payment_id) == ("undone", "done", None)
    assert undone.bokio_settlement_ids["ids"] == []
    assert (untouched.state, untouched.push_state) == ("accepted", "done")
    with harness.sessions() as session:
        gone = session.scalar(select(InvoicePayment).where(InvoicePayment.bokio_id == first.bokio_payment_id))
        assert gone is not None
        assert gone.deleted_at is not None


def test_a_refused_undo_puts_the_allocation_back_and_says_why(harness: Harness) -> None:
    invoices, stranger = _push_two_with_a_strangers_payment(harness)
    first = allocations(harness.sessions)[0]
    harness.sandbox.faults.inject(
        "status", "/companies/*/invoices/*/settlements/*", method="DELETE", status=400
    )
    with harness.sessions.begin() as session:
        request_undo(session, first.id, by="karin", now=utcnow())

    harness.drive(harness.pusher())

    refused = allocations(harness.sessions)[0]
    assert (refused.state, refused.push_state) == ("accepted", "done")
    assert refused.bokio_payment_id == first.bokio_payment_id
    assert refused.bokio_settlement_ids == first.bokio_settlement_ids
    assert refused.last_error is not None
    assert refused.last_error["status"] == 400
    assert refused.last_error["code"] == "scripted-fault"
    assert command_states(harness.sessions) == {"done": 10, "failed": 1, "cancelled": 1}
    with harness.sandbox.lock:
        company = harness.sandbox.companies[COMPANY]
        assert sorted(company.payments[invoices[0]]) == sorted([stranger, first.bokio_payment_id])
        assert list(company.settlements[invoices[0]]) == first.bokio_settlement_ids["ids"]
