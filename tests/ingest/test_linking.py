"""Batch credits and their details: linked in either order, and the matcher sees only details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from syncd.allocations.held import allocated_cash
from syncd.allocations.tables import Allocation
from syncd.ingest.linking import Batch, DetailGroup, matchable_transactions, plan_links, unlinked_batches
from syncd.ingest.tables import BankTransaction
from syncd.mirror.tables import Company
from tests.conftest import Database
from tests.ingest.builders import BG_TOTAL, COMPANY, GOLDEN, bankgiro_notification, batch_statement
from tests.ingest.conftest import transactions


def _company_id(database: Database) -> int:
    with database.sessions() as session:
        return session.scalars(select(Company.id).where(Company.bokio_company_id == COMPANY)).one()


def _matchable(database: Database) -> list[BankTransaction]:
    with database.sessions() as session:
        company_id = _company_id(database)
        return matchable_transactions(session, company_id, allocated_cash(session, company_id))


@pytest.mark.parametrize("batch_first", [True, False], ids=["batch-then-details", "details-then-batch"])
def test_a_053_batch_and_its_054_details_link_in_either_order(
    database: Database, importer, batch_first: bool
) -> None:
    files = [("stmt.xml", batch_statement()), ("bg.xml", bankgiro_notification())]
    reports = [importer(data, name) for name, data in (files if batch_first else files[::-1])]

    assert [r.linked_batches for r in reports] == [0, 1]
    rows = transactions(database)
    (batch,) = [r for r in rows if r.is_batch]
    details = [r for r in rows if r.batch_key and not r.is_batch]
    assert batch.amount == Decimal(BG_TOTAL)
    assert {d.parent_id for d in details} == {batch.id}
    assert sum(d.amount for d in details) == batch.amount
    matchable = {r.id for r in _matchable(database)}
    assert batch.id not in matchable
    assert {d.id for d in details} <= matchable
    with database.sessions() as session:
        assert unlinked_batches(session, _company_id(database)) == []


def test_a_bgmax_deposit_links_to_its_053_batch(database: Database, importer) -> None:
    # BgMax deposit 00731: three payments and one deduction, net 16 550.00 on 25 November
    importer(batch_statement("2026-11-25", amount="16550.00", count=4), "stmt-1125.xml")
    report = importer(GOLDEN / "bgmax_two_sections.txt")

    assert report.linked_batches == 1
    rows = transactions(database)
    (batch,) = [r for r in rows if r.is_batch]
    children = [r for r in rows if r.parent_id == batch.id]
    assert len(children) == 4
    assert {c.batch_key for c in children} == {"bgmax:5050000001055123:2026-11-25:00731"}
    euro = [r for r in rows if r.currency == "EUR"]
    assert [e.parent_id for e in euro] == [None]  # the EUR deposit has no batch on this statement


def test_a_batch_whose_details_never_came_is_reported_after_the_grace_days(
    database: Database, importer
) -> None:
    importer(GOLDEN / "camt053_batch_no_details.xml")
    company_id = _company_id(database)

    with database.sessions() as session:
        too_early = unlinked_batches(session, company_id, today=dt.date(2026, 11, 26), grace_days=3)
        overdue = unlinked_batches(session, company_id, today=dt.date(2026, 11, 30), grace_days=3)

    assert too_early == []
    assert [(b.amount, b.booking_date) for b in overdue] == [(Decimal("21550.00"), dt.date(2026, 11, 25))]
    assert _matchable(database) == []


def test_details_that_do_not_add_up_to_the_batch_are_not_linked(database: Database, importer) -> None:
    importer(batch_statement(amount="18700.00"), "stmt.xml")
    report = importer(bankgiro_notification(), "bg.xml")

    assert report.linked_batches == 0
    assert all(r.parent_id is None for r in transactions(database))


def test_a_053_entry_with_its_own_details_gives_matchable_details_and_no_batch_row(
    database: Database, importer
) -> None:
    importer(GOLDEN / "camt053_batch_txdtls.xml")

    rows = transactions(database)
    assert not any(r.is_batch for r in rows)
    assert sorted(r.amount for r in _matchable(database)) == sorted(r.amount for r in rows)


def test_pending_rows_are_not_matchable(database: Database, importer) -> None:
    importer(GOLDEN / "camt053_reversal_pending.xml")

    statuses = {r.status for r in _matchable(database)}
    assert statuses == {"booked"}
    assert any(r.status == "pending" for r in transactions(database))


def _allocate(session, tx: BankTransaction, cash: str, state: str) -> None:
    session.add(
        Allocation(
            company_id=tx.company_id,
            bank_transaction_id=tx.id,
            invoice_bokio_id="inv-1",
            group_id=f"g-{tx.id}-{state}",
            tier="ocr_exact",
            kind="payment",
            decision="auto",
            confidence=100,
            state=state,
            amount=Decimal(cash),
            amount_sek=Decimal(cash),
            cash=Decimal(cash),
            consumed=Decimal(cash),
            payment_date=dt.date(2026, 11, 25),
        )
    )


def test_fully_allocated_transactions_are_no_longer_matchable(database: Database, importer) -> None:
    importer(GOLDEN / "camt054_v02_bankgiro.xml")
    full, partial, rejected = transactions(database)  # 12 500, 3 750, 2 500
    with database.sessions.begin() as session:
        _allocate(session, full, "10000.00", "accepted")
        _allocate(session, full, "2500.00", "proposed")
        _allocate(session, partial, "1000.00", "accepted")
        _allocate(session, rejected, "2500.00", "rejected")

    assert {r.id for r in _matchable(database)} == {partial.id, rejected.id}


def _batch(batch_id: int, amount: str, *, reference: str = "", text: str = "", day: int = 26) -> Batch:
    return Batch(
        id=batch_id,
        account="8327-9,123 456 789-0",
        booking_date=dt.date(2026, 11, day),
        signed_amount=Decimal(amount),
        currency="SEK",
        batch_key=f"camt:8327:{batch_id}",
        count=None,
        reference=reference,
        text=text,
    )


def _group(key: str, amount: str, *, account: str = "50501055", day: int = 26) -> DetailGroup:
    return DetailGroup(
        batch_key=key,
        account=account,
        booking_date=dt.date(2026, 11, day),
        net=Decimal(amount),
        currency="SEK",
        count=2,
        detail_ids=(1, 2),
    )


def test_two_batches_that_fit_the_same_details_equally_are_left_for_a_person() -> None:
    batches = [_batch(1, "500.00", text="BG INBET 5050-1055"), _batch(2, "500.00", text="BG INBET 5050-1055")]

    plan = plan_links(batches, [_group("bgmax:x:2026-11-26:00812", "500.00")])

    assert plan.links == ()
    assert len(plan.ambiguous) == 2


def test_the_deposit_number_breaks_a_tie_between_batches() -> None:
    batches = [
        _batch(1, "500.00", text="BG INBET 5050-1055 DEP 811"),
        _batch(2, "500.00", text="BG INBET 5050-1055 DEP 812"),
    ]

    plan = plan_links(batches, [_group("bgmax:x:2026-11-26:00812", "500.00")])

    assert [(link.batch_id, "reference" in link.evidence) for link in plan.links] == [(2, True)]


def test_an_equal_amount_alone_is_not_evidence() -> None:
    plan = plan_links(
        [_batch(1, "500.00", text="INSATTNING")], [_group("bgmax:x:2026-11-26:00812", "500.00")]
    )

    assert plan == plan.__class__((), ())


def test_same_account_with_a_different_deposit_reference_is_a_different_deposit() -> None:
    batch = _batch(1, "500.00", reference="SWB-111")
    group = _group("camt:8327-9,123 456 789-0:2026-11-26:500.00:SEK:SWB-222", "500.00", account=batch.account)

    assert plan_links([batch], [group]).links == ()


def test_details_two_days_from_the_batch_are_too_far_apart() -> None:
    batch = _batch(1, "500.00", text="BG INBET 5050-1055", day=26)

    assert plan_links([batch], [_group("bgmax:x:2026-11-24:00812", "500.00", day=24)]).links == ()
    assert len(plan_links([batch], [_group("bgmax:x:2026-11-25:00812", "500.00", day=25)]).links) == 1
