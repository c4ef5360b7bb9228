"""``syncd audit`` against the sandbox over real HTTP, after a demo cycle, on both databases.

The sandbox serves its own books as SIE (strict mode checks the download against Bokio's
OpenAPI); a person's doings in Bokio are played through its API (a second payment, deleting a
recorded payment) or its admin route (reversing a voucher in the UI).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from syncd.app import App
from syncd.cli import main
from syncd.daemon.service import Daemon
from syncd.db import make_engine, session_factory
from syncd.demo.bankday import bank_files
from syncd.demo.run import write_inbox
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.mirror.tables import RequestLedger
from syncd.sandbox import Sandbox
from syncd.sandbox.server import SandboxServer, running
from syncd.settings import load_settings

ADMIN = "audit-test-admin-token"
SEED = 1


@dataclass
class World:
    sandbox: Sandbox
    server: SandboxServer
    company: DemoCompany
    database_url: str

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.server.url}/companies/{self.company.id}",
            headers={"Authorization": f"Bearer {self.company.token}"},
            timeout=10,
        )

    def invoice_id(self, number: str) -> str:
        with self.sandbox.lock:
            company = self.sandbox.companies[self.company.id]
            return next(i["id"] for i in company.invoices.values() if i["invoiceNumber"] == number)

    def requests_made(self) -> int:
        with self.sandbox.lock:
            return self.sandbox.counters[self.company.id].requests

    def ledger_rows(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return int(session.scalar(select(func.count()).select_from(RequestLedger)) or 0)
        finally:
            engine.dispose()


@pytest.fixture
def world(
    database_url: str, clean_env: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[World]:
    sandbox, company = build_sandbox(SEED)
    sandbox.strict = True
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with running(sandbox, admin_token=ADMIN) as server:
        monkeypatch.setenv("SYNCD_DATABASE_URL", database_url)
        monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", server.url)
        monkeypatch.setenv("SYNCD_COMPANY_ID", company.id)
        monkeypatch.setenv("SYNCD_BOKIO_TOKEN", company.token)
        monkeypatch.setenv("SYNCD_BANK_INBOX", str(inbox))
        _, files = bank_files(
            open_invoices(sandbox, company.id), day=sandbox.today(), seed=SEED, creditor=company.creditor
        )
        write_inbox(inbox, files)
        assert main(["run", "--once"]) == 0
        yield World(sandbox, server, company, database_url)
    assert sandbox.contract_violations == []


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["audit", "--json", *args])
    report = json.loads(capsys.readouterr().out)["companies"][0]
    return code, report


def a_payment(report: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in report["found"] if b["kind"] == "payment")


def findings(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["kind"] == kind]


@pytest.mark.integration
def test_after_a_demo_cycle_the_audit_finds_every_booking_in_bokios_ledger(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = audit(capsys)
    assert code == 0
    assert report["ok"] is True
    assert report["bookings"] >= 10
    assert len(report["found"]) == report["bookings"]
    assert set(report["counts"].values()) == {0}
    assert {b["kind"] for b in report["found"]} >= {"payment", "bankFee", "paymentServiceFee"}
    capsys.readouterr()
    assert main(["audit"]) == 0
    assert f"all {report['bookings']} bookings found in Bokio's ledger" in capsys.readouterr().out


@pytest.mark.integration
def test_a_payment_a_person_registered_again_in_bokio_is_reported_as_a_double_booking(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = audit(capsys)
    paid = a_payment(before)
    invoice = world.invoice_id(paid["invoice_number"])
    with world.api() as api:
        body = {
            "date": paid["date"],
            "sumBaseCurrency": float(paid["amount"]),
            "bookkeepingAccountNumber": 1930,
        }
        payment = api.post(f"/invoices/{invoice}/payments", json=body).raise_for_status().json()
        recorded = api.post(f"/invoices/{invoice}/payments/{payment['id']}/record").raise_for_status().json()
        entry = api.get(f"/journal-entries/{recorded['journalEntryRef']['id']}").raise_for_status().json()
    code, report = audit(capsys)
    assert code == 1
    [double] = findings(report, "double_booked")
    assert double["booking"]["invoice_number"] == paid["invoice_number"]
    assert [v["voucher"] for v in double["vouchers"]] == [paid["voucher"], entry["journalEntryNumber"]]
    assert paid["voucher"] in double["message"]
    assert entry["journalEntryNumber"] in double["message"]
    assert findings(report, "unseen_bank_money") == []


@pytest.mark.integration
def test_a_voucher_a_person_reversed_is_reported_with_both_voucher_numbers(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = audit(capsys)
    paid = a_payment(before)
    reply = httpx.post(
        f"{world.server.url.removesuffix('/v1')}/_sandbox/companies/{world.company.id}/journal-entries/{paid['voucher']}/reverse",
        headers={"X-Sandbox-Admin-Token": ADMIN},
        json={},
        timeout=10,
    )
    reversal = reply.raise_for_status().json()["journalEntryNumber"]
    code, report = audit(capsys)
    assert code == 1
    [reversed_] = findings(report, "reversed")
    assert [v["voucher"] for v in reversed_["vouchers"]] == [paid["voucher"], reversal]
    assert reversed_["booking"]["invoice_number"] == paid["invoice_number"]
    capsys.readouterr()
    assert main(["audit"]) == 1
    out = capsys.readouterr().out
    assert f"reversed by {reversal}" in out
    assert f"invoice {paid['invoice_number']}" in out


@pytest.mark.integration
def test_a_recorded_payment_deleted_in_bokio_is_reported_as_reversed_with_its_voucher_numbers(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = audit(capsys)
    paid = a_payment(before)
    invoice = world.invoice_id(paid["invoice_number"])
    with world.api() as api:
        payments = api.get(f"/invoices/{invoice}/payments").raise_for_status().json()["items"]
        ours = next(p for p in payments if Decimal(str(p["sumBaseCurrency"])) == Decimal(paid["amount"]))
        api.delete(f"/invoices/{invoice}/payments/{ours['id']}").raise_for_status()
    code, report = audit(capsys)
    assert code == 1
    [reversed_] = findings(report, "reversed")
    assert reversed_["vouchers"][0]["voucher"] == paid["voucher"]
    assert reversed_["vouchers"][1]["voucher"] != paid["voucher"]
    assert report["counts"]["missing"] == 0


@pytest.mark.integration
def test_the_audit_costs_one_request_per_fiscal_year_shown_by_dry_run_and_counted_in_the_budget(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    audit(capsys)  # the first audit lists the fiscal years (none mirrored by an incremental pull)
    requests, ledger = world.requests_made(), world.ledger_rows()
    code, planned = audit(capsys, "--dry-run")
    assert code == 0
    assert world.requests_made() == requests
    years = planned["requests_planned"]
    assert len(years) == 1
    assert years[0]["path"].endswith(f"/sie/{years[0]['fiscal_year']}/download")
    code, report = audit(capsys)
    assert code == 0
    assert report["requests"] == len(years)
    assert world.requests_made() - requests == len(years)
    assert world.ledger_rows() - ledger == len(years)


@pytest.mark.integration
def test_a_voucher_a_person_changed_after_syncd_booked_it_is_reported_as_changed(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = audit(capsys)
    paid = a_payment(before)
    amount = paid["amount"]
    rows = [
        {"account": 1940, "debit": amount, "credit": "0"},  # moved to another bank account
        {"account": 1510, "debit": "0", "credit": amount},
    ]
    httpx.post(
        f"{world.server.url.removesuffix('/v1')}/_sandbox/companies/{world.company.id}/journal-entries/{paid['voucher']}/amend",
        headers={"X-Sandbox-Admin-Token": ADMIN},
        json={"items": rows},
        timeout=10,
    ).raise_for_status()
    code, report = audit(capsys)
    assert code == 1
    [changed] = findings(report, "changed")
    assert changed["vouchers"][0]["voucher"] == paid["voucher"]
    assert changed["booking"]["invoice_number"] == paid["invoice_number"]


@pytest.mark.integration
def test_status_shows_the_last_audit_and_the_daemons_audit_job_publishes_its_counts(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "last audit       never run" in capsys.readouterr().out
    with App(load_settings()) as app:
        daemon = Daemon(app, serve_ops=False)
        company = app.settings.companies[0]
        daemon.audit_job(company)
        found = daemon.metrics.registry.get_sample_value(
            "syncd_audit_bookings_found", {"company": world.company.id}
        )
        missing = daemon.metrics.registry.get_sample_value(
            "syncd_audit_findings", {"company": world.company.id, "kind": "missing"}
        )
    assert found is not None
    assert found >= 10
    assert missing == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    last = json.loads(capsys.readouterr().out)["companies"][0]["last_audit"]
    assert last["ok"] is True
    assert last["found"] == last["bookings"] == found
    assert main(["status"]) == 0
    assert f"all {last['bookings']} bookings found in Bokio's ledger" in capsys.readouterr().out
