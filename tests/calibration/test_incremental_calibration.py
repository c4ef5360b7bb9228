"""Calibration kept by the match stage weighs only the invoices that changed, and says what a full
read of the company's history says (:func:`~syncd.calibration.evidence.weigh`, the oracle).

Each test builds a small history in the mirror the way the pull writes it (:mod:`syncd.mirror.repo`,
:mod:`syncd.pull.store`), keeps a calibration, changes something, keeps again, and compares the
kept answer, and a reader's answer before it is kept, with the oracle. Both databases.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from syncd.bokio import models as bm
from syncd.calibration import evidence
from syncd.calibration.evidence import calibrate, weigh
from syncd.calibration.record_order import afresh, record_order
from syncd.calibration.tables import InvoiceEvidence, InvoiceRecordOrder
from syncd.db import utcnow
from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.tables import Invoice, InvoicePayment, InvoiceSettlement
from syncd.pull import store
from tests.conftest import Database
from tests.foundation.test_mirror_upsert import bokio_payload

READINGS = im.DEFAULT_READINGS
OTHER = im.Readings(paid_includes_settlements=False)
DAY = "2026-11-02"


def _invoice(k: int, paid: str, *, status: str = "paid", **extra: Any) -> bm.Invoice:
    return bm.Invoice.model_validate(
        bokio_payload(
            id=f"inv-{k}", invoiceNumber=str(1000 + k), paidAmount=Decimal(paid), status=status, **extra
        )
    )


def _payment(k: int, invoice: int, amount: str) -> bm.InvoicePayment:
    return bm.InvoicePayment.model_validate(
        {"id": f"pay-{k}", "invoiceId": f"inv-{invoice}", "date": DAY, "sumBaseCurrency": Decimal(amount)}
    )


def _settlement(k: int, invoice: int, kind: str, amount: str) -> bm.InvoiceSettlement:
    return bm.InvoiceSettlement.model_validate(
        {
            "id": f"set-{k}",
            "invoiceId": f"inv-{invoice}",
            "type": kind,
            "invoiceSettlementDetails": {"date": DAY, "sumBaseCurrency": Decimal(amount)},
        }
    )


@dataclass
class Books:
    """One company's mirror, written as the pull writes it."""

    database: Database
    pk: int

    def write(self, change: Callable[[Session], Any]) -> None:
        with self.database.sessions.begin() as session:
            change(session)

    def upsert(self, model: repo.MirrorModel, *records: Any) -> None:
        self.write(lambda session: repo.upsert(session, model, self.pk, list(records)))

    def keep(self, readings: im.Readings = READINGS) -> dict[str, Any]:
        """What the match stage keeps, in its own transaction."""
        with self.database.sessions.begin() as session:
            return calibrate(session, self.pk, readings, keep=True).to_json()

    def read(self, readings: im.Readings = READINGS) -> dict[str, Any]:
        """What doctor, status and ``syncd calibrate`` see (they keep nothing)."""
        with self.database.sessions() as session:
            return calibrate(session, self.pk, readings).to_json()

    def oracle(self, readings: im.Readings = READINGS) -> dict[str, Any]:
        with self.database.sessions() as session:
            return weigh(session, self.pk, readings).to_json()

    def agrees(self, readings: im.Readings = READINGS) -> dict[str, Any]:
        """Reader, keeper and oracle say the same, to the order of examples and suspects."""
        expected = _text(self.oracle(readings))
        assert _text(self.read(readings)) == expected
        kept = self.keep(readings)
        assert _text(kept) == expected
        assert _text(self.read(readings)) == expected  # from what was kept
        return kept


def _text(document: dict[str, Any]) -> str:
    """The document as text: key order, example order and suspect order count too."""
    return json.dumps(document, default=str)


@pytest.fixture
def books(database: Database) -> Books:
    """Eight invoices with payments and settlements under several readings, calibration kept."""
    with database.sessions.begin() as session:
        pk = repo.ensure_company(session, "c0ffee00-0000-4000-8000-00000000ca1b", "Kalibrering AB").id
    found = Books(database, pk)
    found.upsert(
        Invoice,
        _invoice(1, "12500.00"),
        _invoice(2, "1250.00"),  # a payment of 1240 and a bank fee of 10
        _invoice(3, "1240.00"),  # the same, but paidAmount leaves the settlement out
        _invoice(4, "1250.00"),  # a currency settlement
        _invoice(5, "125.00", currency="EUR", currencyRate=Decimal("11.4520")),  # paid in kronor
        _invoice(6, "500.00", status="underPaid"),
        _invoice(7, "0", status="published"),  # nothing on it: tells nothing
        _invoice(8, "999.00"),  # fits no reading: a suspect
    )
    found.upsert(
        InvoicePayment,
        _payment(1, 1, "12500.00"),
        _payment(2, 2, "1240.00"),
        _payment(3, 3, "1240.00"),
        _payment(4, 4, "1237.50"),
        _payment(5, 5, "1431.50"),
        _payment(6, 6, "500.00"),
        _payment(8, 8, "1000.00"),
    )
    found.upsert(
        InvoiceSettlement,
        _settlement(2, 2, "bankFee", "10.00"),
        _settlement(3, 3, "bankFee", "10.00"),
        _settlement(4, 4, "currency", "12.50"),
    )
    found.agrees()
    return found


def _weighing(books: Books, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The invoices the match stage's calibration weighs (bokio ids); then reader and oracle agree."""
    seen: set[str] = set()
    real = evidence.outcome

    def counting(invoice_id: int, bokio_id: str, facts: Any, configured: Any) -> Any:
        seen.add(bokio_id)
        return real(invoice_id, bokio_id, facts, configured)

    with monkeypatch.context() as patch:
        patch.setattr(evidence, "outcome", counting)
        books.keep()
    books.agrees()
    return seen


def test_a_kept_calibration_equals_a_full_read_of_the_history(books: Books) -> None:
    kept = books.agrees()

    assert kept["invoices"] == 7
    assert [s["invoice"] for s in kept["suspects"]] == ["1003", "1005", "1008"]
    with books.database.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(InvoiceEvidence))
    assert rows == 7


def test_a_new_invoice_with_a_payment_is_the_only_one_weighed(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    books.upsert(Invoice, _invoice(9, "700.00"))
    books.upsert(InvoicePayment, _payment(9, 9, "700.00"))

    assert _weighing(books, monkeypatch) == {"inv-9"}
    assert books.keep()["invoices"] == 8


def test_a_payment_added_to_an_invoice_is_seen(books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    books.upsert(InvoicePayment, _payment(10, 8, "-1.00"))  # 999 now follows from its payments

    assert _weighing(books, monkeypatch) == {"inv-8"}
    assert [s["invoice"] for s in books.keep()["suspects"]] == ["1003", "1005"]


def test_a_payment_bokio_no_longer_lists_is_seen(books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    books.write(
        lambda session: store.soft_delete_children(
            session, InvoicePayment, books.pk, "inv-6", keep=set(), now=utcnow()
        )
    )

    assert _weighing(books, monkeypatch) == {"inv-6"}
    assert "1006" in [s["invoice"] for s in books.keep()["suspects"]]


def test_a_settlement_and_an_edited_invoice_are_seen(books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    books.upsert(InvoiceSettlement, _settlement(11, 1, "bankFee", "5.00"))
    books.upsert(Invoice, _invoice(1, "12505.00"), _invoice(2, "1240.00"))

    assert _weighing(books, monkeypatch) == {"inv-1", "inv-2"}


def test_soft_deleted_invoices_leave_the_evidence(books: Books) -> None:
    books.write(
        lambda session: repo.soft_delete_missing(
            session, Invoice, books.pk, {f"inv-{k}" for k in (1, 2, 4, 5, 6, 7)}, now=utcnow()
        )
    )

    kept = books.agrees()

    assert kept["invoices"] == 5
    assert "1008" not in [s["invoice"] for s in kept["suspects"]]


def test_a_deleted_invoice_mirrored_again_counts_again(books: Books) -> None:
    books.write(lambda session: store.soft_delete_ids(session, Invoice, books.pk, ["inv-2"], utcnow()))
    assert books.agrees()["invoices"] == 6

    books.upsert(Invoice, _invoice(2, "1250.00"))

    assert books.agrees()["invoices"] == 7


def test_syncd_s_own_reflection_of_a_push_is_not_evidence(books: Books) -> None:
    def reflect(session: Session) -> None:
        row = session.scalars(select(Invoice).where(Invoice.bokio_id == "inv-8")).one()
        repo.set_paid(session, row, Decimal("1000.00"), "paid")

    books.write(reflect)

    assert books.agrees()["invoices"] == 6


def test_readings_changed_in_the_configuration_are_weighed_anew_and_back(books: Books) -> None:
    other = books.agrees(OTHER)
    books.upsert(InvoicePayment, _payment(12, 7, "10.00"))

    assert books.agrees(OTHER) != other
    books.agrees()


def test_a_soft_delete_written_without_a_stamp_is_still_seen(books: Books) -> None:
    books.write(  # an older syncd, or a hand-made fix: no stamp, no generation
        lambda session: session.execute(
            update(InvoicePayment).where(InvoicePayment.bokio_id == "pay-6").values(deleted_at=utcnow())
        )
    )

    kept = books.agrees()

    assert "1006" in [s["invoice"] for s in kept["suspects"]]


def test_a_row_inserted_without_a_stamp_is_weighed_every_time(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = _payment(13, 3, "10.00")
    books.write(
        lambda session: session.execute(
            insert(InvoicePayment).values(
                company_id=books.pk,
                bokio_id=payment.id,
                invoice_bokio_id="inv-3",
                raw={},
                content_hash="x",
                date=payment.date,
                sum_base_currency=payment.sum_base_currency,
            )
        )
    )

    assert _weighing(books, monkeypatch) == {"inv-3"}
    assert _weighing(books, monkeypatch) == {"inv-3"}  # again: nothing says it was seen


def test_many_changes_in_one_cycle_keep_the_examples_the_full_read_shows(books: Books) -> None:
    books.upsert(Invoice, *(_invoice(k, "100.00") for k in range(20, 40)))
    books.upsert(InvoicePayment, *(_payment(k, k, "90.00") for k in range(20, 40)))
    books.upsert(InvoiceSettlement, *(_settlement(k, k, "bankFee", "10.00") for k in range(20, 40)))
    books.agrees()

    books.upsert(Invoice, *(_invoice(k, "90.00") for k in range(20, 30)))  # settlements left out
    books.upsert(InvoicePayment, *(_payment(k, k, "100.00") for k in range(30, 35)))
    books.write(
        lambda session: store.soft_delete_ids(session, Invoice, books.pk, ["inv-1", "inv-2"], utcnow())
    )

    kept = books.agrees()

    (includes,) = [rule for rule in kept["rules"] if rule["rule"] == "paid_includes_settlements"]
    assert len(includes["examples"]["agree"]) == len(includes["examples"]["disagree"]) == evidence.EXAMPLES


def _recorded(k: int, invoice: int) -> bm.InvoicePayment:
    payment = _payment(k, invoice, "100.00")
    return bm.InvoicePayment.model_validate({**payment.raw, "journalEntryRef": {"id": f"je-pay-{k}"}})


def _order(books: Books) -> tuple[int, int, dict[str, tuple[str, ...]]]:
    """What a person accepting a proposal reads (kept rows untouched), then what the match stage
    keeps: both equal to a full read."""
    with books.database.sessions.begin() as session:
        before = _kept_rows(session, books.pk)
        read = record_order(session, books.pk, on=dt.date(2026, 11, 2))
        assert _kept_rows(session, books.pk) == before
    with books.database.sessions.begin() as session:
        found = record_order(session, books.pk, on=dt.date(2026, 11, 2), keep=True)
        kept = (found.invoice_first, found.payment_only, found.examples)
    with books.database.sessions() as session:
        assert kept == afresh(session, books.pk)
    assert (read.invoice_first, read.payment_only) == kept[:2]
    return kept


def _kept_rows(session: Session, company_id: int) -> tuple[Any, ...]:
    rows = session.execute(
        select(InvoiceRecordOrder.invoice_id, InvoiceRecordOrder.invoice_first)
        .where(InvoiceRecordOrder.company_id == company_id)
        .order_by(InvoiceRecordOrder.invoice_id)
    ).all()
    digest = repo.kept_digest(session, company_id, "record_order")
    return tuple(rows), None if digest is None else (
        digest.generation,
        json.dumps(digest.document, sort_keys=True),
    )


def test_the_kept_record_order_follows_recorded_payments_invoices_and_deletes(books: Books) -> None:
    recorded = _invoice(30, "100.00", journalEntryRef={"id": "je-30"})
    books.upsert(Invoice, recorded)
    books.upsert(InvoicePayment, _recorded(30, 30), _recorded(31, 1), _recorded(32, 2), _recorded(33, 3))
    assert _order(books) == (1, 3, {"payment_only": ("1001", "1002", "1003"), "invoice_first": ("1030",)})

    books.write(  # the outbox learned the journal entry of an invoice it recorded
        lambda session: repo.changed(session, Invoice, books.pk, ["inv-1"], journal_entry_id="je-1")
    )
    books.write(
        lambda session: store.soft_delete_children(
            session, InvoicePayment, books.pk, "inv-2", keep=set(), now=utcnow()
        )
    )
    assert _order(books) == (2, 1, {"payment_only": ("1003",), "invoice_first": ("1001", "1030")})

    books.write(lambda session: store.soft_delete_ids(session, Invoice, books.pk, ["inv-3"], utcnow()))
    books.write(  # without a stamp
        lambda session: session.execute(
            update(Invoice).where(Invoice.bokio_id == "inv-30").values(deleted_at=utcnow())
        )
    )
    assert _order(books) == (1, 0, {"invoice_first": ("1001",)})
