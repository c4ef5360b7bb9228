"""`syncd calibrate` names how a company's invoices read ``totalAmount`` and öresavrundning.

Each test switches the sandbox to one reading, lets a person issue and pay invoices of 999,68 +
25 % VAT (1 249,60 SEK) in Bokio, pulls, and reads what the calibration says.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from syncd.calibration.totals import Shown, rounding, total_reading
from syncd.domain import invoice_math as im
from tests.cycle_world import World, bokio_client, bokio_post, issue_invoice, switch_readings

READINGS = [
    ({"totalReading": "net", "rounding": "off"}, "1249.60", "net", "off"),
    ({"totalReading": "gross", "rounding": "off"}, "1249.60", "gross", "off"),
    ({"totalReading": "net", "rounding": "in_total"}, "1250.00", "net", "in_total"),
    ({"totalReading": "gross", "rounding": "in_total"}, "1250.00", "gross", "in_total"),
    ({"totalReading": "gross", "rounding": "beside_total"}, "1250.00", "gross", "beside_total"),
]


def _paid_history(world: World, pay: str) -> None:
    with bokio_client(world) as bokio:
        customer = bokio_post(bokio, "/customers", {"name": "Historik AB", "type": "company"})["id"]
        for _ in range(2):
            invoice = issue_invoice(bokio, customer, "999.68", str(world.sandbox.today()))
            body = {"date": str(world.sandbox.today()), "sumBaseCurrency": Decimal(pay)}
            bokio_post(bokio, f"/invoices/{invoice['id']}/payments", body)


@pytest.mark.parametrize(
    ("switch", "pay", "total", "rounded"), READINGS, ids=[r[2] + "-" + r[3] for r in READINGS]
)
def test_calibration_names_the_total_and_rounding_reading_the_books_show(
    cycle_world: World, switch: dict[str, Any], pay: str, total: str, rounded: str
) -> None:
    switch_readings(cycle_world, **switch)
    _paid_history(cycle_world, pay)
    cycle_world.cycle()

    found = cycle_world.cli("calibrate")["companies"][0]["totals"]
    totals, roundings = found["total_amount"]["counts"], found["rounding"]["counts"]
    assert totals.get("neither", 0) == 0
    assert [r for r in ("net", "gross") if totals.get(r)] == [total]  # the sandbox shows all under it
    assert roundings.get(rounded, 0) >= 2
    assert not {r for r in ("in_total", "beside_total", "off") if roundings.get(r)} - {rounded}
    assert found["rounds_beside_total"] is (rounded == "beside_total")


def test_doctor_warns_where_bokio_rounds_beside_the_total(cycle_world: World) -> None:
    switch_readings(cycle_world, totalReading="gross", rounding="beside_total")
    _paid_history(cycle_world, "1250.00")
    cycle_world.cycle()

    cycle_world.capsys.readouterr()
    from syncd.cli import main

    main(["doctor", "--offline", "--json"])
    checks = {c["name"]: c for c in json.loads(cycle_world.capsys.readouterr().out)["checks"]}
    check = checks[f"{cycle_world.company.id} rounding"]
    assert check["status"] == "warn"
    assert "2 beside the total" in check["detail"]


def _shown(total: str, tax: str, paid: str | None = None, currency: str = "SEK") -> Shown:
    lines = im.totals([im.Line(Decimal(1), Decimal("999.68"), Decimal(25))])  # 999,68 + 249,92
    return Shown("1", currency, Decimal(total), Decimal(tax), lines, None if paid is None else Decimal(paid))


@pytest.mark.parametrize(
    ("shown", "reading", "rounded"),
    [
        (_shown("999.68", "249.92"), "net", "undecided"),
        (_shown("1249.60", "249.92"), "gross", "undecided"),
        (_shown("1250.00", "249.92"), "gross", "in_total"),
        (_shown("1000.08", "249.92"), "net", "in_total"),  # net plus the 40 öre rounding
        (_shown("1249.60", "249.92", paid="1250.00"), "gross", "beside_total"),
        (_shown("1249.60", "249.92", paid="1249.60"), "gross", "off"),
        (_shown("1249.60", "249.92", paid="1249.60", currency="EUR"), "gross", "undecided"),
        (_shown("1200.00", "249.92"), "neither", "undecided"),
    ],
)
def test_one_invoice_tells_its_total_and_rounding_reading(shown: Shown, reading: str, rounded: str) -> None:
    assert (total_reading(shown), rounding(shown)) == (reading, rounded)
