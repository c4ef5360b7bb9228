"""The demo company after one full cycle (bookings, proposals, unmatched money), served to a browser.

A ``DemoWorld`` is what ``syncd demo`` builds — the sandbox over HTTP, the bank day in an inbox,
one cycle — on the test's database, with web users: ``alice`` and ``carol`` may decide for the
company, ``bob`` may see another company only. Two worlds of the same seed are the same books,
so one can be decided through the web and the other through the CLI and the two compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url

from syncd.allocations.tables import Allocation
from syncd.app import App
from syncd.cli import main
from syncd.daemon.cycle import CompanyCycle
from syncd.demo.bankday import bank_files
from syncd.demo.run import settings_for, write_inbox
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.sandbox import Sandbox
from syncd.sandbox.server import running
from syncd.settings import WebSettings, WebUser
from syncd.web.auth import hash_password
from syncd.web.server import serving
from tests.conftest import Database

SEED = 1
PASSWORD = "correct horse battery"
SESSION_SECRET = "web-session-secret-7c1f0a9e"
DB_PASSWORD = "db-pass-5e8d2b"
OTHER_COMPANY = "00000000-0000-4000-8000-000000000001"
_HASH = hash_password(PASSWORD)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_settings(**changes: Any) -> WebSettings:
    users = tuple(
        WebUser(name=name, password_hash=SecretStr(_HASH), companies=companies)
        for name, companies in (("alice", ("*",)), ("carol", ("*",)), ("bob", (OTHER_COMPANY,)))
    )
    return WebSettings(users=users, session_secret=SecretStr(SESSION_SECRET), **changes)


@dataclass
class DemoWorld:
    sandbox: Sandbox
    company: DemoCompany
    app: App
    database_url: str
    url: str
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.company.id

    def push(self) -> None:
        result = CompanyCycle(self.app, self.app.settings.companies[0]).push()
        assert result.ok, result.to_json()

    def client(self) -> httpx.Client:
        """A browser without JavaScript: cookies kept, redirects shown rather than followed."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        self.clients.append(client)
        return client

    def books(self) -> dict[str, Any]:
        """Bokio's side, by invoice number: payments and settlements (amount, date, type), paid amounts."""
        with self.sandbox.lock:
            company = self.sandbox.companies[self.company.id]
            books: dict[str, Any] = {}
            for invoice_id, invoice in company.invoices.items():
                payments = sorted(
                    (str(p.get("sumBaseCurrency")), str(p.get("date")))
                    for p in company.payments.get(invoice_id, {}).values()
                )
                settlements = sorted(
                    (str(s.get("type")), str(s.get("sumBaseCurrency") or s.get("amount")), str(s.get("date")))
                    for s in company.settlements.get(invoice_id, {}).values()
                )
                books[str(invoice.get("invoiceNumber"))] = {"payments": payments, "settlements": settlements}
            return books

    def decisions(self) -> list[tuple[Any, ...]]:
        """syncd's side: every allocation as (line, invoice, state, push, amount, who decided)."""
        with self.app.sessions() as session:
            return [
                (
                    a.bank_transaction_id,
                    a.invoice_number,
                    a.state,
                    a.push_state,
                    a.amount,
                    a.tier,
                    a.decided_by,
                )
                for a in session.scalars(
                    select(Allocation).order_by(Allocation.bank_transaction_id, Allocation.invoice_number)
                )
            ]


@contextmanager
def demo_world(database_url: str, tmp_path: Path, **web: Any) -> Iterator[DemoWorld]:
    """The demo's company after its first cycle, on ``database_url``."""
    sandbox, company = build_sandbox(SEED)
    inbox = tmp_path / f"inbox-{company.id[:8]}-{id(sandbox)}"
    inbox.mkdir()
    with running(sandbox) as server, ExitStack() as stack:
        settings = settings_for(company, base_url=server.url, database=tmp_path / "unused", inbox=inbox)
        settings = settings.model_copy(
            update={
                "database_url": SecretStr(database_url),
                "web": web_settings(**web),
                "state_dir": tmp_path,
            }
        )
        _, files = bank_files(
            open_invoices(sandbox, company.id), day=sandbox.today(), seed=SEED, creditor=company.creditor
        )
        write_inbox(inbox, files)
        app = stack.enter_context(App(settings, clock=sandbox.clock))
        report = CompanyCycle(app, settings.companies[0]).run()
        assert report.ok, report.to_json()
        url = stack.enter_context(serving(app, "127.0.0.1", 0))
        world = DemoWorld(sandbox, company, app, database_url, url)
        try:
            yield world
        finally:
            for client in world.clients:
                client.close()


def with_password(url: str) -> str:
    """The PostgreSQL URL with a password (trust auth ignores it): the pages must never show it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


@pytest.fixture
def world(database: Database, tmp_path: Path) -> Iterator[DemoWorld]:
    with demo_world(with_password(database.url), tmp_path) as built:
        yield built


@pytest.fixture
def cli_runner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs ``syncd`` commands on a world, as an admin types them (settings through the environment)."""

    def run(world: DemoWorld, *argv: str) -> Any:
        settings = world.app.settings
        company = settings.companies[0]
        assert company.token is not None
        for name, value in {
            "SYNCD_DATABASE_URL": settings.database_url.get_secret_value(),
            "SYNCD_BOKIO_BASE_URL": settings.bokio.base_url,
            "SYNCD_COMPANY_ID": str(company.id),
            "SYNCD_BOKIO_TOKEN": company.token.get_secret_value(),
            "SYNCD_BANK_INBOX": str(company.bank_inbox),
        }.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main([*argv, "--json"])
        out = capsys.readouterr()
        assert code == 0, out.err
        return json.loads(out.out, parse_float=Decimal)

    return run


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def login(client: httpx.Client, name: str = "alice", password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "username": name, "password": password, "next": "/"})
