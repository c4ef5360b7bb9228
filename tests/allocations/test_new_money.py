"""Each match cycle costs what is new: a line the matcher left unmatched is not asked about again
until something it could be matched with changes, and then it is.

Full cycles over HTTP against the sandbox (``cycle_world``), on both databases: a payment arrives
that fits no invoice; later a person issues the invoice it pays, rejects a proposal, lets one
expire, or an admin reruns the match.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from syncd.allocations import review
from syncd.allocations.match_stage import MatchReport, run_match
from syncd.allocations.tables import Allocation, LineJudgement
from syncd.clock import business_date
from syncd.ingest.tables import BankTransaction
from syncd.mirror.tables import Company
from tests.cycle_world import World, bokio_client, bokio_post, issue_invoice
from tests.ingest.deliveries import BankPayment, camt054

PAYER = "Sen Kund Aktiebolag"
PRICE = "1000.00"  # 1 250,00 SEK including 25 % VAT


def _match(
    world: World, *, since: dt.date | None = None, later: dt.timedelta = dt.timedelta()
) -> MatchReport:
    now = world.app.clock() + later
    company = world.app.settings.companies[0]
    return run_match(world.app.sessions, company, now=now, today=business_date(now), since=since)


def _payment_arrives(world: World) -> int:
    """A customer syncd has never heard of pays 1 250,00 SEK without a reference; one full cycle."""
    payment = BankPayment(1, world.sandbox.today(), Decimal("1250.00"), PAYER, text="Betalning")
    world.deliver("ntf.xml", camt054([payment], "NTF-NEW-MONEY"))
    world.cycle()
    with world.app.sessions() as session:
        (line_id,) = session.scalars(select(BankTransaction.id).where(BankTransaction.payer_name == PAYER))
    return line_id


def _issue_the_invoice(world: World) -> dict[str, Any]:
    with bokio_client(world) as bokio:
        customer = bokio_post(bokio, "/customers", {"name": PAYER, "type": "company"})
        return issue_invoice(bokio, customer["id"], PRICE, str(world.sandbox.today()))


def _judgement(world: World, line_id: int) -> LineJudgement | None:
    with world.app.sessions() as session:
        return session.scalar(select(LineJudgement).where(LineJudgement.bank_transaction_id == line_id))


def _allocations(world: World, line_id: int) -> list[tuple[str, str]]:
    with world.app.sessions() as session:
        return [
            (row.invoice_bokio_id, row.state)
            for row in session.scalars(
                select(Allocation).where(Allocation.bank_transaction_id == line_id).order_by(Allocation.id)
            )
        ]


def _pk(world: World) -> int:
    with world.app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == world.company.id))
    assert pk is not None
    return pk


def test_a_line_judged_unmatched_is_not_fed_to_the_matcher_again_while_nothing_changes(
    cycle_world: World,
) -> None:
    line_id = _payment_arrives(cycle_world)

    judgement = _judgement(cycle_world, line_id)
    assert judgement is not None
    assert judgement.kind == "unmatched"
    assert _allocations(cycle_world, line_id) == []
    again = _match(cycle_world)
    assert (again.bank_lines, again.unmatched) == (0, 0), "nothing new: nothing fed"
    assert [line["id"] for line in cycle_world.cli("review", "unmatched")["lines"]].count(line_id) == 1


def test_a_new_invoice_that_fits_a_judged_line_reopens_it_and_the_next_cycle_proposes_it(
    cycle_world: World,
) -> None:
    line_id = _payment_arrives(cycle_world)
    assert _match(cycle_world).bank_lines == 0

    invoice = _issue_the_invoice(cycle_world)
    cycle_world.cycle()  # the pull mirrors the invoice; the match stage asks about the line again

    assert _allocations(cycle_world, line_id) == [(invoice["id"], "proposed")]
    assert _judgement(cycle_world, line_id) is None


def test_an_expired_proposal_gives_its_line_back_to_the_matcher(cycle_world: World) -> None:
    line_id = _payment_arrives(cycle_world)
    invoice = _issue_the_invoice(cycle_world)
    cycle_world.cycle()
    assert _allocations(cycle_world, line_id) == [(invoice["id"], "proposed")]

    report = _match(cycle_world, later=dt.timedelta(days=31))

    assert report.expired == 1
    assert report.bank_lines == 1, "the freed line is matched again in the same run"
    assert _allocations(cycle_world, line_id) == [(invoice["id"], "expired"), (invoice["id"], "proposed")]


def test_a_rejected_proposal_gives_its_line_back_and_it_is_judged_again(cycle_world: World) -> None:
    line_id = _payment_arrives(cycle_world)
    invoice = _issue_the_invoice(cycle_world)
    cycle_world.cycle()
    with cycle_world.app.sessions.begin() as session:
        (proposal,) = review.pending(session, _pk(cycle_world))
        review.reject(session, _pk(cycle_world), proposal.group_id, by="karin", now=cycle_world.app.clock())

    report = _match(cycle_world)

    assert report.bank_lines == 1
    assert report.unmatched == 1
    assert _allocations(cycle_world, line_id) == [(invoice["id"], "rejected")]
    judgement = _judgement(cycle_world, line_id)
    assert judgement is not None
    assert judgement.kind == "unmatched"
    assert _match(cycle_world).bank_lines == 0


def test_an_admin_rerun_judges_every_line_in_its_window_again(cycle_world: World) -> None:
    line_id = _payment_arrives(cycle_world)
    assert _match(cycle_world).bank_lines == 0

    today = business_date(cycle_world.app.clock())
    rerun = _match(cycle_world, since=today)
    outside = _match(cycle_world, since=today + dt.timedelta(days=1))

    assert rerun.bank_lines >= 1
    assert rerun.unmatched >= 1
    assert outside.bank_lines == 0
    assert _judgement(cycle_world, line_id) is not None


def test_a_line_brought_back_after_a_dismissal_is_matched_when_its_invoice_comes(cycle_world: World) -> None:
    line_id = _payment_arrives(cycle_world)
    cycle_world.cli("review", "dismiss", str(line_id), "--reason", "owner's deposit", "--by", "karin")
    invoice = _issue_the_invoice(cycle_world)
    cycle_world.cycle()
    assert _allocations(cycle_world, line_id) == [], "a dismissed line is never matched"

    cycle_world.cli("review", "undismiss", str(line_id), "--by", "karin")
    cycle_world.cycle()

    assert _allocations(cycle_world, line_id) == [(invoice["id"], "proposed")]


def test_a_line_booked_after_today_is_not_judged_and_is_matched_once_its_day_comes(
    cycle_world: World,
) -> None:
    invoice = _issue_the_invoice(cycle_world)
    cycle_world.cycle()
    tomorrow = business_date(cycle_world.app.clock()) + dt.timedelta(days=1)
    payment = BankPayment(2, tomorrow, Decimal("1250.00"), PAYER, text="Betalning")
    cycle_world.deliver("ntf.xml", camt054([payment], "NTF-TOMORROW"))
    cycle_world.cycle()
    with cycle_world.app.sessions() as session:
        (line_id,) = session.scalars(select(BankTransaction.id).where(BankTransaction.payer_name == PAYER))
    assert _allocations(cycle_world, line_id) == []
    assert _judgement(cycle_world, line_id) is None

    _match(cycle_world, later=dt.timedelta(days=1))

    assert _allocations(cycle_world, line_id) == [(invoice["id"], "proposed")]
