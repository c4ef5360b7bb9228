"""A big camt file is parsed in a child process while the import writes: the same rows, the same
quarantine on a parse error, and never a parser process left behind."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.bankfiles import parse_camt
from syncd.ingest import importer as importer_module
from syncd.ingest import store
from syncd.ingest.importer import ImportStatus
from syncd.ingest.pipeline import ParsedInChild
from syncd.ingest.tables import BankFile
from tests.conftest import Database
from tests.ingest.conftest import counts, transactions
from tests.ingest.deliveries import BankPayment, camt053

DAY = dt.date(2026, 11, 24)


@pytest.fixture
def in_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every camt file, however small, is parsed in a child process."""
    monkeypatch.setattr(importer_module, "PIPELINE_MIN_BYTES", 0)


def _statement(count: int, statement_id: str = "STMT-CHILD") -> bytes:
    payments = [
        BankPayment(
            key,
            DAY + dt.timedelta(days=key % 3),
            Decimal(100 + key) / 4,
            f"Kund {key} AB",
            text=f"faktura {key}",
        )
        for key in range(count)
    ]
    return camt053(payments, statement_id)


def _parsers_running() -> list[Any]:
    return [child for child in multiprocessing.active_children() if child.name == "syncd-camt-parser"]


@pytest.mark.usefixtures("in_child")
def test_a_statement_parsed_in_a_child_process_stores_what_the_parser_reads_in_file_order(
    database: Database, importer, tmp_path: Path
) -> None:
    data = _statement(23)
    path = tmp_path / "statement.xml"
    path.write_bytes(data)
    progress: list[int] = []

    report = importer(path, batch_size=5, on_progress=lambda event: progress.append(event.records))

    parsed = parse_camt(data, source="statement.xml").transactions
    assert (report.status, report.added) == (ImportStatus.IMPORTED, 23)
    stored = transactions(database)
    assert [(row.amount, row.payer_name, row.source_location, row.references) for row in stored] == [
        (tx.amount, tx.payer_name, tx.source_location, store.references_json(tx)) for tx in parsed
    ]
    assert progress == [5, 10, 15, 20, 23]
    assert _parsers_running() == []


@pytest.mark.usefixtures("in_child")
def test_a_parse_error_late_in_a_file_parsed_in_a_child_quarantines_it_whole_with_the_location(
    database: Database, importer, tmp_path: Path
) -> None:
    data = _statement(30).replace(b'<Amt Ccy="SEK">31.75</Amt>', b'<Amt Ccy="SEK">31,75</Amt>')
    path = tmp_path / "broken.xml"
    path.write_bytes(data)

    report = importer(path, batch_size=4)  # several batches are written before the bad entry

    assert report.status is ImportStatus.QUARANTINED
    assert "not a camt amount" in (report.error or "")
    assert report.error_location == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[28]/Amt"
    assert counts(database)["transactions"] == 0
    with database.sessions() as session:
        assert session.scalars(select(BankFile.status)).all() == ["quarantined"]
    assert _parsers_running() == []


@pytest.mark.usefixtures("in_child")
def test_a_failure_while_writing_ends_the_parser_process_and_rolls_the_file_back(
    database: Database, importer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "statement.xml"
    path.write_bytes(_statement(40))
    written: list[int] = []
    insert = store.insert_transactions

    def fail_on_the_second_batch(session: Any, delivery: Any, batch: Any) -> Any:
        written.append(len(batch))
        if len(written) == 2:
            raise RuntimeError("the disk is full")
        return insert(session, delivery, batch)

    monkeypatch.setattr(store, "insert_transactions", fail_on_the_second_batch)

    with pytest.raises(RuntimeError, match="the disk is full"):
        importer(path, batch_size=3)

    assert counts(database) == {"files": 0, "transactions": 0, "payouts": 0, "charges": 0}
    assert _parsers_running() == []


def test_a_document_type_declaration_is_refused_in_the_child_as_in_process(tmp_path: Path) -> None:
    path = tmp_path / "doctype.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x "y">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>'
    )

    with (
        ParsedInChild(path, source="doctype.xml", max_bytes=None, batch_size=10) as child,
        pytest.raises(Exception, match="DTDForbidden") as raised,
    ):
        list(child)

    assert type(raised.value).__name__ == "ParseError"
    assert _parsers_running() == []
