"""Incremental pulls against the sandbox: no writes when nothing changed, change detection,
derived amounts, dry runs that call nothing, and the pusher's entry points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select

from syncd.mirror.tables import InvoicePayment, RequestLedger
from syncd.sandbox.seed import create_published_invoice, credit_fully, edit_customer, pay_invoice
from tests.pull.harness import (
    COMPANY,
    World,
    assert_everything_matches,
    assert_open_invoices_match,
    mirror_invoices,
)

LINE = {
    "itemType": "salesItem",
    "description": "Konsult",
    "productType": "services",
    "unitType": "hour",
    "quantity": Decimal(2),
    "unitPrice": Decimal(1000),
    "taxRate": Decimal(25),
}


def _updates(world: World) -> list[str]:
    statements: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if (
            statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
            or "ON CONFLICT" in statement
        ):
            statements.append(statement)

    event.listen(world.app.engine, "before_cursor_execute", listen)
    return statements


def test_a_second_pull_with_nothing_changed_writes_no_mirror_row(world: World) -> None:
    world.pull(full=True)
    world.pull()
    writes = _updates(world)
    report = world.pull()
    assert all(rows.written == 0 for rows in report.rows.values())
    mirror_tables = ("invoices", "invoice_payments", "invoice_settlements", "credit_notes", "customers")
    touched = [s for s in writes if any(f" {t} " in f" {s} " or f'"{t}"' in s for t in mirror_tables)]
    assert touched == []
    # only bookkeeping remains: the ledger's inserts and one sync_state stamp per stream
    assert all("request_ledger" in s or "sync_state" in s for s in writes)
    assert report.total_requests == report.requests["customers"] + report.requests["invoices"]


def test_every_request_lands_in_the_request_ledger(world: World) -> None:
    report = world.pull(full=True)
    with world.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RequestLedger)) == report.total_requests


def test_reference_data_costs_nothing_after_the_first_pull(world: World) -> None:
    first = world.pull()
    second = world.pull()
    assert {"company", "accounts", "fiscal_years", "tag_groups"} <= set(first.requests)
    assert set(second.requests) == {"customers", "invoices"}


def test_payments_are_read_only_for_invoices_whose_money_moved(world: World) -> None:
    world.pull(full=True)
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        open_id = next(
            i for i, inv in books.company.invoices.items() if books.view(inv)["status"] == "published"
        )
        pay_invoice(books, open_id, books.remaining(open_id), world.sandbox.today().isoformat())
    report = world.pull()
    assert report.requests.get("payments") == 1
    assert report.requests.get("settlements") == 1
    with world.app.sessions() as session:
        assert mirror_invoices(session)[open_id].status == "paid"
        assert mirror_invoices(session)[open_id].outstanding == 0
        assert_open_invoices_match(world.sandbox, session)


def test_an_open_invoice_paid_outside_the_window_is_read_back_by_id(world: World) -> None:
    world.pull(full=True)
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        customer = next(iter(books.company.customers))
        old = create_published_invoice(books, customer, [LINE], "2025-10-01")
        world.pull()
        pay_invoice(books, str(old["id"]), books.remaining(str(old["id"])), world.sandbox.today().isoformat())
    report = world.pull()
    assert report.requests["invoices"] >= 2  # open scan + GET by id (+ window)
    with world.app.sessions() as session:
        assert mirror_invoices(session)[str(old["id"])].status == "paid"


def test_credited_invoices_and_customer_edits_are_seen_incrementally(world: World) -> None:
    world.pull(full=True)
    world.clock.advance(3600)
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        target = next(
            i for i, inv in books.company.invoices.items() if books.view(inv)["status"] == "published"
        )
        credit_fully(books, target)
        customer = next(iter(books.company.customers))
        edit_customer(books, customer, name="Nytt Namn AB")
    world.clock.advance(60)
    report = world.pull()
    assert report.rows["customers"].updated == 1
    with world.app.sessions() as session:
        assert mirror_invoices(session)[target].status == "credited"
        assert mirror_invoices(session)[target].outstanding == 0
    world.pull(full=True)
    with world.app.sessions() as session:
        assert_everything_matches(world.sandbox, session)


def test_a_totals_misfit_is_a_problem_and_outstanding_stays_null(world: World) -> None:
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        target = next(
            i for i, inv in books.company.invoices.items() if books.view(inv)["status"] == "published"
        )
        books.company.invoices[target]["totalAmount"] += Decimal("7.00")
    report = world.pull()
    assert any(target in problem for problem in report.problems)
    with world.app.sessions() as session:
        row = mirror_invoices(session)[target]
        assert row.outstanding is None
        assert row.gross_amount is None
        assert row.amount_problem is not None
        assert "fits neither" in row.amount_problem


def test_a_dry_run_estimates_calls_without_calling_bokio(world: World) -> None:
    world.pull(full=True)
    before = len(world.sandbox.log)
    report = world.pull(dry_run=True)
    assert len(world.sandbox.log) == before
    assert report.planned
    assert sum(c.count for c in report.planned) >= 2
    full = world.pull(dry_run=True, full=True)
    assert any(call.path.endswith("/invoices") for call in full.planned)


def test_invoices_marked_dirty_by_the_pusher_get_their_payments_reread(world: World) -> None:
    world.pull(full=True)
    with world.sandbox.lock:
        books = world.sandbox.books(COMPANY)
        target = next(
            i for i, inv in books.company.invoices.items() if books.view(inv)["status"] == "published"
        )
        payment = pay_invoice(books, target, Decimal(100), world.sandbox.today().isoformat(), record=False)
    world.puller.refresh_invoices(world.company, [target])
    with world.sandbox.lock:
        world.sandbox.books(COMPANY).record_payment(target, str(payment["id"]))  # invoice unchanged
    world.puller.mark_dirty(world.company, [target])
    report = world.pull()
    assert report.requests.get("payments") == 1
    with world.app.sessions() as session:
        row = session.scalar(select(InvoicePayment).where(InvoicePayment.bokio_id == payment["id"]))
        assert row is not None
        assert row.journal_entry_id is not None
    assert world.pull().requests.get("payments") is None  # the mark is consumed
