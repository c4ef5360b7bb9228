"""camt files given as paths are streamed into the database in batches, with the same guarantees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.ingest import store
from syncd.ingest.importer import ImportStatus, import_file
from syncd.ingest.tables import BankFile, BankTransaction
from syncd.mirror.tables import Company
from tests.conftest import Database
from tests.ingest.builders import BG_TOTAL, COMPANY, Entry, Payment, Statement, bankgiro_notification, ocr
from tests.ingest.conftest import counts, files

OTHER_COMPANY = "0d9e8f7a-1b2c-4d3e-8f4a-5b6c7d8e9f00"
DAY = "2026-11-26"


def _entries(n: int) -> list[Entry]:
    """``n`` customer payments, then (at the end) the bankgiro batch credit and repeated refunds."""
    payments = [
        Entry(
            DAY,
            f"SWB{i:06d}",
            payment=Payment(f"{100 + i}.00", f"Kund {i} AB", f"E2E{i}", ocr=ocr(105000 + i)),
        )
        for i in range(n)
    ]
    # identical refunds without bank references: told apart only by occurrence, across batch edges
    refunds = [Entry(DAY, "", "129.00", text="ÅTERBETALNING KORTKÖP", credit=False) for _ in range(7)]
    batch = Entry(DAY, "SWB-BG-812", BG_TOTAL, batch_count=3, text="BG INBET 5050-1055 3 ST")
    return [*payments[: n // 2], *refunds, *payments[n // 2 :], batch]


def _counting_inserts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every transaction insert."""
    sizes: list[int] = []
    real = store.insert_transactions

    def spy(session: Any, delivery: store.Delivery, transactions: Any) -> store.Inserted:
        sizes.append(len(transactions))
        return real(session, delivery, transactions)

    monkeypatch.setattr(store, "insert_transactions", spy)
    return sizes


def _bad_status(data: bytes) -> bytes:
    """The last entry's status unknown: a ParseError at the very end."""
    head, _, tail = data.rpartition(b"<Sts>BOOK</Sts>")
    return head + b"<Sts>BOKAD</Sts>" + tail


def _bad_totals(data: bytes) -> bytes:
    """The last entry a batch whose details do not add up: an ERROR problem at the very end."""
    broken = Entry(DAY, "SWB-LAST", "100.00", batch_count=2, details=(Payment("60.00", "A", "D1"),))
    head, _, tail = data.rpartition(b"</Stmt>")
    return head + broken.xml().encode() + b"</Stmt>" + tail


@pytest.mark.parametrize(
    ("breaking", "error"),
    [(_bad_status, "unknown entry status 'BOKAD'"), (_bad_totals, "sum to")],
    ids=["parse-error", "error-problem"],
)
def test_a_camt_file_broken_near_its_end_leaves_nothing_but_its_quarantine_row(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, breaking: Any, error: str
) -> None:
    data = breaking(Statement("SWED053-BROKEN", DAY, DAY, _entries(40)).xml())
    path = tmp_path / "broken.xml"
    path.write_bytes(data)
    sizes = _counting_inserts(monkeypatch)

    report = import_file(database.sessions, COMPANY, path, max_bytes=DEFAULT_MAX_BYTES, batch_size=5)

    assert report.status is ImportStatus.QUARANTINED
    assert error in (report.error or "")
    assert report.error_location is not None
    assert "Ntry[48]" in report.error_location or "Ntry[49]" in report.error_location
    assert len(sizes) >= 9  # several batches were inserted before the end was reached: then rolled back
    assert counts(database) == {"files": 1, "transactions": 0, "payouts": 0, "charges": 0}
    (row,) = files(database)
    assert (row.status, row.filename, row.content_hash) == (
        "quarantined",
        "broken.xml",
        store.content_hash(data),
    )


def _rows(database: Database, company_bokio_id: str) -> list[tuple[Any, ...]]:
    """A company's transactions as comparable tuples (the batch link as the batch's fingerprint)."""
    with database.sessions() as session:
        company_id = session.scalar(select(Company.id).where(Company.bokio_company_id == company_bokio_id))
        rows = list(
            session.scalars(
                select(BankTransaction)
                .where(BankTransaction.company_id == company_id)
                .order_by(BankTransaction.id)
            )
        )
        by_id = {row.id: row.fingerprint for row in rows}
        return [
            (
                r.fingerprint,
                r.account,
                r.booking_date,
                r.amount,
                r.direction,
                r.is_batch,
                r.batch_key,
                r.deposit_total,
                r.references,
                r.free_text,
                r.payer_name,
                r.bank_ref,
                r.end_to_end_id,
                r.source_location,
                by_id.get(r.parent_id) if r.parent_id else None,
            )
            for r in rows
        ]


def _file_info(database: Database, digest: str) -> list[tuple[Any, ...]]:
    """The file rows with these bytes (link evidence kept, the batches' row ids left out)."""
    with database.sessions() as session:
        rows = session.scalars(select(BankFile).where(BankFile.content_hash == digest).order_by(BankFile.id))
        return [
            (
                f.format,
                f.size_bytes,
                f.status,
                f.transactions_added,
                f.transactions_known,
                {**f.info, "links": [link["evidence"] for link in f.info["links"]]},
            )
            for f in rows
        ]


def test_a_streamed_camt_file_imports_the_same_rows_as_the_in_memory_path(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Statement("SWED053-BIG", DAY, DAY, _entries(300)).xml()
    path = tmp_path / "big.xml"
    path.write_bytes(data)
    notification = bankgiro_notification(DAY)  # the batch's details, so the big file links a batch
    for company in (OTHER_COMPANY, COMPANY):
        import_file(database.sessions, company, notification, "bg.xml", max_bytes=DEFAULT_MAX_BYTES)
    in_memory = import_file(database.sessions, OTHER_COMPANY, data, "big.xml", max_bytes=DEFAULT_MAX_BYTES)
    sizes = _counting_inserts(monkeypatch)
    streamed = import_file(database.sessions, COMPANY, path, max_bytes=DEFAULT_MAX_BYTES, batch_size=7)
    reports = {"in_memory": in_memory, "streamed": streamed}

    assert sizes == [7] * 44  # 300 payments, 7 refunds, 1 batch credit: 308 rows in batches of 7
    for report in reports.values():
        assert (report.status, report.added, report.already_known, report.linked_batches) == (
            ImportStatus.IMPORTED,
            308,
            0,
            1,
        )
    assert streamed.problems == in_memory.problems
    assert streamed.format == in_memory.format == "camt.053"
    assert _rows(database, COMPANY) == _rows(database, OTHER_COMPANY)
    first, second = _file_info(database, store.content_hash(data))
    assert first == second

    again = import_file(database.sessions, COMPANY, path, max_bytes=DEFAULT_MAX_BYTES, batch_size=7)
    assert (again.status, again.bank_file_id) == (ImportStatus.DUPLICATE_FILE, streamed.bank_file_id)
