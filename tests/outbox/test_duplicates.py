"""A copy of syncd's own payment that appears in Bokio is found by the next pull and repaired.

The copies are put straight into the sandbox's books (as a late request, or a person, would);
syncd learns of them only through its pull over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import generate_latest

from syncd.cli import main
from syncd.daemon.figures import outbox_figures
from syncd.ops.metrics import Metrics
from syncd.outbox.kinds import CommandKind
from syncd.sandbox.seed import pay_invoice
from tests.conftest import Database
from tests.outbox.world import (
    COMPANY,
    PAYMENTS,
    TOKEN,
    Harness,
    Mirror,
    accept_allocations,
    allocations,
    command_states,
    create_command,
    live_objects,
    mirror,
    publish_invoices,
)


@pytest.fixture
def puller(database: Database, harness: Harness) -> Iterator[Mirror]:
    found = mirror(database.url, harness.clock, harness.base_url)
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def cli(
    database: Database, harness: Harness, monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, Any]
) -> None:
    monkeypatch.setenv("SYNCD_DATABASE_URL", database.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", harness.base_url)
    monkeypatch.setenv("SYNCD_LOG_LEVEL", "WARNING")


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _pushed(harness: Harness, *, settlement: bool = True) -> str:
    (invoice,) = publish_invoices(harness.sandbox, 1)
    accept_allocations(harness.sessions, harness.sandbox, [invoice], settlement=settlement)
    harness.drive(harness.pusher())
    assert command_states(harness.sessions) == {"done": 5 if settlement else 3}
    return invoice


def _copy_of_the_payment(harness: Harness, invoice: str, *, record: bool) -> str:
    """The allocation's payment again, identical in date, amount and account."""
    allocation = allocations(harness.sessions)[0]
    with harness.sandbox.lock:
        books = harness.sandbox.books(COMPANY)
        copy = pay_invoice(
            books, invoice, allocation.amount_sek, allocation.payment_date.isoformat(), record=record
        )
    return str(copy["id"])


@pytest.mark.integration
def test_an_unrecorded_copy_of_syncds_payment_is_deleted_through_the_outbox(
    harness: Harness, puller: Mirror, database: Database
) -> None:
    invoice = _pushed(harness)
    copy = _copy_of_the_payment(harness, invoice, record=False)

    puller.pull()

    repair = create_command(harness.sessions, invoice, CommandKind.DELETE_PAYMENT)
    assert (repair.state, repair.payload["payment_id"]) == ("pending", copy)
    assert repair.payload["duplicate_of"] == allocations(harness.sessions)[0].bokio_payment_id
    (figures,) = outbox_figures(harness.sessions, harness.clock.now())
    assert figures.duplicates == {"repairing": 1, "deleted": 0, "review": 0, "kept": 0}

    harness.drive(harness.pusher())

    payments, _ = live_objects(harness.sandbox, invoice)
    assert [p["id"] for p in payments] == [allocations(harness.sessions)[0].bokio_payment_id]
    assert payments[0]["journalEntryRef"] is not None
    metrics = Metrics(outbox_source=lambda: outbox_figures(harness.sessions, harness.clock.now()))
    scrape = generate_latest(metrics.registry).decode()
    assert f'syncd_outbox_duplicates{{company="{COMPANY}",status="deleted"}} 1.0' in scrape
    puller.pull()  # Bokio's paidAmount is back to one payment; nothing new is found
    assert command_states(harness.sessions) == {"done": 6}


@pytest.mark.integration
def test_a_recorded_copy_is_proposed_for_deletion_and_deleted_only_when_a_person_says_so(
    harness: Harness, puller: Mirror, cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    invoice = _pushed(harness)
    copy = _copy_of_the_payment(harness, invoice, record=True)

    puller.pull()
    harness.drive(harness.pusher())

    repair = create_command(harness.sessions, invoice, CommandKind.DELETE_PAYMENT)
    assert repair.state == "failed"
    assert repair.error is not None
    assert repair.error["code"] == "duplicate-recorded"
    assert f"syncd outbox retry {repair.id}" in repair.error["message"]
    assert len(live_objects(harness.sandbox, invoice)[0]) == 2, "a recorded entry is never deleted unasked"
    (status,) = _cli_json(capsys, "status", "--json")["companies"]
    assert status["duplicates"] == {"repairing": 0, "deleted": 0, "review": 1, "kept": 0}
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "1 recorded, for a person" in capsys.readouterr().out
    listed = _cli_json(capsys, "outbox", "list", "--state", "failed", "--json")["commands"]
    assert [(c["id"], c["duplicate_of"]) for c in listed] == [(repair.id, repair.payload["duplicate_of"])]
    assert main(["outbox", "list", "--state", "failed"]) == 0
    assert f"duplicate of {repair.payload['duplicate_of']}" in capsys.readouterr().out

    assert main(["outbox", "retry", str(repair.id)]) == 0
    harness.drive(harness.pusher())

    payments, _ = live_objects(harness.sandbox, invoice)
    assert [p["id"] for p in payments] == [allocations(harness.sessions)[0].bokio_payment_id]
    assert copy not in {p["id"] for p in payments}
    (status,) = _cli_json(capsys, "status", "--json")["companies"]
    assert status["duplicates"]["deleted"] == 1


@pytest.mark.integration
def test_a_persons_identical_payment_made_before_syncd_sent_its_own_is_not_a_copy(
    harness: Harness, puller: Mirror
) -> None:
    (invoice,) = publish_invoices(harness.sandbox, 1)
    with harness.sandbox.lock:
        books = harness.sandbox.books(COMPANY)
        half = books.remaining(invoice) / 2
        pay_invoice(books, invoice, half, harness.sandbox.today().isoformat(), record=False)
    puller.pull()  # the mirror knows the person's payment before syncd sends the other half
    accept_allocations(harness.sessions, harness.sandbox, [invoice], settlement=False)
    assert allocations(harness.sessions)[0].amount_sek == half
    harness.sandbox.faults.inject("drop", PAYMENTS, method="POST")  # so the next pull re-reads it
    harness.drive(harness.pusher())

    puller.pull()
    harness.drive(harness.pusher())

    assert command_states(harness.sessions) == {"done": 3}, "nothing proposed for deletion"
    payments, _ = live_objects(harness.sandbox, invoice)
    assert [Decimal(str(p["sumBaseCurrency"])) for p in payments] == [half, half]
    assert allocations(harness.sessions)[0].bokio_payment_id == payments[1]["id"]


@pytest.mark.integration
def test_an_identical_payment_is_not_taken_for_a_copy_while_its_own_command_may_still_adopt_it(
    harness: Harness, puller: Mirror
) -> None:
    (invoice,) = publish_invoices(harness.sandbox, 1)
    accept_allocations(harness.sessions, harness.sandbox, [invoice], settlement=False, tag=False)
    accept_allocations(
        harness.sessions, harness.sandbox, [invoice], settlement=False, tag=False, first_index=1
    )
    first, second = allocations(harness.sessions)
    assert (first.amount_sek, first.payment_date) == (second.amount_sek, second.payment_date)
    harness.sandbox.faults.inject("drop", PAYMENTS, method="POST", skip=1)
    pusher = harness.pusher()
    harness.clock.advance(1)
    for _ in range(3):  # the first payment, its record, then the second payment: applied, answer lost
        pusher.run_once()
    assert command_states(harness.sessions) == {"done": 2, "unknown": 1, "pending": 1}

    puller.pull()

    assert command_states(harness.sessions) == {"done": 2, "unknown": 1, "pending": 1}, "no repair queued"
    harness.drive(pusher)
    puller.pull()
    harness.drive(pusher)
    assert command_states(harness.sessions) == {"done": 4}
    payments, _ = live_objects(harness.sandbox, invoice)
    owned = [a.bokio_payment_id for a in allocations(harness.sessions)]
    assert [p["id"] for p in payments] == owned
