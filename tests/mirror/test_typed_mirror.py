"""The mirror from typed models: columns, content hashes, moving paid amount and status in place,
derived amounts, and waking the commands a cleared pause parked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from syncd.bokio import models as bm
from syncd.mirror import mapping, pauses, repo
from syncd.mirror.derive import derive, refresh_derived
from syncd.mirror.tables import Invoice, InvoicePayment
from syncd.outbox.tables import OutboxCommand
from syncd.outbox.wake import wake_parked
from tests.conftest import Database

COMPANY = "c0ffee00-0000-4000-8000-000000000001"
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def invoice(**overrides: Any) -> bm.Invoice:
    """A published 10 000 + 25 % VAT invoice as the client hands it over (net reading of totals)."""
    payload: dict[str, Any] = {
        "id": "inv-1",
        "type": "invoice",
        "customerRef": {"id": "cust-1", "name": "Bergström Bygg AB"},
        "invoiceNumber": "1042",
        "paymentReference": "10424",
        "currency": "SEK",
        "currencyRate": Decimal(1),
        "totalAmount": Decimal("10000.00"),
        "totalTax": Decimal("2500.00"),
        "paidAmount": Decimal(0),
        "status": "published",
        "invoiceDate": "2026-11-02",
        "dueDate": "2026-12-02",
        "lineItems": [
            {
                "itemType": "salesItem",
                "quantity": Decimal(10),
                "unitPrice": Decimal(1000),
                "taxRate": Decimal(25),
            }
        ],
        "creditNoteRefs": [],
    }
    payload.update(overrides)
    return bm.Invoice.model_validate(payload)


def credit_note(status: str, amount: str) -> bm.CreditNote:
    return bm.CreditNote.model_validate(
        {
            "id": f"cn-{status}",
            "invoiceRef": {"id": "inv-1"},
            "status": status,
            "totalAmount": Decimal(amount),
            "totalTax": Decimal(amount) / 4,
            "lineItems": [
                {
                    "itemType": "salesItem",
                    "quantity": Decimal(1),
                    "unitPrice": Decimal(amount),
                    "taxRate": Decimal(25),
                }
            ],
        }
    )


def _stored(database: Database) -> Invoice:
    with database.sessions() as session:
        return session.scalars(select(Invoice)).one()


def test_an_invoice_moved_in_place_has_the_hash_a_fresh_read_showing_the_same_would_give(
    database: Database,
) -> None:
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, COMPANY).id
        repo.upsert(session, Invoice, pk, [invoice()])
        row = session.scalars(select(Invoice)).one()
        repo.set_paid(session, row, Decimal("12500.00"), "paid")
        fresh = repo.upsert(session, Invoice, pk, [invoice(paidAmount=Decimal("12500"), status="paid")])
    stored = _stored(database)
    assert (fresh.written, fresh.unchanged) == (0, 1)
    assert (stored.paid_amount, stored.status) == (Decimal("12500.00"), "paid")
    assert stored.raw["paidAmount"] == 0  # raw keeps what Bokio last sent


def test_a_fresh_read_that_disagrees_with_the_move_is_a_change(database: Database) -> None:
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, COMPANY).id
        repo.upsert(session, Invoice, pk, [invoice()])
        repo.set_paid(session, session.scalars(select(Invoice)).one(), Decimal("12500.00"), "paid")
        fresh = repo.upsert(session, Invoice, pk, [invoice(paidAmount=Decimal(5000), status="underPaid")])
    assert fresh.updated == 1
    assert (_stored(database).paid_amount, _stored(database).status) == (Decimal(5000), "underPaid")


def test_the_mirror_replays_an_invoice_with_its_own_paid_amount_and_status(database: Database) -> None:
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, COMPANY).id
        repo.upsert(session, Invoice, pk, [invoice()])
        repo.set_paid(session, session.scalars(select(Invoice)).one(), Decimal(5000), "underPaid")
        mirrored = repo.mirrored_invoices(session, pk, ["inv-1", "unknown"])
    assert list(mirrored) == ["inv-1"]
    replayed = mirrored["inv-1"]
    assert (replayed.invoice.paid_amount, replayed.invoice.status) == (Decimal(5000), "underPaid")
    assert replayed.content_hash == mapping.content_hash(replayed.invoice)


def test_payments_listed_under_an_invoice_take_its_id_when_they_do_not_name_it(database: Database) -> None:
    payment = bm.InvoicePayment.model_validate(
        {"id": "pay-1", "date": "2026-11-20", "sumBaseCurrency": Decimal("12500.00")}
    )
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, COMPANY).id
        repo.upsert(session, InvoicePayment, pk, [payment], invoice_id="inv-1")
        row = session.scalars(select(InvoicePayment)).one()
        assert (row.invoice_bokio_id, row.sum_base_currency, row.date) == (
            "inv-1",
            Decimal("12500.00"),
            dt.date(2026, 11, 20),
        )


def test_a_settlement_maps_its_details_under_either_name_bokio_uses() -> None:
    details = {"date": "2026-11-20", "sumBaseCurrency": Decimal("-12.50")}
    schema = bm.InvoiceSettlement.model_validate(
        {"id": "s", "invoiceId": "inv-1", "type": "currency", "invoiceSettlementDetails": details}
    )
    example = bm.InvoiceSettlement.model_validate(
        {"id": "s", "invoiceId": "inv-1", "type": "currency", "settlementDetails": details}
    )
    assert mapping.settlement_values(schema) == mapping.settlement_values(example)
    assert mapping.settlement_values(example)["sum_base_currency"] == Decimal("-12.50")


def test_only_published_credit_notes_reduce_what_is_outstanding() -> None:
    derived = derive(
        invoice(paidAmount=Decimal(2500)),
        credit_notes=[credit_note("published", "2000"), credit_note("draft", "4000")],
    )
    assert (derived.gross_amount, derived.outstanding, derived.amount_problem) == (
        Decimal("12500.00"),
        Decimal("7500.00"),
        None,
    )


def test_totals_that_fit_no_reading_of_the_lines_leave_the_amounts_empty(database: Database) -> None:
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, COMPANY).id
        repo.upsert(session, Invoice, pk, [invoice(totalAmount=Decimal(9000))])
        problems = refresh_derived(session, pk, ["inv-1"])
    stored = _stored(database)
    assert (stored.gross_amount, stored.outstanding) == (None, None)
    assert problems == [f"invoice inv-1: {stored.amount_problem}"]
    assert "fits neither" in str(stored.amount_problem)


def test_clearing_a_pause_early_makes_the_commands_it_parked_due_and_leaves_later_ones(
    database: Database,
) -> None:
    until = NOW + dt.timedelta(hours=1)
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, COMPANY).id
        pauses.set_pause(session, pk, pauses.Pause(pauses.PauseKind.QUOTA, "quota", until, NOW))
        for key, due in (("parked", until), ("later", until + dt.timedelta(hours=1))):
            session.add(
                OutboxCommand(company_id=pk, kind="create_payment", idempotency_key=key, next_attempt_at=due)
            )
        ended = pauses.clear(session, pk, why="test")
        wake_parked(session, pk, ended, now=NOW)
    with database.sessions() as session:
        due = dict(
            session.execute(select(OutboxCommand.idempotency_key, OutboxCommand.next_attempt_at)).all()
        )
        company_pause = pauses.lookup(session, COMPANY, NOW)
    assert ended is not None
    assert ended.until == until
    assert company_pause is None
    assert _aware(due["parked"]) == NOW
    assert _aware(due["later"]) == until + dt.timedelta(hours=1)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
