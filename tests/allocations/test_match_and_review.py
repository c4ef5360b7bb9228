"""The match job and a person's review, through the real pipeline on both databases.

A sandbox company's bank day is imported and matched; what the matcher was sure of is pushed,
what it was not waits for review; accepting, rejecting and re-matching behave as a finance person
expects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from syncd.allocations import review
from syncd.allocations.match_stage import run_match
from syncd.allocations.tables import Allocation, PayerAlias, RejectedPair
from syncd.app import App
from syncd.cli import main
from syncd.daemon.cycle import CompanyCycle
from syncd.db import utcnow
from syncd.demo.bankday import bank_files
from syncd.demo.run import settings_for, write_inbox
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.mirror.tables import Company, Invoice
from syncd.outbox.tables import OutboxCommand
from syncd.sandbox import Sandbox, SandboxTransport
from tests.conftest import Database


@dataclass
class World:
    sandbox: Sandbox
    company: DemoCompany
    app: App
    inbox: Path

    def pk(self) -> int:
        with self.app.sessions() as session:
            pk = session.scalar(select(Company.id).where(Company.bokio_company_id == self.company.id))
        assert pk is not None
        return pk

    def cycle(self) -> CompanyCycle:
        return CompanyCycle(self.app, self.app.settings.companies[0])


@pytest.fixture
def world(database: Database, tmp_path: Path) -> Iterator[World]:
    sandbox, company = build_sandbox(seed=4)
    inbox = tmp_path / "inbox"
    settings = settings_for(
        company, base_url="http://sandbox.test/v1", database=tmp_path / "unused", inbox=inbox
    )
    settings = settings.model_copy(update={"database_url": SecretStr(database.url)})
    app = App(settings, transport=SandboxTransport(sandbox), clock=sandbox.clock)
    _plan, files = bank_files(
        open_invoices(sandbox, company.id), day=sandbox.today(), seed=4, creditor=company.creditor
    )
    inbox.mkdir(parents=True)
    write_inbox(inbox, files)
    try:
        yield World(sandbox, company, app, inbox)
    finally:
        app.close()


def test_auto_accepted_allocations_are_pushed_and_uncertain_ones_wait_for_review(world: World) -> None:
    report = world.cycle().run()
    assert report.ok, report.to_json()
    with world.app.sessions() as session:
        states = dict(
            session.execute(select(Allocation.state, func.count()).group_by(Allocation.state)).all()
        )
        pushed = session.scalar(
            select(func.count()).select_from(Allocation).where(Allocation.push_state == "done")
        )
        proposals = review.pending(session, world.pk())
    assert states.get("accepted", 0) >= 7
    assert pushed == states["accepted"]
    tiers = {a.tier for p in proposals for a in p.allocations}
    assert {"ocr_repair", "payer_amount"} <= tiers
    assert all(a.explanation for p in proposals for a in p.allocations)


def test_matching_twice_proposes_nothing_new(world: World) -> None:
    world.cycle().run()
    with world.app.sessions() as session:
        before = session.scalar(select(func.count()).select_from(Allocation))
    now = world.app.clock()
    again = run_match(world.app.sessions, world.app.settings.companies[0], now=now, today=now.date())
    with world.app.sessions() as session:
        after = session.scalar(select(func.count()).select_from(Allocation))
    assert after == before
    assert again.auto_accepted == 0
    assert again.for_review == 0


def test_accepting_a_proposal_queues_its_push_and_confirms_the_payer_as_an_alias(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clean_env: dict
) -> None:
    world.cycle().run()
    with world.app.sessions() as session:
        payer = next(
            p for p in review.pending(session, world.pk()) if p.allocations[0].tier == "payer_amount"
        )
    _use_cli_settings(world, monkeypatch)
    capsys.readouterr()
    assert main(["review", "show", payer.group_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["allocations"][0]["would_push"][0].startswith("payment ")
    assert main(["review", "accept", str(payer.allocations[0].id), "--by", "karin"]) == 0
    with world.app.sessions() as session:
        row = session.get(Allocation, payer.allocations[0].id)
        assert row is not None
        assert (row.state, row.decided_by, row.push_state) == ("accepted", "karin", "pending")
        commands = session.scalars(
            select(OutboxCommand.kind).where(OutboxCommand.allocation_id == row.id)
        ).all()
        alias = session.scalar(select(PayerAlias).where(PayerAlias.payer_name == payer.bank_line.payer_name))
    assert list(commands)[:2] == ["create_payment", "record_payment"]
    assert alias is not None
    assert alias.confirmations == 1
    assert world.cycle().push().ok


def test_a_rejected_pair_is_never_proposed_again(world: World) -> None:
    world.cycle().run()
    with world.app.sessions.begin() as session:
        proposal = review.pending(session, world.pk())[0]
        review.reject(session, world.pk(), proposal.group_id, by="karin", now=utcnow())
    company = world.app.settings.companies[0]
    now = world.app.clock()
    run_match(world.app.sessions, company, now=now, today=now.date())
    with world.app.sessions() as session:
        pairs = session.scalar(select(func.count()).select_from(RejectedPair))
        again = session.scalars(
            select(Allocation).where(
                Allocation.bank_transaction_id == proposal.bank_line.id,
                Allocation.invoice_bokio_id == proposal.allocations[0].invoice_bokio_id,
                Allocation.state == "proposed",
            )
        ).all()
    assert pairs == len(proposal.allocations)
    assert again == []


def test_accepting_is_refused_when_the_invoice_was_paid_meanwhile(world: World) -> None:
    world.cycle().run()
    with world.app.sessions() as session:
        proposal = next(
            p for p in review.pending(session, world.pk()) if p.allocations[0].tier == "ocr_repair"
        )
    invoice_id = proposal.allocations[0].invoice_bokio_id
    with world.sandbox.lock:
        books = world.sandbox.books(world.company.id)
        remaining = books.remaining(invoice_id)
        books.create_payment(invoice_id, {"date": str(world.sandbox.today()), "sumBaseCurrency": remaining})
    assert world.cycle().pull(refresh=True).ok
    with world.app.sessions.begin() as session, pytest.raises(review.DecisionError, match="no longer has"):
        review.accept(session, world.pk(), proposal.group_id, by="karin", payment_account=1930, now=utcnow())


def _use_cli_settings(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the environment: point it at the same database and company."""
    monkeypatch.setenv("SYNCD_DATABASE_URL", world.app.database_url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", world.company.id)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", world.company.token)


def test_after_a_push_the_mirror_already_shows_what_bokio_shows_without_reading_it_back(world: World) -> None:
    world.cycle().run()
    with world.app.sessions() as session:
        pushed = session.scalars(
            select(Allocation.invoice_bokio_id).where(Allocation.push_state == "done")
        ).all()
        mirror = {
            row.bokio_id: row
            for row in session.scalars(select(Invoice).where(Invoice.bokio_id.in_(list(pushed))))
        }
    assert pushed
    with world.sandbox.lock:
        books = world.sandbox.books(world.company.id)
        for invoice_id in pushed:
            bokio = books.view(world.sandbox.companies[world.company.id].invoices[invoice_id])
            assert mirror[invoice_id].paid_amount == bokio["paidAmount"]
            assert mirror[invoice_id].status == bokio["status"]
            assert mirror[invoice_id].outstanding == books.remaining(invoice_id)
    refresh = world.app.puller().refresh_open_invoices(world.app.settings.companies[0])
    assert refresh.rows_for("invoices").written == 0, "the next scan found nothing the push had not mirrored"
