"""Scaling out: three ``syncd run`` replicas on one PostgreSQL share twelve companies safely."""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syncd.db import make_engine, session_factory
from syncd.demo.payments import BankDay, Payment, Scenario
from syncd.demo.world import DemoCompany, open_invoices
from syncd.demo.writers import Creditor, camt054
from syncd.ingest.tables import BankFile
from syncd.sandbox import Sandbox
from syncd.sandbox.seed import Mix, seed_demo
from syncd.sandbox.server import running
from tests.daemon.test_service import recorded_payments, start_daemon, stop_all, wait_for

pytestmark = pytest.mark.integration

TOKEN = "private-token-of-company-"  # + index: private integrations have a token per company
COMPANIES = 12


@pytest.fixture
def postgres_url(backend: str, database_url: str) -> str:
    if backend != "postgresql":
        pytest.skip("replicas share companies through PostgreSQL advisory locks; SQLite serves one daemon")
    return database_url


def twelve_companies() -> tuple[Sandbox, list[DemoCompany]]:
    sandbox = Sandbox(seed=12)
    rng = random.Random(12)
    companies = []
    for index in range(COMPANIES):
        company_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        seed_demo(
            sandbox,
            company_id=company_id,
            token=f"{TOKEN}{index}",
            customers=8,
            invoices=24,
            seed=100 + index,
            mix=Mix(draft=0, paid=0, partial=0, credited=0, eur=0.1),
        )
        creditor = Creditor(name=f"Bolag {index} AB", bankgiro="5050-1055", iban="SE4550000000058398257466")
        companies.append(DemoCompany(company_id, f"{TOKEN}{index}", f"Bolag {index} AB", creditor))
    return sandbox, companies


def exact_ocr_day(sandbox: Sandbox, company: DemoCompany, inbox: Path) -> list[str]:
    """A camt.054 paying up to four open SEK invoices exactly, by OCR; returns their numbers."""
    chosen = [f for f in open_invoices(sandbox, company.id) if f.currency == "SEK"][:4]
    payments = tuple(
        Payment(Scenario.EXACT_OCR, f.outstanding, f.customer.upper(), (f.number,), reference=f.ocr)
        for f in chosen
    )
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / "camt054.xml"
    partial = inbox / ".camt054.xml.part"
    partial.write_bytes(camt054(BankDay(dt.date(2026, 11, 25), payments, "", ()), company.creditor))
    old = time.time() - 10
    os.utime(partial, (old, old))
    partial.rename(target)
    return [f.number for f in chosen]


def config(path: Path, url: str, database_url: str, companies: list[DemoCompany]) -> Path:
    tables = "\n".join(
        f'[[companies]]\nid = "{c.id}"\nname = "{c.name}"\ntoken = "{c.token}"\nbank_inbox = "{path / c.id}"\n'
        for c in companies
    )
    file = path / "syncd.toml"
    file.write_text(f'database_url = "{database_url}"\n[bokio]\nbase_url = "{url}"\n\n{tables}')
    return file


def test_three_replicas_reconcile_twelve_companies_and_never_write_twice_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    sandbox, companies = twelve_companies()
    expected: dict[str, list[str]] = {}
    with running(sandbox) as server:
        settings_file = config(tmp_path, server.url, postgres_url, companies)
        daemons = []
        for n in range(3):
            notify = tmp_path / f"notify-{n}.sock"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(notify))
            daemons.append(
                (
                    start_daemon(
                        {"SYNCD_CONFIG": str(settings_file)}, (str(notify), sock), tmp_path / f"d{n}.log"
                    ),
                    sock,
                )
            )
        try:
            for company in companies:
                expected[company.id] = exact_ocr_day(sandbox, company, tmp_path / company.id)
            logs = "\n".join((tmp_path / f"d{n}.log").read_text()[-1500:] for n in range(3))
            wait_for(
                lambda: all(recorded_payments(sandbox, cid, numbers) for cid, numbers in expected.items()),
                timeout=150,
                what=f"every company reconciled; logs:\n{logs}",
            )
        finally:
            codes = stop_all([(daemon, tmp_path / f"d{n}.log") for n, (daemon, _sock) in enumerate(daemons)])
            for _daemon, sock in daemons:
                sock.close()
    assert codes == [0, 0, 0]

    high = sandbox.high_water()
    for company in companies:
        assert high.get(f"{company.id} writes", 0) <= 1, f"two writers at once on {company.id}"
    _assert_no_duplicates(sandbox, companies)
    engine = make_engine(postgres_url)
    try:
        with session_factory(engine)() as session:
            files = session.scalar(select(func.count()).select_from(BankFile))
    finally:
        engine.dispose()
    assert files == COMPANIES, "every file imported exactly once across the replicas"
    worked = [log for n in range(3) if "stage.done" in (log := (tmp_path / f"d{n}.log").read_text())]
    assert len(worked) >= 2, "the companies were shared, not all served by one replica"


def _assert_no_duplicates(sandbox: Sandbox, companies: list[DemoCompany]) -> None:
    """No invoice received more than it was owed: nothing was booked twice."""
    with sandbox.lock:
        for company in companies:
            books = sandbox.books(company.id)
            for invoice_id in sandbox.companies[company.id].invoices:
                assert books.remaining(invoice_id) >= Decimal(0), invoice_id
