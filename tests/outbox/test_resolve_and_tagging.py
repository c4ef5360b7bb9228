"""Read-back decisions that need a person, and companies whose price plan has no Tags."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from syncd.outbox.kinds import CommandKind
from syncd.outbox.store import Claimed
from syncd.outbox.tables import CompanyTagging, OutboxCommand
from syncd.sandbox.seed import pay_invoice
from tests.outbox.world import (
    COMPANY,
    Harness,
    accept_allocations,
    allocations,
    command_states,
    publish_invoices,
)


def test_two_matching_new_payments_after_a_lost_answer_stop_for_a_person(harness: Harness) -> None:
    invoices = publish_invoices(harness.sandbox, 1)
    accept_allocations(harness.sessions, harness.sandbox, invoices, settlement=False)
    harness.sandbox.faults.inject("drop", "/companies/*/invoices/*/payments", method="POST")
    amount = allocations(harness.sessions)[0].amount_sek

    def a_person_books_the_same_payment(claimed: Claimed) -> None:
        if claimed.mode == "resolve":
            with harness.sandbox.lock:
                books = harness.sandbox.books(COMPANY)
                pay_invoice(books, invoices[0], amount, harness.sandbox.today().isoformat(), record=False)

    harness.drive(harness.pusher(before_send=a_person_books_the_same_payment))

    with harness.sessions() as session:
        create = session.scalar(select(OutboxCommand).where(OutboxCommand.kind == CommandKind.CREATE_PAYMENT))
        assert create is not None
        assert create.state == "failed"
        assert create.error is not None
        assert create.error["code"] == "ambiguous-read-back"
    assert command_states(harness.sessions) == {"failed": 1, "cancelled": 2}
    allocation = allocations(harness.sessions)[0]
    assert allocation.push_state == "failed"
    assert allocation.last_error is not None
    assert "match what was sent" in allocation.last_error["message"]
    with harness.sandbox.lock:
        assert len(harness.sandbox.companies[COMPANY].payments[invoices[0]]) == 2  # nothing deleted


def test_a_lost_answer_with_nothing_new_in_bokio_is_sent_again(harness: Harness) -> None:
    invoices = publish_invoices(harness.sandbox, 1)
    with harness.sandbox.lock:
        pay_invoice(
            harness.sandbox.books(COMPANY), invoices[0], Decimal(100), harness.sandbox.today().isoformat()
        )
    accept_allocations(harness.sessions, harness.sandbox, invoices, settlement=False)
    harness.sandbox.faults.inject("hang", "/companies/*/invoices/*/payments", method="POST", seconds=0.5)

    harness.drive(harness.pusher(read_s=0.2))

    assert command_states(harness.sessions) == {"done": 3}
    with harness.sandbox.lock:
        assert len(harness.sandbox.companies[COMPANY].payments[invoices[0]]) == 2  # the person's and ours


def test_without_tags_in_the_price_plan_tagging_is_turned_off_and_payments_still_go_out(
    harness: Harness,
) -> None:
    harness.sandbox.set_feature(COMPANY, "Tags", False)
    invoices = publish_invoices(harness.sandbox, 2)
    accept_allocations(harness.sessions, harness.sandbox, invoices)

    harness.drive(harness.pusher())

    assert command_states(harness.sessions) == {"done": 10}
    with harness.sessions() as session:
        row = session.scalar(select(CompanyTagging))
        assert row is not None
        assert row.disabled_reason is not None
        assert "Tags" in row.disabled_reason
        skipped = session.scalars(
            select(OutboxCommand.result).where(OutboxCommand.kind == CommandKind.TAG_JOURNAL_ENTRIES)
        )
        assert all("skipped" in result for result in skipped)
    tag_calls = [r for r in harness.requests if "tag" in r]
    assert tag_calls == ["GET /companies/{companyId}/tag-groups"], "one refused call, then no more"
    assert all(a.push_state == "done" for a in allocations(harness.sessions))
