"""A sandbox company with published invoices, and a database with accepted allocations for them."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.allocations.push import enqueue_allocation
from syncd.allocations.tables import Allocation
from syncd.app import App
from syncd.bokio import RateLimiter, RetryPolicy
from syncd.ingest.tables import BankFile, BankTransaction
from syncd.mirror import repo
from syncd.outbox.client import company_client
from syncd.outbox.pusher import Pusher, PushPolicy
from syncd.outbox.store import next_wakeup
from syncd.outbox.tables import OutboxCommand
from syncd.pull import PullReport
from syncd.sandbox import Limits, Sandbox
from syncd.sandbox.seed import create_published_invoice
from syncd.sandbox.server import running
from syncd.settings import BokioSettings, CompanySettings, Settings

COMPANY = "5f0c1e2a-1111-4a4a-8b8b-000000000001"
TOKEN = "sandbox-token-outbox"
FEE = Decimal("12.50")


serving = running  # the sandbox server turns Nagle off itself


def make_sandbox(**limits: Any) -> Sandbox:
    """A sandbox without rate limit or quota unless asked (tests script those as faults)."""
    options: dict[str, Any] = {"rate_limit": None, "monthly_quota": None}
    options.update(limits)
    sandbox = Sandbox(limits=Limits(**options))
    sandbox.add_company(COMPANY, token=TOKEN)
    return sandbox


def publish_invoices(sandbox: Sandbox, count: int, *, unit_price: int = 1000) -> list[str]:
    """``count`` published invoices of one customer; returns their ids."""
    with sandbox.lock:
        books = sandbox.books(COMPANY)
        customer = books.create_customer(
            {"name": "Fjällbygg AB", "type": "company", "paymentTerms": "30"}, via_api=False
        )
        today = sandbox.today().isoformat()
        line = {
            "itemType": "salesItem",
            "description": "Konsulttimmar",
            "productType": "services",
            "unitType": "hour",
            "quantity": Decimal(1),
            "unitPrice": Decimal(unit_price),
            "taxRate": Decimal(25),
        }
        return [
            str(create_published_invoice(books, customer["id"], [dict(line)], today)["id"])
            for _ in range(count)
        ]


def accept_allocations(
    sessions: sessionmaker[Session],
    sandbox: Sandbox,
    invoices: list[str],
    *,
    settlement: bool = True,
    tag: bool = True,
    first_index: int = 0,
) -> list[int]:
    """One accepted allocation per invoice (payment of the rest minus a bank fee settlement)."""
    today = sandbox.today()
    ids: list[int] = []
    with sessions.begin() as session:
        company = repo.ensure_company(session, COMPANY)
        bank_file = BankFile(
            company_id=company.id, content_hash="h" * 64, filename="x.xml", size_bytes=1, status="imported"
        )
        bank_file = session.scalar(select(BankFile).where(BankFile.company_id == company.id)) or bank_file
        session.add(bank_file)
        session.flush()
        for index, invoice in enumerate(invoices, start=first_index):
            with sandbox.lock:
                remaining = sandbox.books(COMPANY).remaining(invoice)
            paid = remaining - FEE if settlement else remaining
            txn = BankTransaction(
                company_id=company.id,
                bank_file_id=bank_file.id,
                fingerprint=f"fp-{index}",
                booking_date=today,
                value_date=today,
                amount=paid,
                currency="SEK",
                direction="credit",
            )
            session.add(txn)
            session.flush()
            allocation = Allocation(
                company_id=company.id,
                bank_transaction_id=txn.id,
                invoice_bokio_id=invoice,
                group_id=f"g{index}",
                tier="ocr_exact",
                kind="payment",
                decision="auto",
                confidence=100,
                state="accepted",
                amount=remaining,
                amount_sek=paid,
                cash=paid,
                consumed=paid,
                payment_date=today,
                settlements={"items": [{"type": "bankFee", "amount": FEE}]} if settlement else {},
            )
            session.add(allocation)
            session.flush()
            enqueue_allocation(session, allocation, payment_account=1930, tag=tag)
            ids.append(allocation.id)
    return ids


def company_pk(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return repo.ensure_company(session, COMPANY).id


AHEAD = dt.timedelta(minutes=10)
"""How far the fake clock starts ahead of the wall clock: a new command's ``next_attempt_at`` is
stamped by the wall clock when it is written, so on a loaded machine a clock started *at* the wall
clock could still be behind it when the test first runs the pusher, and nothing would be due."""


class FakeClock:
    """One clock for the pusher, the client's limiter and its retry sleeps: tests never sleep."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime.now(dt.UTC) + AHEAD
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.now().timestamp()

    def sleep(self, seconds: float) -> None:
        """Advance by at least a microsecond (datetime's resolution), so a limiter's wait always ends."""
        self.advance(max(math.ceil(seconds * 1_000_000), 1) / 1_000_000)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=max(seconds, 0.0))

    def advance_to(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = max(self._now, when)


@dataclass
class Harness:
    """A pusher on a served sandbox with an injected clock."""

    sessions: sessionmaker[Session]
    sandbox: Sandbox
    base_url: str
    clock: FakeClock = field(default_factory=FakeClock)
    http: httpx.Client | None = None
    requests: list[str] = field(default_factory=list)

    def pusher(self, **options: Any) -> Pusher:
        self.http = self.http or httpx.Client(timeout=httpx.Timeout(5.0, read=options.pop("read_s", 5.0)))
        limiter = RateLimiter(clock=self.clock.monotonic, sleep=self.clock.sleep)
        client = company_client(
            self.http,
            base_url=self.base_url,
            token=TOKEN,
            company_id=COMPANY,
            limiter=limiter,
            on_request=lambda record: self.requests.append(f"{record.method} {record.path_template}"),
            retry=RetryPolicy(max_attempts=3, base_delay_s=0.5),
            now=self.clock.now,
        )
        policy = options.pop("policy", PushPolicy())
        return Pusher(
            self.sessions,
            client,
            company_id=company_pk(self.sessions),
            owner=AllocationLifecycle(),
            policy=policy,
            now=self.clock.now,
            **options,
        )

    def drive(
        self, pusher: Pusher, *, on_idle: Callable[[], None] | None = None, max_rounds: int = 500
    ) -> int:
        """Run the pusher until nothing is left, jumping the clock over every wait."""
        pusher.recover()
        rounds = 0
        while rounds < max_rounds:
            rounds += 1
            if pusher.run_once():
                continue
            if on_idle is not None:
                on_idle()
            with self.sessions() as session:
                wake = next_wakeup(session, self.clock.now(), pusher.company_id)
            if wake is None:
                return rounds
            self.clock.advance_to(wake + dt.timedelta(milliseconds=1))
        raise AssertionError("the pusher did not finish")

    def close(self) -> None:
        if self.http is not None:
            self.http.close()


def bokio_state(sandbox: Sandbox, invoices: list[str]) -> list[dict[str, Any]]:
    """What matters per invoice, without ids: payments and settlements, recorded or not, and tags."""
    state = []
    with sandbox.lock:
        company = sandbox.companies[COMPANY]
        for invoice in invoices:
            payments = sorted(
                (str(p["date"]), str(p["sumBaseCurrency"]), p["journalEntryRef"] is not None)
                for p in company.payments.get(invoice, {}).values()
            )
            settlements = sorted(
                (
                    s["type"],
                    str(s["invoiceSettlementDetails"]["sumBaseCurrency"]),
                    s["journalEntryRef"] is not None,
                )
                for s in company.settlements.get(invoice, {}).values()
            )
            entry_ids = [
                x["journalEntryRef"]["id"]
                for x in [
                    *company.payments.get(invoice, {}).values(),
                    *company.settlements.get(invoice, {}).values(),
                ]
                if x["journalEntryRef"]
            ]
            tagged = sorted(len(company.journal_entries[e]["tags"]) for e in entry_ids)
            state.append({"payments": payments, "settlements": settlements, "tags": tagged})
    return state


def command_states(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        found: dict[str, int] = {}
        for state in session.scalars(select(OutboxCommand.state)):
            found[state] = found.get(state, 0) + 1
        return found


def allocations(sessions: sessionmaker[Session]) -> list[Allocation]:
    with sessions() as session:
        return list(session.scalars(select(Allocation).order_by(Allocation.id)))


@dataclass
class Mirror:
    """syncd's puller on the same database and clock as a harness: pulls run the duplicate detector."""

    app: App
    clock: FakeClock

    @property
    def company(self) -> CompanySettings:
        return self.app.settings.companies[0]

    def pull(self, **options: Any) -> PullReport:
        return self.app.puller().pull(self.company, now=self.clock.now(), **options)

    def close(self) -> None:
        self.app.close()


def mirror(
    database_url: str, clock: FakeClock, base_url: str, transport: httpx.BaseTransport | None = None
) -> Mirror:
    """A puller for the world's company over HTTP (or ``transport``), on the injected clock."""
    settings = Settings(
        database_url=SecretStr(database_url),
        bokio=BokioSettings(base_url=base_url, rate_limit_per_minute=1_000_000),
        companies=(CompanySettings.model_validate({"id": COMPANY, "token": SecretStr(TOKEN)}),),
    )
    return Mirror(App(settings, transport=transport, clock=clock.now), clock)


def live_objects(sandbox: Sandbox, invoice: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The invoice's payments and settlements in Bokio, in creation order."""
    with sandbox.lock:
        company = sandbox.companies[COMPANY]
        return (
            [dict(p) for p in company.payments.get(invoice, {}).values()],
            [dict(s) for s in company.settlements.get(invoice, {}).values()],
        )


PAYMENTS = "/companies/*/invoices/*/payments"


def syncd_env(database_url: str, base_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``syncd`` subprocess serving the world's company (``extra``: SYNCD_* keys)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNCD_")}
    env.update(
        SYNCD_DATABASE_URL=database_url,
        SYNCD_COMPANY_ID=COMPANY,
        SYNCD_BOKIO_TOKEN=TOKEN,
        SYNCD_BOKIO_BASE_URL=base_url,
        SYNCD_LOG_LEVEL="WARNING",
        SYNCD_BOKIO__RATE_LIMIT_PER_MINUTE="100000",  # the sandbox here has no rate limit either
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    env.update(extra)
    return env


def syncd(env: dict[str, str], cwd: Path, *argv: str, output: bool = False) -> subprocess.Popen[bytes]:
    """Start ``python -m syncd *argv`` (stdout/stderr piped when ``output``)."""
    pipe = subprocess.PIPE if output else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", *argv], env=env, cwd=cwd, stdout=pipe, stderr=pipe
    )


def wait_for(condition: Callable[[], bool], *, while_alive: subprocess.Popen[bytes] | None = None) -> bool:
    """Poll ``condition`` (generous 60 s bound); stop early, False, if ``while_alive`` exits first."""
    done = threading.Event()
    for _ in range(60_000):
        if condition():
            return True
        if while_alive is not None and while_alive.poll() is not None:
            return condition()
        done.wait(0.001)
    return False


def create_command(
    sessions: sessionmaker[Session], invoice: str, kind: str = "create_payment"
) -> OutboxCommand:
    with sessions() as session:
        command = session.scalar(
            select(OutboxCommand).where(OutboxCommand.invoice_bokio_id == invoice, OutboxCommand.kind == kind)
        )
        assert command is not None
        return command
