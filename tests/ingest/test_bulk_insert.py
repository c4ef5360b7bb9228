"""Storing many lines at once: on PostgreSQL through COPY and one set-based insert, on SQLite through
a many-row insert; either way a line whose bank key is already taken is stored once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from syncd.bankfiles import model
from syncd.ingest import store
from syncd.ingest.importer import import_parsed
from syncd.ingest.tables import BankDelivery, BankFile, BankTransaction
from tests.conftest import Database
from tests.ingest.conftest import COMPANY, counts, transactions
from tests.ingest.deliveries import BankPayment, camt053, camt054

DAY = dt.date(2026, 11, 24)


def _payments(count: int) -> list[BankPayment]:
    return [
        BankPayment(key, DAY, Decimal(100 + key), f"Kund {key} AB", text=f"faktura {key}")
        for key in range(count)
    ]


def test_a_notification_imported_in_small_batches_stores_every_line_once_with_its_exact_amount(
    database: Database, importer, tmp_path: Path
) -> None:
    path = tmp_path / "notification.xml"
    path.write_bytes(camt054(_payments(25), "NTF-1"))

    report = importer(path, batch_size=4)

    assert report.added == 25
    with database.sessions() as session:
        amounts = sorted(session.scalars(select(BankTransaction.amount)))
    assert [str(amount) for amount in amounts] == [
        f"{100 + key}.00" for key in range(25)
    ]  # never via a float


def test_a_line_sent_twice_in_one_batch_and_again_in_a_later_batch_is_stored_once(
    database: Database, importer, tmp_path: Path
) -> None:
    first, second = _payments(2)
    # the same bank reference three times: twice inside the first batch of three, once later
    path = tmp_path / "repeated.xml"
    path.write_bytes(camt054([first, first, second, first], "NTF-2"))

    report = importer(path, batch_size=3)

    assert counts(database)["transactions"] == 2
    assert report.added + report.already_known == 4
    with database.sessions() as session:
        amounts = sorted(session.scalars(select(BankTransaction.amount)))  # SQLite keeps money as text
    assert amounts == [first.amount, second.amount]


def test_importing_the_same_lines_from_a_second_notification_adds_no_row(
    database: Database, importer, tmp_path: Path
) -> None:
    payments = _payments(10)
    (tmp_path / "a.xml").write_bytes(camt054(payments, "NTF-A"))
    (tmp_path / "b.xml").write_bytes(camt054(payments, "NTF-B", message_id="MSG-B"))

    importer(tmp_path / "a.xml", batch_size=4)
    again = importer(tmp_path / "b.xml", batch_size=4)

    assert again.added == 0
    assert counts(database)["transactions"] == 10


def test_the_same_file_imported_twice_imports_nothing_the_second_time(
    database: Database, importer, tmp_path: Path
) -> None:
    path = tmp_path / "notification.xml"
    path.write_bytes(camt054(_payments(9), "NTF-TWICE"))

    first = importer(path, batch_size=4)
    second = importer(path, batch_size=4)

    assert (first.added, second.added, second.already_known) == (9, 0, 0)
    assert second.status.value == "duplicate_file"
    assert counts(database)["transactions"] == 9


def test_a_statement_mixing_known_uncertain_and_new_lines_in_every_batch_stores_each_as_identity_decides(
    database: Database, importer, tmp_path: Path
) -> None:
    payments = _payments(12)
    notified, unreferenced, fresh = payments[:4], payments[4:8], payments[8:]
    (tmp_path / "ntf.xml").write_bytes(camt054(notified, "NTF-MIX"))
    (tmp_path / "ntf-noref.xml").write_bytes(camt054(unreferenced, "NTF-NOREF", refs=False))
    importer(tmp_path / "ntf.xml")
    importer(tmp_path / "ntf-noref.xml")
    # the statement lists all twelve, interleaved, so every batch of five holds each kind
    interleaved = [p for trio in zip(notified, unreferenced, fresh, strict=True) for p in trio]
    (tmp_path / "stmt.xml").write_bytes(camt053(interleaved, "STMT-MIX", refs=False, details=False))

    report = importer(tmp_path / "stmt.xml", batch_size=5)

    # without references the statement's lines can only be held against the notified ones
    assert (report.added, report.possible_duplicates, report.already_known) == (4, 8, 0)
    rows = transactions(database)
    held = [row for row in rows if row.identity_state == "possible_duplicate"]
    assert len(rows) == 4 + 4 + 12
    assert sorted(row.amount for row in held) == sorted(p.amount for p in notified + unreferenced)
    originals = {row.id: row for row in rows}
    assert all(originals[row.duplicate_of_id].amount == row.amount for row in held)


def test_a_statement_whose_lines_were_notified_with_their_references_adds_only_the_new_ones(
    database: Database, importer, tmp_path: Path
) -> None:
    payments = _payments(10)
    (tmp_path / "ntf.xml").write_bytes(camt054(payments[::2], "NTF-HALF"))
    importer(tmp_path / "ntf.xml", batch_size=3)
    (tmp_path / "stmt.xml").write_bytes(camt053(payments, "STMT-ALL"))

    report = importer(tmp_path / "stmt.xml", batch_size=3)

    assert (report.added, report.already_known, report.possible_duplicates) == (5, 5, 0)
    assert counts(database)["transactions"] == 10
    with database.sessions() as session:
        deliveries = session.scalar(select(func.count()).select_from(BankDelivery))
    assert deliveries == 5


def _awkward_lines() -> tuple[model.BankTransaction, ...]:
    """Lines whose texts hold what COPY text must escape, and every optional column set or unset."""
    awkward = model.BankTransaction(
        account="SE3560000000000123456789",
        booking_date=DAY,
        value_date=DAY + dt.timedelta(days=1),
        amount=Decimal("1234.50"),
        currency="SEK",
        direction=model.Direction.CREDIT,
        acct_svcr_ref="REF\\001",
        end_to_end_id="E2E\t7",
        references=(model.Reference.classify("1004", amount=Decimal("1234.50"), scheme="SCOR"),),
        tokens=("1004",),
        free_text="Faktura 1004\ttack\nrad två \\ slut\r",
        payer_name="Kund \\N AB",  # COPY's NULL marker, as text
        payer_address="Storgatan 1\\n, Göteborg",
        charges=Decimal("2.50"),
        batch_key="camt:SE35:local-/Document/Ntry[1]",
        deposit_total=Decimal("1234.50"),
        batch_count=1,
        statement_id="STMT\n1",
        source_location="/Document/Ntry[1]",
        fingerprint="awkward-1",
    )
    pending = model.BankTransaction(
        account="SE3560000000000123456789",
        booking_date=None,
        value_date=None,
        amount=Decimal("-0.00"),
        currency="SEK",
        direction=model.Direction.DEBIT,
        status=model.Status.PENDING,
        is_reversal=True,
        fingerprint="pending-1",
    )
    return awkward, pending


def test_texts_with_tabs_line_breaks_and_backslashes_are_stored_exactly_as_the_bank_wrote_them(
    database: Database,
) -> None:
    lines = _awkward_lines()
    result = model.ParseResult(format=model.FileFormat.CAMT054, transactions=lines)

    report = import_parsed(database.sessions, COMPANY, result, content=b"awkward", filename="awkward.xml")

    assert report.added == 2
    stored = transactions(database)
    digest = store.content_hash(b"awkward")
    with database.sessions() as session:
        file_id = session.scalar(select(BankFile.id))
    assert file_id is not None
    for line, row in zip(lines, stored, strict=True):
        expected = store.transaction_values(
            line, company_id=row.company_id, bank_file_id=file_id, file_digest=digest
        )
        got = {name: getattr(row, name) for name in expected if name != "fingerprint"}
        assert got == {name: value for name, value in expected.items() if name != "fingerprint"}
    assert stored[0].free_text == "Faktura 1004\ttack\nrad två \\ slut\r"
    assert stored[0].payer_name == "Kund \\N AB"
    assert (stored[1].booking_date, stored[1].charges, stored[1].batch_key) == (None, None, None)
