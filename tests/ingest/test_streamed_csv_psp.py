"""Bank CSVs and PSP reports given as paths stream into the database in batches, atomically."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.bankfiles import DEFAULT_MAX_BYTES
from syncd.ingest import importer, store
from syncd.ingest.importer import ImportStatus, import_file
from syncd.ingest.inbox import scan_inbox
from syncd.ingest.tables import BankTransaction, PspCharge, PspPayout
from tests.conftest import Database
from tests.ingest.builders import COMPANY
from tests.ingest.conftest import NOW, counts, drop, files

GOLDEN = Path(__file__).parents[1] / "bankfiles" / "golden"
SEB_HEADER = "Bokföringsdatum;Valutadatum;Verifikationsnummer;Text/mottagare;Belopp;Saldo"


def _seb(rows: int, *, last: str | None = None) -> bytes:
    lines = [SEB_HEADER]
    lines += [
        f"2026-11-{i % 28 + 1:02};2026-11-01;{5490000000 + i};BG 5050-1055 {100000 + i};{i}.000;0"
        for i in range(1, rows + 1)
    ]
    if last is not None:
        lines.append(last)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def _spy(monkeypatch: pytest.MonkeyPatch, name: str, key: str) -> list[int]:
    """Record the size of every ``store.<name>`` call (how many items it was given)."""
    sizes: list[int] = []
    real = getattr(store, name)

    def spy(session: Any, *args: Any, **kwargs: Any) -> store.Inserted:
        sizes.append(len(kwargs[key] if key in kwargs else args[-1]))
        return real(session, *args, **kwargs)

    monkeypatch.setattr(store, name, spy)
    return sizes


def _import(database: Database, path: Path, **options: Any) -> importer.ImportReport:
    return import_file(database.sessions, COMPANY, path, max_bytes=DEFAULT_MAX_BYTES, **options)


def test_a_bank_csv_given_as_a_path_is_inserted_in_batches(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seb.csv"
    path.write_bytes(_seb(23))
    sizes = _spy(monkeypatch, "insert_transactions", "transactions")

    report = _import(database, path, batch_size=5)

    assert report.status is ImportStatus.IMPORTED, report
    assert (report.format, report.added) == ("csv-seb", 23)
    assert sizes == [5, 5, 5, 5, 3]
    with database.sessions() as session:
        texts = list(session.scalars(select(BankTransaction.free_text).order_by(BankTransaction.id)))
    assert texts[0] == "BG 5050-1055 100001"


def test_a_bank_csv_with_a_bad_row_at_its_end_leaves_nothing_but_its_quarantine_row(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seb.csv"
    path.write_bytes(_seb(23, last="2026-11-30;;1;x;tolv kronor;0"))
    sizes = _spy(monkeypatch, "insert_transactions", "transactions")

    report = _import(database, path, batch_size=5)

    assert report.status is ImportStatus.QUARANTINED
    assert "amount: not an amount 'tolv kronor'" in (report.error or "")
    assert report.error_location == "line 25"
    assert sum(sizes) >= 20  # batches went in before the bad row was read, and were rolled back
    assert counts(database) == {"files": 1, "transactions": 0, "payouts": 0, "charges": 0}
    assert files(database)[0].status == "quarantined"


def test_a_stripe_report_given_as_a_path_streams_its_payouts_with_their_charges(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stripe.csv"
    path.write_bytes((GOLDEN / "stripe_balance_transactions.csv").read_bytes())
    sizes = _spy(monkeypatch, "insert_payouts", "payouts")

    report = _import(database, path, batch_size=1)

    assert report.status is ImportStatus.IMPORTED, report
    assert (report.payouts, report.charges) == (2, 4)
    assert sizes == [1, 1]  # one payout at a time
    with database.sessions() as session:
        nets = dict(session.execute(select(PspPayout.payout_id, PspPayout.net)).all())
        charges = session.scalar(select(PspCharge.id).limit(1))
    assert nets == {"po_1QcB7dKx01": Decimal("3317.57"), "po_1QdC8eKx02": Decimal("973.90")}
    assert charges is not None
    again = _import(database, path)
    assert again.status is ImportStatus.DUPLICATE_FILE


def _apart(name: str) -> bytes:
    """The golden Stripe report with one of the first payout's rows moved after the second payout."""
    lines = (GOLDEN / name).read_bytes().decode().splitlines()
    return ("\n".join([lines[0], lines[1], lines[5], *lines[2:5], *lines[6:]]) + "\n").encode()


def test_a_small_stripe_report_out_of_payout_order_is_read_whole_instead(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "stripe.csv"
    path.write_bytes(_apart("stripe_balance_transactions.csv"))
    report = _import(database, path)
    assert report.status is ImportStatus.IMPORTED, report
    assert report.payouts == 2


def test_a_large_psp_report_out_of_payout_order_is_quarantined_with_the_reason(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "UNORDERED_MAX_BYTES", 100)  # "large": the file is bigger
    path = tmp_path / "stripe.csv"
    path.write_bytes(_apart("stripe_balance_transactions.csv"))
    report = _import(database, path)
    assert report.status is ImportStatus.QUARANTINED
    assert "keep each payout's rows together" in (report.error or "")
    assert counts(database)["payouts"] == 0


def test_a_paypal_export_given_as_a_path_imports_the_payout_its_pending_withdrawal_makes(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "Download.CSV"
    path.write_bytes((GOLDEN / "paypal_usd_conversions.csv").read_bytes())
    report = _import(database, path)
    assert report.status is ImportStatus.IMPORTED, report
    assert (report.format, report.payouts, report.charges) == ("paypal", 1, 2)
    assert any("6PJ42598WC0067194" in p.message for p in report.problems)


STRIPE_WITH_OWN_COLUMN = (
    b"balance_transaction_id,currency,gross,fee,net,reporting_category,source_id,"
    b"payment_metadata[bokio_faktura],automatic_payout_id\n"
    b"txn_1,sek,100.00,2.00,98.00,charge,ch_1,1043,po_9\n"
    b"txn_2,sek,-98.00,0.00,-98.00,payout,po_9,,\n"
)


def test_the_stripe_reference_column_of_the_company_is_used_on_import(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "stripe.csv"
    path.write_bytes(STRIPE_WITH_OWN_COLUMN)
    report = _import(database, path, stripe_reference_keys=["payment_metadata[bokio_faktura]"])
    assert report.status is ImportStatus.IMPORTED, report
    assert report.problems == ()
    with database.sessions() as session:
        assert session.scalar(select(PspCharge.invoice_reference)) == "1043"


def test_the_inbox_uses_the_companys_stripe_reference_column_too(database: Database, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "stripe.csv", STRIPE_WITH_OWN_COLUMN)

    (report,) = scan_inbox(
        database.sessions,
        COMPANY,
        inbox,
        max_bytes=DEFAULT_MAX_BYTES,
        now=NOW,
        stripe_reference_keys=["payment_metadata[bokio_faktura]"],
    )

    assert (report.status, report.problems) == (ImportStatus.IMPORTED, ())
    with database.sessions() as session:
        assert session.scalar(select(PspCharge.invoice_reference)) == "1043"
