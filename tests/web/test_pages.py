"""The pages without a browser: what they name, and the decisions a plain HTML form takes."""

from __future__ import annotations

import html
import os
import re
import time

import httpx
import pytest
from sqlalchemy import select

from syncd.allocations.tables import Allocation, AllocationState, Dismissal
from syncd.demo.bankday import bank_files
from syncd.demo.run import write_inbox
from syncd.demo.world import open_invoices
from syncd.ingest.tables import BankFile
from syncd.match.plan import format_amount
from tests.web.conftest import DemoWorld, csrf_of, login

pytestmark = pytest.mark.integration


def _signed_in(world: DemoWorld) -> tuple[httpx.Client, str]:
    client = world.client()
    assert login(client).status_code == 303
    return client, csrf_of(client.get(f"/c/{world.key}/review").text)


def _flash(client: httpx.Client, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    found = re.search(r'<p class="flash (ok|error)"[^>]*>(.*?)</p>', page.text, re.S)
    assert found, page.text
    return html.unescape(found.group(2))


def test_the_review_queue_names_invoices_by_number_and_customer_with_swedish_amounts(
    world: DemoWorld,
) -> None:
    client, _ = _signed_in(world)
    page = client.get(f"/c/{world.key}/review").text
    with world.app.sessions() as session:
        proposed = list(
            session.scalars(select(Allocation).where(Allocation.state == AllocationState.PROPOSED))
        )
    assert proposed
    for row in proposed:
        assert f"<td>{row.invoice_number}</td>" in page
        assert format_amount(row.amount) in page
    assert "Lars Andersson" in page
    assert "camt054_" in page  # the file the money came in


def test_reject_and_choose_another_invoice_opens_the_line_with_its_money_unmatched(world: DemoWorld) -> None:
    client, token = _signed_in(world)
    with world.app.sessions() as session:
        row = session.scalars(select(Allocation).where(Allocation.state == AllocationState.PROPOSED)).first()
        assert row is not None
        group, line = row.group_id, row.bank_transaction_id
    answer = client.post(f"/c/{world.key}/review", data={"csrf": token, "ref": group, "action": "reassign"})
    assert answer.headers["location"] == f"/c/{world.key}/unmatched/{line}"
    assert "rejected" in _flash(client, answer)
    page = client.get(f"/c/{world.key}/unmatched/{line}?q=Andersson")
    assert "Lars Andersson" in page.text
    assert 'name="invoice"' in page.text


def test_dismissing_and_bringing_back_a_line_records_who(world: DemoWorld) -> None:
    client, token = _signed_in(world)
    page = client.get(f"/c/{world.key}/unmatched").text
    line = int(re.findall(rf"/c/{world.key}/unmatched/(\d+)", page)[0])
    base = f"/c/{world.key}/unmatched/{line}"
    assert "dismissed" in _flash(
        client, client.post(f"{base}/dismiss", data={"csrf": token, "reason": "refund"})
    )
    assert f'/unmatched/{line}"' not in client.get(f"/c/{world.key}/unmatched").text
    assert "by alice" in client.get(f"/c/{world.key}/unmatched?dismissed=1").text
    blank = client.post(f"{base}/dismiss", data={"csrf": token, "reason": " "})
    assert "say why the money needs no booking" in _flash(client, blank)
    assert "unmatched money again" in _flash(client, client.post(f"{base}/undismiss", data={"csrf": token}))
    with world.app.sessions() as session:
        row = session.scalar(select(Dismissal).where(Dismissal.bank_transaction_id == line))
        assert row is not None
        assert (row.dismissed_by, row.undismissed_by, row.reason) == ("alice", "alice", "refund")


def test_a_refused_assignment_says_why_in_the_clis_words_and_books_nothing(world: DemoWorld) -> None:
    client, token = _signed_in(world)
    page = client.get(f"/c/{world.key}/unmatched").text
    line = int(re.findall(rf"/c/{world.key}/unmatched/(\d+)", page)[0])
    before = world.decisions()
    answer = client.post(
        f"/c/{world.key}/unmatched/{line}/assign",
        data={"csrf": token, "invoice": "1001", "amount": "999999,00"},
    )
    assert "not yet booked" in _flash(client, answer)
    answer = client.post(
        f"/c/{world.key}/unmatched/{line}/assign", data={"csrf": token, "invoice": "1001", "amount": "1,234"}
    )
    assert "two decimals" in _flash(client, answer)
    assert world.decisions() == before


def test_a_quarantined_file_is_shown_with_its_reason_and_imported_again_once_fixed(world: DemoWorld) -> None:
    inbox = world.app.settings.companies[0].bank_inbox
    assert inbox is not None
    write_inbox(inbox, {"late.xml": b"<Document>not a camt file</Document>"})
    from syncd.daemon.cycle import CompanyCycle

    assert not CompanyCycle(world.app, world.app.settings.companies[0]).import_inbox().ok
    client, token = _signed_in(world)
    files = client.get(f"/c/{world.key}/files").text
    assert "quarantined" in files
    file_id = int(re.findall(rf"/c/{world.key}/files/(\d+)/reimport", files)[0])

    _, day = bank_files(
        open_invoices(world.sandbox, world.key),
        day=world.sandbox.today(),
        seed=99,
        creditor=world.company.creditor,
    )
    fixed = inbox / "quarantine" / "late.xml"
    fixed.write_bytes(next(data for name, data in day.items() if name.startswith("camt054")))
    settled = time.time() - 60
    os.utime(fixed, (settled, settled))  # corrected a minute ago: the inbox takes settled files only
    answer = client.post(f"/c/{world.key}/files/{file_id}/reimport", data={"csrf": token})
    assert re.search(
        r"late.xml imported again from the inbox: [1-9]\d* new bank line", _flash(client, answer)
    )
    assert not (inbox / "quarantine" / "late.xml").exists()
    with world.app.sessions() as session:
        statuses = [
            f.status for f in session.scalars(select(BankFile).where(BankFile.filename == "late.xml"))
        ]
    assert "imported" in statuses
    again = client.post(f"/c/{world.key}/files/{file_id}/reimport", data={"csrf": token})
    assert "not waiting in the inbox's quarantine folder" in _flash(client, again)


def test_an_undo_without_the_confirmation_box_undoes_nothing(world: DemoWorld) -> None:
    client, token = _signed_in(world)
    with world.app.sessions() as session:
        booking = session.scalar(
            select(Allocation.id)
            .where(Allocation.state == AllocationState.ACCEPTED)
            .order_by(Allocation.id)
            .limit(1)
        )
    before = world.decisions()
    answer = client.post(f"/c/{world.key}/bookings/{booking}/undo", data={"csrf": token})
    assert "tick the box to confirm" in _flash(client, answer)
    assert world.decisions() == before
    answer = client.post(f"/c/{world.key}/bookings/{booking}/undo", data={"csrf": token, "confirm": "yes"})
    assert f"undo of allocation {booking}" in _flash(client, answer)
    page = client.get(f"/c/{world.key}/bookings/{booking}").text
    assert "is being undone" in html.unescape(page)
