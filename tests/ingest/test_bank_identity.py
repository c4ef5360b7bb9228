"""The same payment delivered twice is booked once; two payments that look alike are both booked.

Each test drops bank files in the company's inbox the way a bank delivers them and runs full
cycles (import → pull → match → push) against the Bokio sandbox over HTTP, on both databases, then
reads Bokio's books back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from syncd.demo.payments import BankDay, InvoiceFacts, StripeCharge
from syncd.demo.writers import stripe_csv
from syncd.ingest.tables import BankDelivery, BankFile
from tests.cycle_world import World
from tests.ingest.deliveries import (
    BankPayment,
    camt053,
    camt054,
    deposit_notification,
    deposit_statement,
    returned,
)


@pytest.fixture
def world(cycle_world: World) -> World:
    return cycle_world


def _payment(world: World, facts: InvoiceFacts, key: int, amount: Decimal, **extra: object) -> BankPayment:
    return BankPayment(key, world.sandbox.today(), amount, facts.customer, ocr=facts.ocr, **extra)  # type: ignore[arg-type]


def _stranger(world: World, key: int, amount: Decimal) -> BankPayment:
    return BankPayment(key, world.sandbox.today(), amount, "Okänd Betalare", text=f"Lån {key}")


@pytest.mark.parametrize("first_format", ["camt.054", "camt.053"])
def test_a_partial_payment_in_the_days_notification_and_the_next_statement_is_booked_once(
    world: World, first_format: str
) -> None:
    facts = world.invoice(at_least=Decimal(5000))
    partial = _payment(world, facts, 1, Decimal("2500.00"))
    # the statement lists two other payments first: the partial payment is NtryRef 3 there, 1 in the 054
    statement = camt053(
        [_stranger(world, 2, Decimal(990)), _stranger(world, 3, Decimal(45)), partial], "SEB053-1"
    )
    notification = camt054([partial], "BG-NTF-1")
    files = [("ntf.xml", notification), ("stmt.xml", statement)]
    if first_format == "camt.053":
        files.reverse()

    for name, data in files:
        world.deliver(name, data)
        world.cycle()

    assert world.payments_on(facts.number) == [Decimal("2500.00")]
    same = [line for line in world.lines() if line.amount == Decimal("2500.00")]
    assert len(same) == 1
    (line,) = same
    assert line.references["items"][0]["value"] == facts.ocr  # the OCR, whichever file came first
    with world.app.sessions() as session:
        (delivery,) = session.scalars(select(BankDelivery)).all()
        assert delivery.bank_transaction_id == line.id
        assert "SEB" in delivery.evidence  # the bank's reference tied them


def test_a_notification_sent_again_with_a_new_message_id_adds_nothing(world: World) -> None:
    facts = world.invoice(at_least=Decimal(1000))
    payment = _payment(world, facts, 7, facts.outstanding)
    world.deliver("ntf-0930.xml", camt054([payment], "BG-NTF-0930", message_id="MSG-1", refs=False))
    world.cycle()
    world.deliver("ntf-0930-resent.xml", camt054([payment], "BG-NTF-0930", message_id="MSG-2", refs=False))
    world.cycle()

    assert world.payments_on(facts.number) == [facts.outstanding]
    assert len(world.lines()) == 1
    with world.app.sessions() as session:
        added = dict(session.execute(select(BankFile.filename, BankFile.transactions_added)).all())
    assert added == {"ntf-0930.xml": 1, "ntf-0930-resent.xml": 0}


def test_two_payments_numbered_alike_in_two_notifications_are_both_stored_and_booked(world: World) -> None:
    amount = Decimal("1250.00")
    first = world.invoice(at_least=amount)
    second = world.invoice(at_least=amount, skip=1)
    # each intraday notification numbers its only entry 1 and carries no AcctSvcrRef
    world.deliver("ntf-1.xml", camt054([_payment(world, first, 1, amount)], "BG-NTF-A", refs=False))
    world.cycle()
    world.deliver("ntf-2.xml", camt054([_payment(world, second, 1, amount)], "BG-NTF-B", refs=False))
    world.cycle()

    assert len(world.lines()) == 2
    assert world.payments_on(first.number) == [amount]
    assert world.payments_on(second.number) == [amount]


def test_a_copy_without_any_shared_reference_is_held_for_a_person_and_never_booked(world: World) -> None:
    facts = world.invoice(at_least=Decimal(5000))
    partial = _payment(world, facts, 4, Decimal("2500.00"))
    world.deliver("ntf.xml", camt054([partial], "BG-NTF-7", refs=False))
    world.cycle()
    # the bank's statement names neither the OCR nor a reference: it may or may not be the same money
    world.deliver("stmt.xml", camt053([partial], "SEB053-7", refs=False, details=False))
    world.cycle()
    world.cycle()

    assert world.payments_on(facts.number) == [Decimal("2500.00")]
    (held,) = world.cli("review", "duplicates")["duplicates"]
    assert (held["amount"], held["file"], held["original_file"]) == ("2500.00", "stmt.xml", "ntf.xml")
    assert "no shared bank reference" in held["reason"]
    assert held["id"] not in {line["id"] for line in world.cli("review", "unmatched")["lines"]}
    assert world.cli("status")["companies"][0]["possible_duplicate_lines"] == 1

    decided = world.cli("review", "same", str(held["id"]), "--by", "karin")
    assert decided["line"]["state"] == "duplicate"
    assert world.cli("review", "duplicates")["duplicates"] == []
    world.cycle()
    assert world.payments_on(facts.number) == [Decimal("2500.00")]


def test_a_held_line_a_person_calls_distinct_becomes_unmatched_money(world: World) -> None:
    payment = _stranger(world, 8, Decimal("777.00"))
    world.deliver("ntf.xml", camt054([payment], "BG-NTF-8", refs=False))
    world.deliver("stmt.xml", camt053([payment], "SEB053-8", refs=False, details=False))
    world.cycle()
    (held,) = world.cli("review", "duplicates")["duplicates"]

    world.cli("review", "distinct", str(held["id"]), "--by", "karin")

    unmatched = {line["id"] for line in world.cli("review", "unmatched")["lines"]}
    assert {held["id"], held["possible_duplicate_of"]} <= unmatched


def test_a_pending_notification_that_books_later_is_one_line_and_booked_once(world: World) -> None:
    facts = world.invoice(at_least=Decimal(1000))
    payment = _payment(world, facts, 9, facts.outstanding)
    world.deliver("pending.xml", camt054([payment], "BG-NTF-P1", status="PDNG"))
    world.cycle()
    assert world.payments_on(facts.number) == []  # pending money is never booked
    world.deliver("booked.xml", camt054([payment], "BG-NTF-P2"))
    world.cycle()

    (line,) = world.lines()
    assert (line.status, line.booking_date) == ("booked", world.sandbox.today())
    assert world.payments_on(facts.number) == [facts.outstanding]


def test_two_overlapping_statements_pair_their_shared_days_lines_one_to_one(world: World) -> None:
    day = world.sandbox.today()
    # two identical card refunds without any bank reference on the shared day
    tuesday = [
        BankPayment(2, day, Decimal(129), "KORTKÖP", text="ÅTERBETALNING"),
        BankPayment(3, day, Decimal(129), "KORTKÖP", text="ÅTERBETALNING"),
    ]
    monday = [BankPayment(1, day - dt.timedelta(days=1), Decimal(300), "Okänd", text="x")]
    world.deliver("s1.xml", camt053([*monday, *tuesday], "SEB053-A", refs=False, details=False))
    world.deliver("s2.xml", camt053(tuesday, "SEB053-B", refs=False, details=False))
    world.cycle()

    assert sorted(line.amount for line in world.lines()) == [Decimal(129), Decimal(129), Decimal(300)]


def test_a_returned_payment_is_proposed_for_undo_and_accepting_deletes_exactly_its_booking(
    world: World,
) -> None:
    facts = world.invoice(at_least=Decimal(1000))
    payment = _payment(world, facts, 5, facts.outstanding)
    world.deliver("ntf.xml", camt054([payment], "BG-NTF-R"))
    world.cycle()
    assert world.payments_on(facts.number) == [facts.outstanding]

    # the next day's statement: the payment, and the bank sending it back (account closed)
    world.deliver("stmt.xml", camt053([payment], "SEB053-R", extra=[returned(payment, payment.day, 2)]))
    world.cycle()
    world.cycle()
    assert world.payments_on(facts.number) == [facts.outstanding]  # nothing is undone by itself

    (proposal,) = world.cli("review", "list")["reversals"]
    assert (proposal["amount"], proposal["return_reason"]) == (str(facts.outstanding), "AC04")
    assert [undo["invoice"] for undo in proposal["undo"]] == [facts.number]
    assert "reference" in proposal["why"]
    assert world.cli("status")["companies"][0]["reversals_waiting"] == 1

    world.cli("review", "accept", proposal["ref"], "--by", "maria")
    world.cycle()

    assert world.payments_on(facts.number) == []
    assert world.cli("review", "list")["reversals"] == []
    world.cycle()
    assert world.payments_on(facts.number) == []  # the returned money is never booked again


@pytest.mark.parametrize("details_first", [True, False])
def test_a_deposits_total_in_the_statement_and_its_details_in_the_notification_count_once(
    world: World, details_first: bool
) -> None:
    first = world.invoice(at_least=Decimal(100))
    second = world.invoice(at_least=Decimal(100), skip=1)
    payments = [_payment(world, first, 1, first.outstanding), _payment(world, second, 2, second.outstanding)]
    files = [
        ("ntf.xml", deposit_notification(payments, "BG-DEP-1", "BGDEP-77")),
        ("stmt.xml", deposit_statement(payments, "SEB053-DEP", "BGDEP-77")),
    ]
    if not details_first:
        files.reverse()
    for name, data in files:
        world.deliver(name, data)
        world.cycle()

    assert world.payments_on(first.number) == [first.outstanding]
    assert world.payments_on(second.number) == [second.outstanding]
    (batch,) = [line for line in world.lines() if line.is_batch]
    assert sorted(line.amount for line in world.lines() if line.parent_id == batch.id) == sorted(
        p.amount for p in payments
    )


def test_a_stripe_payout_exported_twice_and_credited_in_two_files_books_each_card_payment_once(
    world: World,
) -> None:
    card = [world.invoice(at_least=Decimal(100)), world.invoice(at_least=Decimal(100), skip=1)]
    moment = dt.datetime.combine(world.sandbox.today(), dt.time(9))
    charges = tuple(
        StripeCharge(f"ch_3Twice{i}", f.number, f.customer, "", f.outstanding, Decimal("4.50"), moment)
        for i, f in enumerate(card)
    )
    day = BankDay(world.sandbox.today(), (), "po_1Twice", charges)
    credit = BankPayment(3, day.day, day.payout_net, "STRIPE PAYMENTS EUROPE LTD", text="STRIPE po_1Twice")

    world.deliver("stripe.csv", stripe_csv(day))
    world.deliver("stripe-again.csv", stripe_csv(day) + b"\n")
    world.deliver("ntf.xml", camt054([credit], "SEB-NTF-S"))
    world.cycle()
    world.deliver("stmt.xml", camt053([credit], "SEB053-S"))
    world.cycle()

    for facts in card:
        assert world.payments_on(facts.number) == [facts.outstanding - Decimal("4.50")]
    assert [line.amount for line in world.lines()] == [day.payout_net]
