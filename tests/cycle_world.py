"""A company's full cycle (import → pull → match → push) against the Bokio sandbox over HTTP.

``cycle_world`` (a fixture, registered in ``tests/conftest.py``) runs on the test database (both legs), with the company's inbox, the CLI as an admin
types it, and Bokio's books read straight from the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from syncd.app import App
from syncd.cli import main
from syncd.daemon.cycle import CompanyCycle
from syncd.demo.payments import InvoiceFacts
from syncd.demo.run import settings_for, write_inbox
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.ingest.tables import BankTransaction
from syncd.sandbox import Sandbox
from syncd.sandbox import jsonutil as sandbox_json
from syncd.sandbox.server import SandboxServer, running

if TYPE_CHECKING:
    from tests.conftest import Database


@dataclass
class World:
    sandbox: Sandbox
    server: SandboxServer
    company: DemoCompany
    app: App
    inbox: Path
    capsys: pytest.CaptureFixture[str]

    def cli(self, *argv: str) -> Any:
        """Run a ``syncd`` command as an admin types it; its ``--json`` output, parsed exactly."""
        self.capsys.readouterr()
        code = main([*argv, "--json"])
        out = self.capsys.readouterr()
        assert code == 0, out.err
        return json.loads(out.out, parse_float=Decimal)

    def deliver(self, name: str, data: bytes) -> None:
        write_inbox(self.inbox, {name: data})

    def cycle(self) -> None:
        report = CompanyCycle(self.app, self.app.settings.companies[0]).run()
        assert report.ok, report.to_json()

    def invoice(self, *, at_least: Decimal, skip: int = 0) -> InvoiceFacts:
        """An open SEK invoice nobody has paid anything of yet: what Bokio holds is what syncd booked."""
        candidates = [
            f
            for f in open_invoices(self.sandbox, self.company.id)
            if f.currency == "SEK" and f.outstanding >= at_least and not self.payments_on(f.number)
        ]
        return sorted(candidates, key=lambda f: f.number)[skip]

    def payments_on(self, number: str) -> list[Decimal]:
        with self.sandbox.lock:
            company = self.sandbox.companies[self.company.id]
            invoice_id = next(i for i, inv in company.invoices.items() if inv.get("invoiceNumber") == number)
            return sorted(
                Decimal(str(p["sumBaseCurrency"])) for p in company.payments.get(invoice_id, {}).values()
            )

    def lines(self) -> list[BankTransaction]:
        with self.app.sessions() as session:
            return list(session.scalars(select(BankTransaction).order_by(BankTransaction.id)))


@pytest.fixture
def cycle_world(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[World]:
    sandbox, company = build_sandbox(seed=11)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with running(sandbox) as server:
        settings = settings_for(company, base_url=server.url, database=tmp_path / "unused", inbox=inbox)
        settings = settings.model_copy(update={"database_url": SecretStr(database.url)})
        for name, value in {
            "SYNCD_DATABASE_URL": database.url,
            "SYNCD_BOKIO_BASE_URL": server.url,
            "SYNCD_COMPANY_ID": company.id,
            "SYNCD_BOKIO_TOKEN": company.token,
            "SYNCD_BANK_INBOX": str(inbox),
        }.items():
            monkeypatch.setenv(name, value)
        app = App(settings, clock=sandbox.clock)
        try:
            yield World(sandbox, server, company, app, inbox, capsys)
        finally:
            app.close()


def bokio_post(client: httpx.Client, path: str, payload: Any = None) -> Any:
    """POST to the sandbox's Bokio API as a client would; the answer, parsed exactly."""
    content = b"" if payload is None else sandbox_json.dumps(payload)
    response = client.post(path, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return sandbox_json.loads(response.content)


def bokio_client(world: World) -> httpx.Client:
    """Bokio's API of the world's company, with its token (a person working in Bokio)."""
    headers = {"Authorization": f"Bearer {world.company.token}"}
    return httpx.Client(base_url=f"{world.server.url}/companies/{world.company.id}", headers=headers)


def issue_invoice(bokio: httpx.Client, customer: str, price: str, day: str, **extra: Any) -> dict[str, Any]:
    """Publish (not record) an invoice of one 25 % line at ``price`` excluding VAT."""
    line = {
        "itemType": "salesItem",
        "description": "Konsult",
        "productType": "services",
        "unitType": "hour",
        "quantity": Decimal(1),
        "unitPrice": Decimal(price),
        "taxRate": Decimal(25),
    }
    payload = {"customerRef": {"id": customer}, "invoiceDate": day, "lineItems": [line], **extra}
    draft = bokio_post(bokio, "/invoices", payload)
    return bokio_post(bokio, f"/invoices/{draft['id']}/publish")  # type: ignore[no-any-return]


def switch_readings(world: World, **readings: Any) -> None:
    """Set the sandbox company's readings of Bokio's open rules (camelCase keys, as the admin API)."""
    with world.sandbox.lock:
        current = world.sandbox.companies[world.company.id].readings
    world.sandbox.set_readings(world.company.id, current.updated(readings))
