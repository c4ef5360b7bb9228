"""syncd reads which of Bokio's readings a company's own books show, and stops booking automatically
when its configuration disagrees.

Each test switches the sandbox company to one reading, builds a little history through Bokio's API
(payments and settlements a person registered), lets syncd pull it, and then asks
``syncd calibrate``; a payment arriving afterwards must wait for a person. Both databases.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from syncd.calibration.evidence import calibrate
from syncd.domain import invoice_math as im
from syncd.mirror.tables import Company
from tests.cycle_world import World, bokio_client, bokio_post, issue_invoice, switch_readings
from tests.ingest.deliveries import BankPayment, camt054

TODAY = "2026-11-20"


def _history(world: World) -> None:
    """A person's bookings in Bokio: a bank fee, a currency difference, a euro invoice paid in kronor."""
    with bokio_client(world) as bokio:
        customer = bokio_post(bokio, "/customers", {"name": "Historik AB", "type": "company"})["id"]
        for kind, paid, settled in (("bankFee", "1240.00", "10.00"), ("currency", "1237.50", "12.50")):
            invoice = issue_invoice(bokio, customer, "1000", TODAY)
            bokio_post(
                bokio,
                f"/invoices/{invoice['id']}/payments",
                {"date": TODAY, "sumBaseCurrency": Decimal(paid)},
            )
            details = {"date": TODAY, "sumBaseCurrency": Decimal(settled)}
            bokio_post(
                bokio,
                f"/invoices/{invoice['id']}/settlements",
                {"type": kind, "invoiceSettlementDetails": details},
            )
        euro = issue_invoice(bokio, customer, "100", TODAY, currency="EUR", currencyRate=Decimal("11.4520"))
        bokio_post(
            bokio, f"/invoices/{euro['id']}/payments", {"date": TODAY, "sumBaseCurrency": Decimal("1431.50")}
        )


SWITCHES = [
    (
        {"paidIncludesSettlements": False},
        "paid_includes_settlements",
        im.Readings(paid_includes_settlements=False),
    ),
    (
        {"settlementSign": "currency_positive_is_gain"},
        "settlement_sign",
        im.Readings(settlement_sign=im.SettlementSign.CURRENCY_POSITIVE_IS_GAIN),
    ),
    ({"paidCurrency": "invoice"}, "paid_currency", None),
]


@pytest.mark.parametrize(("switch", "rule", "right"), SWITCHES, ids=[s[1] for s in SWITCHES])
def test_books_kept_under_another_reading_are_named_and_stop_automatic_booking(
    cycle_world: World, switch: dict[str, Any], rule: str, right: im.Readings | None
) -> None:
    switch_readings(cycle_world, **switch)
    _history(cycle_world)
    cycle_world.cycle()

    (company,) = cycle_world.cli("calibrate")["companies"]
    found = {r["rule"]: r for r in company["rules"]}
    assert found[rule]["contradicted"], found[rule]
    assert found[rule]["disagree"] >= 1
    assert [name for name, r in found.items() if r["contradicted"]] == [rule]
    assert rule.split("_", maxsplit=1)[0] in company["auto_booking_stopped"]

    # a payment with the exact OCR would be booked at once; now it waits for a person, with the reason
    target = cycle_world.invoice(at_least=Decimal(100))
    payment = BankPayment(
        90, cycle_world.sandbox.today(), target.outstanding, target.customer, ocr=target.ocr
    )
    cycle_world.deliver("ntf.xml", camt054([payment], "NTF-CAL"))
    cycle_world.cycle()
    assert cycle_world.payments_on(target.number) == []
    proposals = cycle_world.cli("review", "list")["proposals"]
    (held,) = [p for p in proposals if p["allocations"][0]["invoice"] == target.number]
    assert "contradict" in held["allocations"][0]["explanation"]
    assert "AUTO-BOOKING STOPPED" in _text_status(cycle_world)

    if right is not None:  # configured as the books show, the same history agrees
        with cycle_world.app.sessions() as session:
            pk = session.scalar(select(Company.id).where(Company.bokio_company_id == cycle_world.company.id))
            assert pk is not None
            assert calibrate(session, pk, right).stop_reason() is None


def test_books_kept_as_syncd_reads_them_agree_and_booking_stays_automatic(cycle_world: World) -> None:
    _history(cycle_world)
    cycle_world.cycle()

    (company,) = cycle_world.cli("calibrate")["companies"]
    found = {r["rule"]: r for r in company["rules"]}
    assert company["auto_booking_stopped"] is None
    assert found["paid_includes_settlements"]["agree"] >= 1
    assert found["settlement_sign"]["agree"] >= 1
    assert found["paid_currency"]["agree"] >= 1


def _text_status(world: World) -> str:
    from syncd.cli import main

    world.capsys.readouterr()
    assert main(["status"]) == 0
    return world.capsys.readouterr().out
