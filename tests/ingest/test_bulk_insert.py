"""Storing many lines at once: on PostgreSQL through COPY and one set-based insert, on SQLite through
a many-row insert; either way a line whose bank key is already taken is stored once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from syncd.ingest.tables import BankTransaction
from tests.conftest import Database
from tests.ingest.conftest import counts
from tests.ingest.deliveries import BankPayment, camt054

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
