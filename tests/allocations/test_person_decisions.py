"""A person's own decisions through the real path: bank file → `syncd run --once` → sandbox over HTTP.

Undo sticks (the pair is never booked again, the line is unmatched with who undid it and when);
a person assigns any bank line to an invoice of their choice, or dismisses money handled outside
syncd; both can be taken back. Every command runs as the CLI, on both databases.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from syncd.allocations.tables import Allocation
from syncd.cli import main
from syncd.clock import business_date
from syncd.db import make_engine, session_factory
from syncd.demo.payments import BankDay, InvoiceFacts, Payment, Scenario
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.demo.writers import camt054
from syncd.ingest.tables import BankTransaction
from syncd.ops.locks import company_job_lock
from syncd.outbox.tables import OutboxCommand
from syncd.sandbox import Sandbox
from syncd.sandbox.server import running

pytestmark = pytest.mark.integration

STRANGER = "BRF KVARNHJULET"


@dataclass
class Office:
    """A company's sandbox served over HTTP, its database, and the CLI a finance person types."""

    sandbox: Sandbox
    demo: DemoCompany
    folder: Path
    database_url: str
    capsys: pytest.CaptureFixture[str]

    def cli(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def json(self, *argv: str) -> Any:
        code, out, err = self.cli(*argv, "--json")
        assert code == 0, err
        data = json.loads(out)  # the standard parser: a Decimal printed as a number would become a float
        assert not _floats(data), f"floats in {argv}: {_floats(data)}"
        return data

    def unmatched_in_status(self) -> int:
        code, out, err = self.cli("status", "--json")
        assert code == 0, err
        return int(json.loads(out, parse_float=Decimal)["companies"][0]["unmatched_bank_money"]["lines"])

    def run_once(self) -> None:
        code, _, err = self.cli("run", "--once")
        assert code == 0, err

    def invoices(self, currency: str = "SEK") -> list[InvoiceFacts]:
        """Open invoices nobody has paid anything of yet, so what Bokio holds is what syncd booked."""
        return sorted(
            (
                i
                for i in open_invoices(self.sandbox, self.demo.id)
                if i.currency == currency and self.bokio(i.number) == ([], [])
            ),
            key=lambda i: (len(i.number), i.number),
        )

    def import_payments(self, name: str, day: dt.date, *payments: Payment) -> None:
        path = self.folder / name
        path.write_bytes(camt054(BankDay(day, payments, "", ()), self.demo.creditor))
        code, _, err = self.cli("import", str(path))
        assert code == 0, err

    def bokio(self, number: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Payments and settlements Bokio holds for one invoice (read inside the sandbox)."""
        with self.sandbox.lock:
            company = self.sandbox.companies[self.demo.id]
            invoice_id = next(i for i, inv in company.invoices.items() if inv.get("invoiceNumber") == number)
            return (
                list(company.payments.get(invoice_id, {}).values()),
                list(company.settlements.get(invoice_id, {}).values()),
            )

    def count(self, model: type[Any], *where: Any) -> int:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
        finally:
            engine.dispose()

    def allocations_of(self, line: int) -> list[tuple[int, str, str]]:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                rows = session.execute(
                    select(Allocation.id, Allocation.invoice_number, Allocation.state)
                    .where(Allocation.bank_transaction_id == line)
                    .order_by(Allocation.id)
                ).all()
                return [(r[0], r[1], r[2]) for r in rows]
        finally:
            engine.dispose()

    def unmatched(self, *extra: str) -> dict[int, dict[str, Any]]:
        return {row["id"]: row for row in self.json("review", "unmatched", *extra)["lines"]}


@pytest.fixture
def office(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Office]:
    sandbox, demo = build_sandbox(seed=4)
    with running(sandbox) as server:
        monkeypatch.setenv("SYNCD_DATABASE_URL", database_url)
        monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", server.url)
        monkeypatch.setenv("SYNCD_COMPANY_ID", demo.id)
        monkeypatch.setenv("SYNCD_BOKIO_TOKEN", demo.token)
        (tmp_path / "inbox").mkdir()  # syncd reports a missing inbox, never creates one
        monkeypatch.setenv("SYNCD_BANK_INBOX", str(tmp_path / "inbox"))
        monkeypatch.setenv("SUDO_USER", "karin")
        yield Office(sandbox, demo, tmp_path, database_url, capsys)


def _exact(facts: InvoiceFacts) -> Payment:
    return Payment(
        Scenario.EXACT_OCR, facts.outstanding_sek, facts.customer, (facts.number,), reference=facts.ocr
    )


def _stranger(amount: Decimal) -> Payment:
    return Payment(Scenario.UNKNOWN_PAYER, amount, STRANGER, (), message="Insättning")


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


def _sv(amount: Decimal) -> str:
    """Swedish notation, as the CLI prints amounts: ``12 500,00``."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",")


def _line_of(office: Office, payer: str, amount: Decimal) -> dict[str, Any]:
    rows = [r for r in office.unmatched().values() if r["payer"] == payer and Decimal(r["amount"]) == amount]
    assert len(rows) == 1, rows
    return rows[0]


def test_an_undone_booking_stays_undone_and_the_line_is_unmatched_with_who_undid_it(office: Office) -> None:
    day = office.sandbox.today()
    invoice = office.invoices()[0]
    office.import_payments("camt054_undo.xml", day, _exact(invoice))
    office.run_once()
    payments, _ = office.bokio(invoice.number)
    assert len(payments) == 1
    engine = make_engine(office.database_url)
    with session_factory(engine)() as session:
        booked = session.scalars(select(Allocation).where(Allocation.invoice_number == invoice.number)).one()
    engine.dispose()

    dry = office.json("undo", str(booked.id), "--dry-run")
    assert dry["calls"] == 1
    assert office.bokio(invoice.number)[0] == payments, "a dry run queues nothing"
    undo = office.json("undo", str(booked.id), "--by", "Karin Berg")
    assert [d["kind"] for d in undo["deletes"]] == ["delete_payment"]
    office.run_once()
    assert office.bokio(invoice.number) == ([], [])

    creates = office.count(OutboxCommand, OutboxCommand.kind == "create_payment")
    office.run_once()
    office.run_once()
    assert office.bokio(invoice.number) == ([], []), "the undone pair is never booked again"
    assert office.count(OutboxCommand, OutboxCommand.kind == "create_payment") == creates
    assert office.allocations_of(booked.bank_transaction_id) == [(booked.id, invoice.number, "undone")]
    line = office.unmatched()[booked.bank_transaction_id]
    assert line["amount"] == str(invoice.outstanding_sek)
    assert line["file"] == "camt054_undo.xml"
    undone_on = business_date(dt.datetime.fromisoformat(undo["at"]))  # notes speak in Stockholm dates
    assert any(
        f"undone on {undone_on} by Karin Berg" in note and invoice.number in note for note in line["notes"]
    ), line["notes"]
    assert office.unmatched_in_status() == len(office.unmatched()) >= 1

    code, _, err = office.cli("undo", str(booked.id))
    assert code == 1
    assert "already undone" in err
    assert "by Karin Berg" in err


def test_undoing_an_allocation_whose_push_booked_nothing_says_so_and_fails(office: Office) -> None:
    invoice = office.invoices()[0]
    office.sandbox.faults.inject(
        "status", "/companies/*/invoices/*/payments", method="POST", status=400, times=1
    )
    office.import_payments("camt054_refused.xml", office.sandbox.today(), _exact(invoice))
    code, _, err = office.cli("run", "--once")
    assert code == 1, "Bokio refused the payment"
    assert "1 command(s) failed" in err
    assert office.bokio(invoice.number) == ([], [])
    engine = make_engine(office.database_url)
    with session_factory(engine)() as session:
        failed = session.scalars(select(Allocation).where(Allocation.invoice_number == invoice.number)).one()
    engine.dispose()
    assert failed.push_state == "failed"

    code, out, err = office.cli("undo", str(failed.id))

    assert code == 1
    assert out == ""
    assert f"allocation {failed.id} booked nothing in Bokio" in err
    assert "syncd outbox retry" in err
    assert office.count(OutboxCommand, OutboxCommand.kind == "delete_payment") == 0


def test_a_person_assigns_a_stranger_s_payment_with_a_bank_fee_and_can_undo_it(office: Office) -> None:
    by_size = sorted(office.invoices(), key=lambda i: i.outstanding_sek)
    small, target = by_size[0], by_size[-1]
    fee = Decimal("25.00")
    received = target.outstanding_sek - fee
    office.import_payments("camt054_stranger.xml", office.sandbox.today(), _stranger(received))
    office.run_once()
    line = _line_of(office, STRANGER, received)
    assert line["file"] == "camt054_stranger.xml"
    assert line["references"] == []

    assert small.outstanding_sek < received
    code, _, err = office.cli("review", "assign", str(line["id"]), small.number)
    assert code == 1
    assert f"invoice {small.number} has {_sv(small.outstanding_sek)} SEK outstanding" in err
    assert f"Book part with --amount {_sv(small.outstanding_sek)}, or add --overpay" in err
    code, _, err = office.cli(
        "review", "assign", str(line["id"]), target.number, "--amount", str(received + 1)
    )
    assert code == 1
    assert "not yet booked" in err

    dry = office.json(
        "review", "assign", str(line["id"]), target.number, "--fee", "bankFee", "25,00", "--dry-run"
    )
    assert dry["dry_run"] is True
    assert dry["allocation"] is None
    assert dry["cash"] == str(received)
    assert dry["consumed"] == str(target.outstanding_sek)
    assert dry["settlements"] == [{"type": "bankFee", "amount": "25.00", "currency": "SEK"}]
    assert office.allocations_of(line["id"]) == []
    assert office.count(OutboxCommand, OutboxCommand.allocation_id.is_(None)) == 0

    done = office.json("review", "assign", str(line["id"]), target.number, "--fee", "bankFee", "25.00")
    assert done["by"] == "karin", "the person behind sudo, when no --by is given"
    assert done["kind"] == "bank_fee"
    office.run_once()
    payments, settlements = office.bokio(target.number)
    assert [p["sumBaseCurrency"] for p in payments] == [received]
    assert all(p["journalEntryRef"] for p in payments)
    assert [(s["type"], s["invoiceSettlementDetails"]["sumBaseCurrency"]) for s in settlements] == [
        ("bankFee", fee)
    ]
    assert line["id"] not in office.unmatched()

    office.json("undo", str(done["allocation"]))
    office.run_once()
    assert office.bokio(target.number) == ([], [])
    back = office.unmatched()[line["id"]]
    assert any("undone on" in note and "by karin" in note for note in back["notes"])


def test_a_dismissed_line_is_neither_listed_nor_matched_until_it_is_brought_back(office: Office) -> None:
    invoice = office.invoices()[0]
    office.import_payments("camt054_loan.xml", office.sandbox.today(), _exact(invoice))
    listed = office.unmatched()
    (line_id,) = listed
    assert listed[line_id]["references"] == [invoice.ocr]

    dry = office.json("review", "dismiss", str(line_id), "--reason", "owner's loan", "--dry-run")
    assert dry["dry_run"] is True
    assert line_id in office.unmatched()
    office.json("review", "dismiss", str(line_id), "--reason", "owner's loan", "--by", "Per")
    assert office.unmatched() == {}
    assert office.unmatched("--dismissed")[line_id]["dismissed"]["reason"] == "owner's loan"
    office.run_once()
    assert office.allocations_of(line_id) == []
    assert office.bokio(invoice.number) == ([], [])
    assert office.unmatched_in_status() == 0
    code, _, err = office.cli("review", "assign", str(line_id), invoice.number)
    assert code == 1
    assert f"syncd review undismiss {line_id}" in err

    office.json("review", "undismiss", str(line_id), "--by", "Per")
    back = office.unmatched()[line_id]
    assert any(
        "dismissed on" in n and "(owner's loan), brought back on" in n and "by Per" in n
        for n in back["notes"]
    )
    office.run_once()
    assert [p["sumBaseCurrency"] for p in office.bokio(invoice.number)[0]] == [invoice.outstanding_sek]


def test_a_sek_payment_of_a_euro_invoice_is_assigned_only_with_a_currency_settlement(office: Office) -> None:
    euro = office.invoices("EUR")[0]
    difference = Decimal("12.50")
    received = euro.outstanding_sek - difference
    office.import_payments("camt054_euro.xml", office.sandbox.today(), _stranger(received))
    office.run_once()
    line = _line_of(office, STRANGER, received)

    code, _, err = office.cli("review", "assign", str(line["id"]), euro.number)
    assert code == 1
    assert f"invoice {euro.number} is in EUR" in err
    assert f"add --fee currency {_sv(difference)}" in err
    code, _, err = office.cli("review", "assign", str(line["id"]), euro.number, "--fee", "bankFee", "12.50")
    assert code == 1
    assert "only a currency settlement goes with a SEK payment" in err

    done = office.json("review", "assign", str(line["id"]), euro.number, "--fee", "currency", "12,50")
    assert (done["kind"], done["amount_sek"], done["consumed"]) == (
        "currency",
        str(received),
        str(euro.outstanding),
    )
    office.run_once()
    payments, settlements = office.bokio(euro.number)
    assert [p["sumBaseCurrency"] for p in payments] == [received]
    assert [(s["type"], s["invoiceSettlementDetails"]["sumBaseCurrency"]) for s in settlements] == [
        ("currency", difference)
    ]
    with office.sandbox.lock:
        books = office.sandbox.books(office.demo.id)
        assert books.remaining(payments[0]["invoiceId"]) == 0


def test_money_out_of_the_account_cannot_be_assigned_to_an_invoice(office: Office) -> None:
    invoice = office.invoices()[0]
    path = office.folder / "camt054_debit.xml"
    content = camt054(
        BankDay(office.sandbox.today(), (_stranger(Decimal("300.00")),), "", ()), office.demo.creditor
    )
    path.write_bytes(content.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>DBIT</CdtDbtInd>"))
    code, _, err = office.cli("import", str(path))
    assert code == 0, err
    assert office.unmatched() == {}, "money out is not unmatched income"
    engine = make_engine(office.database_url)
    with session_factory(engine)() as session:
        (debit,) = session.scalars(select(BankTransaction.id).where(BankTransaction.direction == "debit"))
    engine.dispose()

    code, _, err = office.cli("review", "assign", str(debit), invoice.number, "--dry-run")

    assert code == 1
    assert f"bank line {debit} is a debit" in err
    assert f"syncd review dismiss {debit} --reason refund" in err
    code, _, err = office.cli("review", "assign", "99999", invoice.number)
    assert code == 1
    assert "no bank line '99999'" in err
    assert "syncd review unmatched" in err


def test_undoing_a_proposal_still_waiting_for_review_says_nothing_was_booked(office: Office) -> None:
    invoice = office.invoices()[0]
    over = Payment(
        Scenario.EXACT_OCR,
        invoice.outstanding_sek + 100,
        invoice.customer,
        (invoice.number,),
        reference=invoice.ocr,
    )
    office.import_payments("camt054_over.xml", office.sandbox.today(), over)
    office.run_once()
    (proposal,) = office.json("review", "list")["proposals"]
    waiting = proposal["allocations"][0]["id"]

    code, out, err = office.cli("undo", str(waiting), "--dry-run")

    assert code == 1
    assert out == ""
    assert f"allocation {waiting} booked nothing in Bokio: it is still waiting for review" in err
    assert f"syncd review reject {waiting}" in err
    assert office.allocations_of(proposal["bank_line"]["id"]) == [(waiting, invoice.number, "proposed")]


def test_part_of_a_line_is_assigned_and_the_rest_stays_unmatched_for_another_invoice(office: Office) -> None:
    first, second = office.invoices()[:2]
    total = first.outstanding_sek + second.outstanding_sek
    office.import_payments("camt054_two.xml", office.sandbox.today(), _stranger(total))
    office.run_once()
    line = _line_of(office, STRANGER, total)

    office.json("review", "assign", str(line["id"]), first.number, "--amount", _sv(first.outstanding_sek))
    rest = office.unmatched()[line["id"]]
    assert (rest["amount"], rest["unallocated"]) == (str(total), str(second.outstanding_sek))
    office.json("review", "assign", str(line["id"]), second.number)
    assert line["id"] not in office.unmatched()
    office.run_once()
    assert [p["sumBaseCurrency"] for p in office.bokio(first.number)[0]] == [first.outstanding_sek]
    assert [p["sumBaseCurrency"] for p in office.bokio(second.number)[0]] == [second.outstanding_sek]
    code, _, err = office.cli("review", "assign", str(line["id"]), second.number)
    assert code == 1
    assert "is fully booked already" in err


def test_assigning_waits_for_a_match_run_in_progress(office: Office) -> None:
    office.import_payments("camt054_busy.xml", office.sandbox.today(), _stranger(Decimal("400.00")))
    line = _line_of(office, STRANGER, Decimal("400.00"))
    engine = make_engine(office.database_url)
    try:
        with company_job_lock(engine, office.demo.id, "match") as held:
            assert held
            code, _, err = office.cli("review", "dismiss", str(line["id"]), "--reason", "loan")
    finally:
        engine.dispose()
    assert code == 1
    assert "is being matched right now" in err
    assert line["id"] in office.unmatched()


def test_a_person_may_book_an_overpayment_and_a_psp_fee_when_they_say_so(office: Office) -> None:
    over_invoice, fee_invoice = office.invoices()[:2]
    too_much = over_invoice.outstanding_sek + Decimal("50.00")
    fee = Decimal("30.00")
    net = fee_invoice.outstanding_sek - fee
    office.import_payments("camt054_extra.xml", office.sandbox.today(), _stranger(too_much), _stranger(net))
    office.run_once()
    over_line, fee_line = _line_of(office, STRANGER, too_much), _line_of(office, STRANGER, net)

    code, _, err = office.cli("review", "assign", str(over_line["id"]), over_invoice.number)
    assert code == 1
    assert "would pay 50,00 SEK too much" in err
    overpaid = office.json("review", "assign", str(over_line["id"]), over_invoice.number, "--overpay")
    assert (overpaid["kind"], overpaid["overpayment"]) == ("overpayment", True)
    code, _, err = office.cli(
        "review", "assign", str(fee_line["id"]), fee_invoice.number, "--fee", "paymentServiceFee", "30"
    )
    assert code == 1
    assert "add --vat-scheme eu" in err
    office.json(
        "review",
        "assign",
        str(fee_line["id"]),
        fee_invoice.number,
        "--fee",
        "paymentServiceFee",
        "30",
        "--vat-scheme",
        "eu",
    )
    office.run_once()

    assert [p["sumBaseCurrency"] for p in office.bokio(over_invoice.number)[0]] == [too_much]
    payments, settlements = office.bokio(fee_invoice.number)
    assert [p["sumBaseCurrency"] for p in payments] == [net]
    assert [(s["type"], s["invoiceSettlementDetails"]) for s in settlements] == [
        (
            "paymentServiceFee",
            {"date": str(office.sandbox.today()), "sumBaseCurrency": fee, "vatScheme": "eu"},
        )
    ]
    with office.sandbox.lock:
        company = office.sandbox.companies[office.demo.id]
        statuses = {
            inv["invoiceNumber"]: office.sandbox.books(office.demo.id).view(inv)["status"]
            for inv in company.invoices.values()
            if inv.get("invoiceNumber") in {over_invoice.number, fee_invoice.number}
        }
    assert statuses == {over_invoice.number: "overPaid", fee_invoice.number: "paid"}
