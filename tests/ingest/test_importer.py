"""Importing bank files: atomic per file, idempotent, bad files quarantined with the reason."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from syncd.bankfiles import (
    BankTransaction,
    Direction,
    FileFormat,
    ParseResult,
    PspCharge,
    PspPayout,
)
from syncd.ingest.importer import ImportStatus, import_parsed
from syncd.ingest.tables import PspPayout as PayoutRow
from tests.conftest import Database
from tests.ingest.builders import COMPANY, GOLDEN, Entry, Payment, Statement, ocr
from tests.ingest.conftest import counts, files, transactions


def test_importing_the_same_file_twice_adds_each_transaction_once(database: Database, importer) -> None:
    first = importer(GOLDEN / "camt054_v02_bankgiro.xml")
    second = importer(GOLDEN / "camt054_v02_bankgiro.xml")

    assert (first.status, first.added, first.already_known) == (ImportStatus.IMPORTED, 3, 0)
    assert (second.status, second.format) == (ImportStatus.DUPLICATE_FILE, "camt.054")
    assert second.added == 0
    assert second.bank_file_id == first.bank_file_id
    assert counts(database) == {"files": 1, "transactions": 3, "payouts": 0, "charges": 0}
    assert files(database)[0].transactions_added == 3


def _payment_entry(day: str, n: int, amount: str, payer: str) -> Entry:
    return Entry(day, f"SWB{day[-2:]}{n:05d}", payment=Payment(amount, payer, f"E2E{n}", ocr=ocr(104400 + n)))


def test_two_statements_overlapping_by_a_day_add_each_transaction_once(database: Database, importer) -> None:
    monday = [_payment_entry("2026-11-23", 1, "4950.00", "Strömstad Bygg AB")]
    tuesday = [
        _payment_entry("2026-11-24", 2, "1250.00", "Tanums Måleri HB"),
        _payment_entry("2026-11-24", 3, "830.50", "Berit Ståhl"),
        # two identical card refunds without any bank reference: told apart by occurrence only
        Entry("2026-11-24", "", "129.00", text="ÅTERBETALNING KORTKÖP", credit=False),
        Entry("2026-11-24", "", "129.00", text="ÅTERBETALNING KORTKÖP", credit=False),
    ]
    wednesday = [_payment_entry("2026-11-25", 4, "17600.00", "Kalmar Rör & Värme AB")]
    early = Statement("SWED053-20261124", "2026-11-23", "2026-11-24", [*monday, *tuesday]).xml()
    late = Statement("SWED053-20261125", "2026-11-24", "2026-11-25", [*tuesday, *wednesday]).xml()

    first = importer(early, "stmt-1124.xml")
    second = importer(late, "stmt-1125.xml")

    assert (first.added, first.already_known) == (5, 0)
    assert (second.added, second.already_known) == (1, 4)
    rows = transactions(database)
    assert len(rows) == 6
    assert sorted(r.amount for r in rows if r.direction == "debit") == [Decimal("129.00")] * 2
    assert {r.references["items"][0]["value"] for r in rows if r.references["items"]} == {
        ocr(104400 + n) for n in (1, 2, 3, 4)
    }


def test_a_file_that_cannot_be_read_is_quarantined_with_its_xpath_and_nothing_else_written(
    database: Database, importer
) -> None:
    good = (GOLDEN / "camt053_batch_txdtls.xml").read_bytes()
    broken = good.replace(b"<Sts>BOOK</Sts>", b"<Sts>BOKAD</Sts>", 1)

    report = importer(broken, "handelsbanken-1125.xml")

    assert report.status is ImportStatus.QUARANTINED
    assert report.error_location is not None
    assert report.error_location == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Sts"
    assert "unknown entry status 'BOKAD'" in (report.error or "")
    assert counts(database) == {"files": 1, "transactions": 0, "payouts": 0, "charges": 0}
    (row,) = files(database)
    assert (row.status, row.filename) == ("quarantined", "handelsbanken-1125.xml")
    assert row.error is not None
    assert row.error.startswith(report.error_location)


def test_a_file_whose_totals_do_not_add_up_is_quarantined_whole(database: Database, importer) -> None:
    good = (GOLDEN / "camt054_v02_bankgiro.xml").read_bytes()
    report = importer(good.replace(b">2500.00<", b">2600.00<"), "bg-1125.xml")

    assert report.status is ImportStatus.QUARANTINED
    assert "sum to" in (report.error or "")
    assert report.hint is not None
    assert counts(database)["transactions"] == 0


def test_a_quarantined_file_is_imported_when_it_arrives_again_with_the_right_format(
    database: Database, importer
) -> None:
    data = (GOLDEN / "seb_utf8bom.csv").read_bytes()
    refused = importer(data, "export.csv", fmt=FileFormat.CSV_NORDEA)
    accepted = importer(data, "export.csv", fmt=FileFormat.CSV_SEB)

    assert refused.status is ImportStatus.QUARANTINED
    assert accepted.status is ImportStatus.IMPORTED
    assert accepted.bank_file_id == refused.bank_file_id
    (row,) = files(database)
    assert (row.status, row.error) == ("imported", None)


def test_a_test_file_from_the_bank_is_quarantined(database: Database, importer) -> None:
    report = importer(GOLDEN / "bgmax_lf.txt")

    assert report.status is ImportStatus.QUARANTINED
    assert "test" in (report.error or "")
    assert counts(database)["transactions"] == 0


def test_an_oversized_file_is_quarantined_without_being_parsed(database: Database, importer) -> None:
    report = importer(GOLDEN / "camt054_v02_bankgiro.xml", max_bytes=1000)

    assert report.status is ImportStatus.QUARANTINED
    assert report.error_location == "byte 1000"
    assert counts(database)["files"] == 1


def _tx(amount: str, ref: str) -> BankTransaction:
    return BankTransaction(
        account="8327-9,123 456 789-0",
        booking_date=None,
        value_date=None,
        amount=Decimal(amount),
        currency="SEK",
        direction=Direction.CREDIT,
        acct_svcr_ref=ref,
    )


def _payout(payout_id: str, *charge_ids: str) -> PspPayout:
    charges = tuple(
        PspCharge(
            charge_id=c, kind="charge", gross=Decimal(100), fee=Decimal(3), net=Decimal(97), currency="SEK"
        )
        for c in charge_ids
    )
    return PspPayout(
        provider="stripe",
        payout_id=payout_id,
        payout_date=None,
        currency="SEK",
        net=Decimal(97) * len(charges),
        gross=Decimal(100) * len(charges),
        fees=Decimal(3) * len(charges),
        charges=charges,
    )


def test_a_file_the_database_refuses_half_way_leaves_only_its_quarantine_row(database: Database) -> None:
    # transactions and a first payout insert fine; the second payout lists one charge twice
    result = ParseResult(
        format=FileFormat.STRIPE,
        transactions=(_tx("97.00", "A1"), _tx("194.00", "A2")),
        payouts=(_payout("po_ok", "ch_1"), _payout("po_broken", "ch_2", "ch_2")),
    )

    report = import_parsed(database.sessions, COMPANY, result, content=b"crafted", filename="crafted.csv")

    assert report.status is ImportStatus.QUARANTINED
    assert "database refused" in (report.error or "")
    assert counts(database) == {"files": 1, "transactions": 0, "payouts": 0, "charges": 0}


def test_an_unexpected_error_half_way_rolls_everything_back_and_propagates(database: Database) -> None:
    broken = BankTransaction(
        account="8327-9,123 456 789-0",
        booking_date=None,
        value_date=None,
        amount=12.5,  # type: ignore[arg-type]  # a float: the money column refuses it
        currency="SEK",
        direction=Direction.CREDIT,
        acct_svcr_ref="B1",
        fingerprint="crafted-broken-1",
    )
    result = ParseResult(format=FileFormat.CAMT053, transactions=(_tx("100.00", "A1"), broken))

    with pytest.raises(Exception, match="Decimal"):
        import_parsed(database.sessions, COMPANY, result, content=b"crafted-2", filename="crafted.xml")

    assert counts(database) == {"files": 0, "transactions": 0, "payouts": 0, "charges": 0}


def test_psp_payouts_and_their_charges_are_imported_once(database: Database, importer) -> None:
    data = (GOLDEN / "stripe_balance_transactions.csv").read_bytes()
    first = importer(data, "stripe-nov.csv")
    again = importer(data + b"\n", "stripe-nov-again.csv")  # other bytes, same payouts

    assert (first.payouts, first.charges) == (2, 4)
    assert (again.status, again.payouts, again.payouts_known) == (ImportStatus.IMPORTED, 0, 2)
    assert counts(database) == {"files": 2, "transactions": 0, "payouts": 2, "charges": 4}
    with database.sessions() as session:
        nets = {row.payout_id: row.net for row in session.execute(select(PayoutRow.payout_id, PayoutRow.net))}
    assert nets == {"po_1QcB7dKx01": Decimal("3317.57"), "po_1QdC8eKx02": Decimal("973.90")}


def test_a_dry_run_reports_what_would_be_added_and_writes_nothing(database: Database, importer) -> None:
    importer(GOLDEN / "camt053_batch_txdtls.xml")
    before = counts(database)

    report = importer(GOLDEN / "camt054_v02_bankgiro.xml", dry_run=True)

    assert (report.status, report.added, report.dry_run) == (ImportStatus.IMPORTED, 3, True)
    assert counts(database) == before


def test_imports_of_overlapping_files_racing_each_other_add_each_transaction_once(
    database: Database, importer
) -> None:
    if database.backend == "sqlite":
        pytest.skip("SQLite serves one process; concurrent writers are a PostgreSQL deployment")
    shared = [_payment_entry("2026-11-24", n, f"{100 + n}.00", "Tanums Måleri HB") for n in range(40)]
    a = Statement("A", "2026-11-23", "2026-11-24", [_payment_entry("2026-11-23", 99, "5.00", "X"), *shared])
    b = Statement("B", "2026-11-24", "2026-11-25", [*shared, _payment_entry("2026-11-25", 98, "7.00", "Y")])
    reports = []
    start = threading.Barrier(2)

    def run(data: bytes, name: str) -> None:
        start.wait()
        reports.append(importer(data, name))

    threads = [threading.Thread(target=run, args=(s.xml(), s.statement_id)) for s in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.status for r in reports) == [ImportStatus.IMPORTED] * 2, [r.error for r in reports]
    assert sum(r.added for r in reports) == 42
    assert sum(r.already_known for r in reports) == 40
    assert counts(database)["transactions"] == 42


def test_parsed_transactions_keep_their_references_and_ids(database: Database, importer) -> None:
    importer(GOLDEN / "camt054_v02_bankgiro.xml")
    first = transactions(database)[0]

    assert first.bank_ref == "BGC-000731-0001"
    assert first.payer_name == "Kalmar Rör & Värme AB"
    assert first.references["items"] == [
        {"value": "104364", "kind": "ocr", "valid": True, "amount": None, "scheme": "SCOR"}
    ]
    assert first.references["batch_count"] == 3
