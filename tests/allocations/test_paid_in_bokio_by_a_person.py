"""A payment a person registered in Bokio's UI is seen at the next pull and never booked a second time.

The bank file with the same money arrives afterwards; syncd's cycle (import → pull → match →
push) over HTTP must find the invoice paid in Bokio and leave the bank line to a person.
"""

from __future__ import annotations

from decimal import Decimal

from tests.cycle_world import World, bokio_client, bokio_post
from tests.ingest.deliveries import BankPayment, camt054


def test_an_invoice_a_person_paid_in_bokio_is_not_booked_again_when_the_bank_money_arrives(
    cycle_world: World,
) -> None:
    cycle_world.cycle()  # syncd has mirrored the open invoice
    target = cycle_world.invoice(at_least=Decimal(100))
    with cycle_world.sandbox.lock:
        invoices = cycle_world.sandbox.companies[cycle_world.company.id].invoices
        invoice_id = next(i for i, inv in invoices.items() if inv.get("invoiceNumber") == target.number)
    with bokio_client(cycle_world) as bokio:  # a person registers the customer's payment in Bokio
        body = {
            "date": str(cycle_world.sandbox.today()),
            "sumBaseCurrency": target.outstanding,
            "bookkeepingAccountNumber": 1930,
        }
        payment = bokio_post(bokio, f"/invoices/{invoice_id}/payments", body)
        bokio_post(bokio, f"/invoices/{invoice_id}/payments/{payment['id']}/record")

    money = BankPayment(41, cycle_world.sandbox.today(), target.outstanding, target.customer, ocr=target.ocr)
    cycle_world.deliver("ntf.xml", camt054([money], "NTF-UI"))
    cycle_world.cycle()
    cycle_world.cycle()

    assert cycle_world.payments_on(target.number) == [target.outstanding]  # the person's, only
    (line,) = [row for row in cycle_world.lines() if row.payer_name == target.customer]
    proposals = cycle_world.cli("review", "list")["proposals"]
    assert not [p for p in proposals if str(line.id) in {str(a["bank_line"]) for a in p["allocations"]}]
    unmatched = {u["id"]: u for u in cycle_world.cli("review", "unmatched")["lines"]}
    assert Decimal(unmatched[line.id]["unallocated"]) == target.outstanding  # a person decides
