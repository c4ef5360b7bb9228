"""Acceptance 4 of the foundation: idempotent upserts, content hashes, exact money on both databases."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from syncd import jsonutil
from syncd.bokio import models as bm
from syncd.db import utcnow
from syncd.mirror import repo
from syncd.mirror.tables import Invoice, RequestLedger
from tests.conftest import Database


def bokio_payload(**overrides: Any) -> dict[str, Any]:
    """An invoice as Bokio returns it, parsed the way syncd parses JSON (Decimals)."""
    text = """{
      "id": "0c2f6c55-3c7e-4a53-9e0b-2d1f5a0e7b11", "type": "invoice",
      "customerRef": {"id": "55c899c5-82b2-47fa-9c51-e35fc9b26443", "name": "Bergström Bygg AB"},
      "invoiceNumber": "1042", "paymentReference": "10424", "currency": "SEK", "currencyRate": 1,
      "totalAmount": 12500.00, "totalTax": 2500.00, "paidAmount": 0, "status": "published",
      "invoiceDate": "2026-11-02", "dueDate": "2026-12-02", "publishedDateTime": "2026-11-02T08:15:00Z",
      "lineItems": [{"itemType": "salesItem", "description": "Takarbete", "productType": "services",
                     "quantity": 10, "unitPrice": 1000.00, "taxRate": 25}],
      "journalEntryRef": null, "creditNoteRefs": [], "metadata": {}
    }"""
    invoice: dict[str, Any] = jsonutil.loads(text)
    invoice.update(overrides)
    return invoice


def bokio_invoice(**overrides: Any) -> bm.Invoice:
    """The typed invoice the client would hand the mirror for that payload."""
    return bm.Invoice.model_validate(bokio_payload(**overrides))


def test_upserting_the_same_invoice_twice_leaves_one_row(database: Database) -> None:
    with database.sessions.begin() as session:
        company = repo.ensure_company(session, "c0ffee00-0000-4000-8000-000000000001", "Demo AB")
        first = repo.upsert(session, Invoice, company.id, [bokio_invoice()])
        second = repo.upsert(session, Invoice, company.id, [bokio_invoice()])
        count = session.scalar(select(func.count()).select_from(Invoice))
    assert (first.inserted, first.updated) == (1, 0)
    assert (second.written, second.unchanged) == (0, 1)
    assert count == 1


def test_reordered_keys_and_trailing_zeros_are_not_a_change(database: Database) -> None:
    original = bokio_payload()
    reordered = dict(reversed(list(copy.deepcopy(original).items())))
    reordered["totalAmount"] = Decimal("12500")
    with database.sessions.begin() as session:
        company = repo.ensure_company(session, "c0ffee00-0000-4000-8000-000000000001")
        repo.upsert(session, Invoice, company.id, [bm.Invoice.model_validate(original)])
        again = repo.upsert(session, Invoice, company.id, [bm.Invoice.model_validate(reordered)])
    assert again.written == 0


def test_a_changed_payload_changes_the_hash_and_the_typed_columns(database: Database) -> None:
    with database.sessions.begin() as session:
        company = repo.ensure_company(session, "c0ffee00-0000-4000-8000-000000000001")
        repo.upsert(session, Invoice, company.id, [bokio_invoice()])
        before = session.scalars(select(Invoice)).one().content_hash
        result = repo.upsert(
            session, Invoice, company.id, [bokio_invoice(paidAmount=Decimal("5000.00"), status="underPaid")]
        )
    with database.sessions() as session:
        row = session.scalars(select(Invoice)).one()
    assert result.updated == 1
    assert row.content_hash != before
    assert row.status == "underPaid"
    assert row.paid_amount == Decimal("5000.00")


def test_money_round_trips_exactly_through_columns_and_raw_json(database: Database) -> None:
    amount = Decimal("0.1") + Decimal("0.2")
    invoice = bokio_invoice(paidAmount=amount, totalAmount=Decimal("1234567890.12"))
    with database.sessions.begin() as session:
        company = repo.ensure_company(session, "c0ffee00-0000-4000-8000-000000000001")
        repo.upsert(session, Invoice, company.id, [invoice])
    with database.sessions() as session:
        row = session.scalars(select(Invoice)).one()
    assert row.paid_amount == Decimal("0.3")
    assert str(row.paid_amount) == "0.3"
    assert row.total_amount == Decimal("1234567890.12")
    assert row.raw["paidAmount"] == Decimal("0.3")
    assert isinstance(row.raw["totalTax"], Decimal)


def test_companies_never_share_rows_even_with_the_same_bokio_id(database: Database) -> None:
    with database.sessions.begin() as session:
        a = repo.ensure_company(session, "c0ffee00-0000-4000-8000-00000000000a")
        b = repo.ensure_company(session, "c0ffee00-0000-4000-8000-00000000000b")
        repo.upsert(session, Invoice, a.id, [bokio_invoice()])
        repo.upsert(session, Invoice, b.id, [bokio_invoice(paidAmount=Decimal(1))])
        rows = session.scalars(select(Invoice).order_by(Invoice.company_id)).all()
    assert [r.paid_amount for r in rows] == [Decimal(0), Decimal(1)]


def test_a_completed_sweep_soft_deletes_what_vanished_and_a_reappearance_restores_it(
    database: Database,
) -> None:
    gone = bokio_invoice(id="11111111-1111-4111-8111-111111111111")
    with database.sessions.begin() as session:
        company = repo.ensure_company(session, "c0ffee00-0000-4000-8000-000000000001")
        repo.upsert(session, Invoice, company.id, [bokio_invoice(), gone])
        deleted = repo.soft_delete_missing(session, Invoice, company.id, {bokio_invoice().id}, now=utcnow())
        back = repo.upsert(session, Invoice, company.id, [gone])
        live = session.scalars(select(Invoice).where(Invoice.deleted_at.is_(None))).all()
    assert deleted == 1
    assert back.inserted == 1
    assert len(live) == 2


def test_every_bokio_call_lands_in_the_request_ledger_and_monthly_use_is_a_query(
    database: Database,
) -> None:
    from syncd.clock import month_bounds

    now = utcnow()
    with database.sessions.begin() as session:
        company = repo.ensure_company(session, "c0ffee00-0000-4000-8000-000000000001")
        for status in (200, 200, 429):
            repo.record_request(
                session, company_id=company.id, at=now, method="GET", path_template="/invoices", status=status
            )
    start, end = month_bounds(now)
    with database.sessions() as session:
        assert repo.requests_between(session, company.id, start, end) == 3
        assert session.scalar(select(func.count()).select_from(RequestLedger)) == 3
