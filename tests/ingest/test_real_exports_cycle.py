"""PayPal and SEB exports as they really are, through a whole cycle against the sandbox.

Files land in the company's inbox; one ``CompanyCycle.run()`` imports them, pulls the invoices,
matches and pushes to the sandbox over its transport; what Bokio then holds is read back. Both
databases.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from syncd.allocations.tables import Allocation
from syncd.app import App
from syncd.daemon.cycle import CompanyCycle
from syncd.demo.run import settings_for
from syncd.demo.world import DemoCompany
from syncd.demo.writers import Creditor
from syncd.ingest.tables import BankFile
from syncd.sandbox import Sandbox, SandboxTransport
from syncd.sandbox.seed import create_published_invoice, seed_demo
from tests.conftest import Database

GOLDEN = Path(__file__).parents[1] / "bankfiles" / "golden"
COMPANY_ID = "5b0e7f3c-9a51-4c2e-8d7a-2f6b1c9e4a10"
TOKEN = "psp-export-test-token-0123456789"
SEB_HEADER = "Bokföringsdatum;Valutadatum;Verifikationsnummer;Text/mottagare;Belopp;Saldo"


def _line(amount: str, *, tax: int = 0) -> dict[str, object]:
    return {
        "itemType": "salesItem",
        "description": "Snickeriarbete",
        "productType": "services",
        "unitType": "piece",
        "quantity": Decimal(1),
        "unitPrice": Decimal(amount),
        "taxRate": Decimal(tax),
    }


@dataclass
class World:
    sandbox: Sandbox
    app: App
    inbox: Path
    numbers: dict[str, str]  # fixture invoice number → the sandbox's number
    ids: dict[str, str]  # fixture invoice number → the sandbox's invoice id

    def drop(self, name: str, data: bytes) -> None:
        """A file in the inbox, written an hour ago (settled)."""
        path = self.inbox / name
        path.write_bytes(data)
        settled = time.time() - 3600
        os.utime(path, (settled, settled))

    def run(self) -> Any:
        return CompanyCycle(self.app, self.app.settings.companies[0]).run()

    def bokio(self, number: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        """Payments, settlements and the invoice as the sandbox holds them now."""
        invoice_id = self.ids[number]
        with self.sandbox.lock:
            books = self.sandbox.books(COMPANY_ID)
            invoice = books.view(self.sandbox.companies[COMPANY_ID].invoices[invoice_id])
            return books.payments(invoice_id), books.settlements(invoice_id), invoice


@pytest.fixture
def world(database: Database, tmp_path: Path) -> Iterator[World]:
    sandbox = Sandbox(seed=11)  # the real clock: the outbox stamps commands with it
    seed_demo(sandbox, company_id=COMPANY_ID, token=TOKEN, customers=2, invoices=0, seed=11)
    numbers, ids = {}, {}
    with sandbox.lock:
        books = sandbox.books(COMPANY_ID)
        customer = next(iter(sandbox.companies[COMPANY_ID].customers))
        plan = {
            "2001": ([_line("200.00")], {"currency": "USD", "currencyRate": Decimal("10.5020")}),
            "2002": ([_line("150.00")], {"currency": "USD", "currencyRate": Decimal("10.4500")}),
            "2003": ([_line("800.00", tax=25)], {}),
            "1044": ([_line("10000.00", tax=25)], {}),
        }
        for fixture_number, (lines, extra) in plan.items():
            invoice = create_published_invoice(books, customer, lines, "2026-11-02", **extra)
            books.record_invoice(invoice["id"])
            numbers[fixture_number] = str(invoice["invoiceNumber"])
            ids[fixture_number] = str(invoice["id"])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    creditor = Creditor("Västkust Snickeri AB", "5050-1055", "SE4550000000050010012345")
    settings = settings_for(
        DemoCompany(COMPANY_ID, TOKEN, "Västkust Snickeri AB", creditor),
        base_url="http://sandbox.test/v1",
        database=tmp_path / "unused",
        inbox=inbox,
    )
    settings = settings.model_copy(update={"database_url": SecretStr(database.url)})
    app = App(settings, transport=SandboxTransport(sandbox), clock=sandbox.clock)
    try:
        yield World(sandbox, app, inbox, numbers, ids)
    finally:
        app.close()


def _paypal_export(world: World) -> bytes:
    data = (GOLDEN / "paypal_usd_conversions.csv").read_bytes()
    for fixture_number, number in world.numbers.items():
        data = data.replace(f'"{fixture_number}"'.encode(), f'"{number}"'.encode())
    return data


def _seb(rows: list[str]) -> bytes:
    return "\r\n".join(["Kontonummer: 5001 12 345 67", "", SEB_HEADER, *rows, ""]).encode("cp1252")


def _ocr(world: World, number: str) -> str:
    return str(world.bokio(number)[2]["paymentReference"])


def test_a_paypal_export_with_usd_charges_converted_to_sek_books_each_payment_once_with_its_fee(
    world: World,
) -> None:
    world.drop("Download.CSV", _paypal_export(world))
    world.drop(
        "seb.csv",
        _seb(
            [
                "2026-11-23;2026-11-23;5490011650;PAYPAL 4KS60927VX1183350;3526.040;36649.940",
                "2026-11-24;2026-11-24;5490012004;PAYPAL 6PJ42598WC0067194;715.100;37365.040",
            ]
        ),
    )
    report = world.run()
    assert report.ok, report.to_json()
    again = world.run()  # a second cycle books nothing more
    assert again.ok, again.to_json()

    for number, fee_sek in (("2001", Decimal("85.07")), ("2002", Decimal("64.59"))):
        payments, settlements, invoice = world.bokio(number)
        assert len(payments) == 1, number
        fees = [s for s in settlements if s["type"] == "paymentServiceFee"]
        assert [Decimal(str(s["invoiceSettlementDetails"]["sumBaseCurrency"])) for s in fees] == [fee_sek]
        assert invoice["status"] == "paid", number
    assert Decimal(str(world.bokio("2001")[0][0]["sumBaseCurrency"])) == Decimal("2015.33")
    assert Decimal(str(world.bokio("2002")[0][0]["sumBaseCurrency"])) == Decimal("1510.71")
    assert [s["type"] for s in world.bokio("2001")[1]] == ["paymentServiceFee"]  # converted at its own rate
    assert sorted(s["type"] for s in world.bokio("2002")[1]) == ["currency", "paymentServiceFee"]


def test_the_paypal_payment_behind_an_outgoing_payment_is_left_for_a_person_and_nothing_else_is_booked(
    world: World,
) -> None:
    world.drop("Download.CSV", _paypal_export(world))
    world.drop("seb.csv", _seb(["2026-11-24;2026-11-24;5490012004;PAYPAL 6PJ42598WC0067194;715.100;715.100"]))
    report = world.run()
    assert report.ok, report.to_json()
    payments, settlements, _invoice = world.bokio("2003")
    assert (payments, settlements) == ([], [])
    with world.app.sessions() as session:
        info = session.scalars(select(BankFile.info).where(BankFile.filename == "Download.CSV")).one()
        booked = session.scalars(select(Allocation)).all()
    (reason,) = [p["message"] for p in info["problems"] if "6PJ42598WC0067194" in p["message"]]
    assert "outgoing payment 7BQ83016NF2270413" in reason
    assert booked == []


def test_a_seb_text_mottagare_export_with_an_ocr_in_the_text_books_that_payment(world: World) -> None:
    ocr = _ocr(world, "1044")
    world.drop("seb.csv", _seb([f"2026-11-23;2026-11-23;5490011873;BG 5050-1055 {ocr};12500.000;12500.000"]))
    report = world.run()
    assert report.ok, report.to_json()
    payments, _settlements, invoice = world.bokio("1044")
    assert [Decimal(str(p["sumBaseCurrency"])) for p in payments] == [Decimal("12500.00")]
    assert invoice["status"] == "paid"


def test_a_csv_with_an_unknown_column_is_quarantined_naming_it_and_books_nothing(world: World) -> None:
    ocr = _ocr(world, "1044")
    header = "Bokföringsdatum;Valutadatum;Verifikationsnummer;Meddelande;Belopp;Saldo"
    world.drop("seb.csv", f"{header}\r\n2026-11-23;2026-11-23;1;BG {ocr};12500,00;0\r\n".encode("cp1252"))
    report = world.run()
    imported = report.stages[0]
    assert imported.detail["quarantined"] == ["seb.csv"]
    assert "['Meddelande']" in (imported.error or "")
    assert world.bokio("1044")[0] == []
