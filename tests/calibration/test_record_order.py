"""An invoice recorded before its payment where the company's books show Bokio works that way.

The sandbox plays both readings of Bokio's record order; syncd reads which one the company's own
history shows (invoices with recorded payments: recorded themselves, or not) and records an
unrecorded invoice first only where the books show invoices first, never under the cash method.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from syncd.calibration.record_order import RecordInvoiceFirst, RecordOrder
from syncd.mirror.tables import Invoice
from syncd.outbox.tables import OutboxCommand
from tests.cycle_world import World, bokio_client, bokio_post, issue_invoice, switch_readings
from tests.ingest.deliveries import BankPayment, camt054


def _new_invoice(world: World, name: str) -> dict[str, Any]:
    """A customer's invoice published in Bokio and never recorded."""
    with bokio_client(world) as bokio:
        customer = bokio_post(bokio, "/customers", {"name": name, "type": "company"})["id"]
        return issue_invoice(bokio, customer, "1000", str(world.sandbox.today()))  # type: ignore[no-any-return]


def _paid_in_bokio_without_recording_the_invoice(world: World) -> None:
    """History: a person booked a payment on an invoice nobody recorded (Bokio allowed it)."""
    invoice = _new_invoice(world, "Gammal Kund AB")
    with bokio_client(world) as bokio:
        body = {"date": str(world.sandbox.today()), "sumBaseCurrency": 1250, "bookkeepingAccountNumber": 1930}
        payment = bokio_post(bokio, f"/invoices/{invoice['id']}/payments", body)
        bokio_post(bokio, f"/invoices/{invoice['id']}/payments/{payment['id']}/record")


def _pay_by_bank(world: World, invoice: dict[str, Any], name: str, ref: int) -> None:
    payment = BankPayment(
        ref, world.sandbox.today(), Decimal("1250.00"), name, ocr=invoice["paymentReference"]
    )
    world.deliver(f"ntf-{ref}.xml", camt054([payment], f"NTF-{ref}"))


def _kinds(world: World) -> list[tuple[str, str]]:
    with world.app.sessions() as session:
        commands = session.scalars(select(OutboxCommand).order_by(OutboxCommand.id)).all()
        return [(c.kind, c.state) for c in commands]


def _in_bokio(world: World, invoice_id: str) -> dict[str, Any]:
    with world.sandbox.lock:
        books = world.sandbox.books(world.company.id)
        return books.view(books.company.invoices[invoice_id])


def test_where_the_books_show_invoices_recorded_first_syncd_records_an_unrecorded_invoice_before_its_payment(
    cycle_world: World,
) -> None:
    switch_readings(cycle_world, recordRequiresRecordedInvoice=True)  # the seeded history: invoices first
    invoice = _new_invoice(cycle_world, "Ny Kund AB")
    cycle_world.cycle()
    _pay_by_bank(cycle_world, invoice, "Ny Kund AB", 7)
    cycle_world.cycle()

    kinds = _kinds(cycle_world)
    assert kinds[:3] == [("record_invoice", "done"), ("create_payment", "done"), ("record_payment", "done")]
    assert {state for _, state in kinds} == {"done"}
    shown = _in_bokio(cycle_world, invoice["id"])
    assert shown["journalEntryRef"] is not None
    assert (shown["status"], Decimal(str(shown["paidAmount"]))) == ("paid", Decimal("1250"))
    with cycle_world.app.sessions() as session:
        mirrored = session.scalar(select(Invoice.journal_entry_id).where(Invoice.bokio_id == invoice["id"]))
    assert mirrored == shown["journalEntryRef"]["id"]


def test_where_the_books_show_payments_on_unrecorded_invoices_syncd_records_payments_only(
    cycle_world: World,
) -> None:
    _paid_in_bokio_without_recording_the_invoice(cycle_world)
    invoice = _new_invoice(cycle_world, "Ny Kund AB")
    cycle_world.cycle()
    _pay_by_bank(cycle_world, invoice, "Ny Kund AB", 8)
    cycle_world.cycle()

    kinds = _kinds(cycle_world)
    assert kinds[:2] == [("create_payment", "done"), ("record_payment", "done")]
    assert "record_invoice" not in {kind for kind, _ in kinds}
    assert _in_bokio(cycle_world, invoice["id"])["journalEntryRef"] is None
    order = cycle_world.cli("calibrate")["companies"][0]["record_order"]  # the old one, and syncd's own
    assert (order["payment_only"], order["records_invoice_first"]) == (2, False)


def test_a_cash_method_company_never_has_an_invoice_recorded_by_syncd(cycle_world: World) -> None:
    switch_readings(cycle_world, accountingMethod="cash")
    invoice = _new_invoice(cycle_world, "Kontant AB")
    cycle_world.cycle()
    _pay_by_bank(cycle_world, invoice, "Kontant AB", 9)
    cycle_world.cycle()

    assert "record_invoice" not in {kind for kind, _ in _kinds(cycle_world)}
    order = cycle_world.cli("calibrate")["companies"][0]["record_order"]
    assert (order["accounting_method"], order["records_invoice_first"]) == ("cash", False)


def test_an_invoice_a_person_recorded_after_the_last_pull_is_not_recorded_twice(cycle_world: World) -> None:
    switch_readings(cycle_world, recordRequiresRecordedInvoice=True)
    invoice = _new_invoice(cycle_world, "Ny Kund AB")
    _pay_by_bank(cycle_world, invoice, "Ny Kund AB", 10)
    cycle_world.cli("import", str(cycle_world.inbox / "ntf-10.xml"))
    cycle_world.cli("pull")
    cycle_world.cli("match")
    assert _kinds(cycle_world)[0] == ("record_invoice", "pending")
    with bokio_client(cycle_world) as bokio:  # a person records it in Bokio before syncd pushes
        entry = bokio_post(bokio, f"/invoices/{invoice['id']}/record")["journalEntryRef"]["id"]
    cycle_world.cli("push")

    assert {state for _, state in _kinds(cycle_world)} == {"done"}
    shown = _in_bokio(cycle_world, invoice["id"])
    assert (shown["journalEntryRef"]["id"], shown["status"]) == (entry, "paid")


def test_doctor_says_what_syncd_does_about_the_record_order(cycle_world: World) -> None:
    cycle_world.cycle()
    cycle_world.capsys.readouterr()
    from syncd.cli import main

    main(["doctor", "--offline", "--json"])
    checks = {c["name"]: c for c in json.loads(cycle_world.capsys.readouterr().out)["checks"]}
    detail = checks[f"{cycle_world.company.id} record order"]["detail"]
    assert "were recorded first, 0 were not" in detail
    assert detail.endswith("syncd records an unrecorded invoice before its payment")


@pytest.mark.parametrize(
    ("first", "only", "method", "setting", "records"),
    [
        (3, 0, "accrual", RecordInvoiceFirst.AUTO, True),
        (3, 1, "accrual", RecordInvoiceFirst.AUTO, False),  # one payment on an unrecorded invoice
        (0, 0, "accrual", RecordInvoiceFirst.AUTO, False),  # nothing to tell: payments only, as before
        (3, 0, "cash", RecordInvoiceFirst.AUTO, False),
        (3, 0, "cash", RecordInvoiceFirst.ALWAYS, False),  # kontantmetoden books the sale with the payment
        (0, 2, "accrual", RecordInvoiceFirst.ALWAYS, True),
        (3, 0, "accrual", RecordInvoiceFirst.NEVER, False),
        (3, 0, None, RecordInvoiceFirst.AUTO, True),  # fiscal years not pulled yet
    ],
)
def test_syncd_records_an_invoice_first_only_where_the_books_or_the_setting_say_so(
    first: int, only: int, method: str | None, setting: RecordInvoiceFirst, records: bool
) -> None:
    assert RecordOrder(first, only, {}, method, setting).records_invoice_first is records
