"""Öresavrundning: an invoice whose amount to pay Bokio rounds to whole kronor is booked on the amount
the customer paid, and a difference of at most 50 öre never becomes a bank fee.

Each test switches the sandbox company to one reading of Bokio's rounding, issues an invoice of
1 249,60 SEK including VAT, lets syncd pull it, pays it by OCR in a camt.054, runs full cycles over
HTTP and reads Bokio's books back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from syncd.sandbox import jsonutil
from tests.cycle_world import World, bokio_client, bokio_post, issue_invoice, switch_readings
from tests.ingest.deliveries import BankPayment, camt054


def _rounded_invoice(world: World, *, rounding: str) -> dict[str, Any]:
    """Switch the company's rounding reading, then issue 999,68 + 25 % VAT = 1 249,60 SEK."""
    switch_readings(world, rounding=rounding, totalReading="gross")
    with bokio_client(world) as bokio:
        customer = bokio_post(bokio, "/customers", {"name": "Avrundning AB", "type": "company"})
        return issue_invoice(bokio, customer["id"], "999.68", str(world.sandbox.today()))


def _books(world: World, invoice_id: str) -> tuple[list[Decimal], list[str], str]:
    """Payments, settlement types and status of the invoice in Bokio."""
    with world.sandbox.lock:
        company = world.sandbox.companies[world.company.id]
        payments = sorted(
            Decimal(str(p["sumBaseCurrency"])) for p in company.payments.get(invoice_id, {}).values()
        )
        settlements = [str(s["type"]) for s in company.settlements.get(invoice_id, {}).values()]
    with bokio_client(world) as bokio:
        status = str(jsonutil.loads(bokio.get(f"/invoices/{invoice_id}").content)["status"])
    return payments, settlements, status


def _pay(world: World, invoice: dict[str, Any], amount: str) -> None:
    payment = BankPayment(
        1, world.sandbox.today(), Decimal(amount), "Avrundning AB", ocr=invoice["paymentReference"]
    )
    world.deliver("ntf.xml", camt054([payment], "NTF-ROUND"))
    world.cycle()
    world.cycle()


@pytest.mark.parametrize(("rounding", "paid"), [("in_total", "1250.00"), ("off", "1249.60")])
def test_a_payment_of_the_amount_to_pay_is_booked_as_one_payment_and_closes_the_invoice(
    cycle_world: World, rounding: str, paid: str
) -> None:
    invoice = _rounded_invoice(cycle_world, rounding=rounding)
    cycle_world.cycle()  # syncd mirrors the new invoice: its total fits the lines under this reading

    _pay(cycle_world, invoice, paid)

    assert _books(cycle_world, invoice["id"]) == ([Decimal(paid)], [], "paid")


def test_forty_ore_short_is_never_booked_as_a_bank_fee_but_left_to_a_person_as_rounding(
    cycle_world: World,
) -> None:
    invoice = _rounded_invoice(cycle_world, rounding="off")  # 1 249,60 owed
    cycle_world.cycle()

    _pay(cycle_world, invoice, "1249.20")

    payments, settlements, _ = _books(cycle_world, invoice["id"])
    assert (payments, settlements) == ([], [])
    (proposal,) = [
        p
        for p in cycle_world.cli("review", "list")["proposals"]
        if p["allocations"][0]["invoice"] == invoice["invoiceNumber"]
    ]
    allocation = proposal["allocations"][0]
    assert allocation["evidence"]["match"] == "rounding"
    assert "never booked as a bank fee" in allocation["explanation"].casefold()
    assert "bankFee" not in str(allocation["would_push"])
