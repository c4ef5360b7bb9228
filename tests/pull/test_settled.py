"""Invoices that left the open set: one ``status==paid`` listing when cheaper than a read each."""

from __future__ import annotations

from syncd.sandbox.seed import pay_invoice
from tests.pull.harness import COMPANY, World, assert_open_invoices_match, bokio_invoices, mirror_invoices

BY_ID = "/companies/{companyId}/invoices/{invoiceId}"


def test_invoices_paid_in_bokio_since_the_last_scan_come_back_in_one_listing(world: World) -> None:
    world.pull(full=True)
    open_ids = sorted(i for i, v in bokio_invoices(world.sandbox).items() if v["status"] == "published")
    paid = open_ids[:5]
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        for invoice_id in paid:
            pay_invoice(books, invoice_id, books.remaining(invoice_id), world.sandbox.today().isoformat())
    before = len(world.sandbox.log)
    report = world.puller.refresh_open_invoices(world.company, now=world.clock())
    assert not report.problems
    served = world.sandbox.log[before:]
    assert [e for e in served if e.template == BY_ID] == []  # no invoice read one by one
    assert sum(1 for e in served if e.template.endswith("/payments")) == len(paid)
    with world.app.sessions() as session:
        held = mirror_invoices(session)
        assert {held[i].status for i in paid} == {"paid"}
        assert_open_invoices_match(world.sandbox, session)


def test_a_single_invoice_that_left_the_open_set_is_read_by_id(world: World) -> None:
    world.pull(full=True)
    invoice_id = sorted(i for i, v in bokio_invoices(world.sandbox).items() if v["status"] == "published")[0]
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        pay_invoice(books, invoice_id, books.remaining(invoice_id), world.sandbox.today().isoformat())
    before = len(world.sandbox.log)
    world.puller.refresh_open_invoices(world.company, now=world.clock())
    assert sum(1 for e in world.sandbox.log[before:] if e.template == BY_ID) == 1
    with world.app.sessions() as session:
        assert mirror_invoices(session)[invoice_id].status == "paid"
