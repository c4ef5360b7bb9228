"""Random Bokio-side changes interleaved with pulls: the mirror never keeps a stale open invoice.

After every incremental pull each OPEN invoice (in Bokio or in the mirror) equals Bokio, raw JSON
and derived outstanding; after a full sweep everything does (soft-deleted drafts, payments,
settlements, credit notes, customers). One migrated database per backend; each example starts
by emptying it (faster than a new database per example, and just as clean).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from sqlalchemy import delete

from syncd.domain import invoice_math as im
from syncd.domain.money import quantize
from syncd.mirror.tables import (
    Account,
    Company,
    CreditNote,
    Customer,
    FiscalYear,
    Invoice,
    InvoicePayment,
    InvoiceSettlement,
    RequestLedger,
    SyncState,
)
from syncd.sandbox import ApiError
from syncd.sandbox.seed import (
    Mix,
    create_published_invoice,
    credit_fully,
    edit_customer,
    pay_invoice,
    seed_demo,
)
from syncd.sandbox.seed import settle_invoice as settle
from tests.conftest import Database
from tests.pull.harness import (
    COMPANY,
    TOKEN,
    World,
    assert_everything_matches,
    assert_open_invoices_match,
    company_settings,
    make_app,
    make_sandbox,
)

TABLES = (
    InvoicePayment,
    InvoiceSettlement,
    CreditNote,
    Invoice,
    Customer,
    Account,
    FiscalYear,
    SyncState,
    RequestLedger,
)
NAMES = ("Granit Bygg AB", "Tall Data AB", "Anna Persson", "Mälar El AB")


def _empty(database: Database) -> None:
    with database.sessions.begin() as session:
        for model in TABLES:
            session.execute(delete(model))
        session.execute(delete(Company))


class MirrorMachine(RuleBasedStateMachine):
    database: Database

    def __init__(self) -> None:
        super().__init__()
        _empty(self.database)
        self.sandbox = make_sandbox()
        seed_demo(self.sandbox, company_id=COMPANY, token=TOKEN, customers=4, invoices=12, mix=Mix(eur=0.3))
        self.app = make_app(self.database.url, self.sandbox)
        self.world = World(self.sandbox, self.app, self.app.puller(), company_settings())
        self.world.pull(full=True)

    def teardown(self) -> None:
        self.app.close()

    # ----- Bokio-side changes ------------------------------------------------------------------
    def _books(self):  # type: ignore[no-untyped-def]
        return self.sandbox.books(COMPANY)

    def _pick(self, index: int, *statuses: str) -> str | None:
        books = self._books()
        ids = sorted(i for i, inv in books.company.invoices.items() if books.view(inv)["status"] in statuses)
        return ids[index % len(ids)] if ids else None

    @rule(
        days_ago=st.integers(0, 120),
        quantity=st.integers(1, 5),
        price=st.integers(50, 3000),
        rate=st.sampled_from([0, 6, 12, 25]),
        publish=st.booleans(),
        eur=st.booleans(),
    )
    def create_invoice(
        self, *, days_ago: int, quantity: int, price: int, rate: int, publish: bool, eur: bool
    ) -> None:
        line = {
            "itemType": "salesItem",
            "description": "Arbete",
            "productType": "services",
            "unitType": "hour",
            "quantity": Decimal(quantity),
            "unitPrice": Decimal(price),
            "taxRate": Decimal(rate),
        }
        with self.sandbox.lock:
            books = self._books()
            customer = sorted(books.company.customers)[days_ago % len(books.company.customers)]
            on = (self.sandbox.today() - dt.timedelta(days=days_ago)).isoformat()
            extra = {"currency": "EUR", "currencyRate": Decimal("11.4520")} if eur else {}
            if publish:
                create_published_invoice(books, customer, [line], on, **extra)
            else:
                books.create_invoice(
                    {"customerRef": {"id": customer}, "invoiceDate": on, "lineItems": [line], **extra}
                )

    @rule(index=st.integers(0, 50), share=st.sampled_from(["0.3", "0.5", "1", "1.1"]))
    def pay(self, index: int, share: str) -> None:
        with self.sandbox.lock:
            target = self._pick(index, *im.OPEN_STATUSES)
            if target is None:
                return
            amount = quantize(self._books().remaining(target) * Decimal(share))
            if amount > 0:
                pay_invoice(self._books(), target, amount, self.sandbox.today().isoformat())

    @rule(index=st.integers(0, 50), fee=st.integers(1, 40))
    def settle_fee(self, index: int, fee: int) -> None:
        with self.sandbox.lock:
            target = self._pick(index, *im.OPEN_STATUSES)
            if target is not None:
                with contextlib.suppress(ApiError):
                    settle(self._books(), target, "bankFee", Decimal(fee), self.sandbox.today().isoformat())

    @rule(index=st.integers(0, 50))
    def credit(self, index: int) -> None:
        with self.sandbox.lock:
            target = self._pick(index, "published")
            if target is not None:
                credit_fully(self._books(), target)

    @rule(index=st.integers(0, 50))
    def delete_draft(self, index: int) -> None:
        with self.sandbox.lock:
            target = self._pick(index, "draft")
            if target is not None:
                self._books().delete_invoice(target)

    @rule(index=st.integers(0, 10), name=st.sampled_from(NAMES))
    def edit_a_customer(self, index: int, name: str) -> None:
        with self.sandbox.lock:
            books = self._books()
            customer = sorted(books.company.customers)[index % len(books.company.customers)]
            edit_customer(books, customer, name=name)

    @rule(seconds=st.sampled_from([0, 1, 59, 3600, 86400 * 3]))
    def time_passes(self, seconds: int) -> None:
        self.world.clock.advance(seconds)

    # ----- pulls and their invariants -----------------------------------------------------------
    @rule()
    def incremental_pull(self) -> None:
        report = self.world.pull()
        assert not report.problems
        with self.app.sessions() as session:
            assert_open_invoices_match(self.sandbox, session)

    @rule()
    def bank_data_arrives(self) -> None:
        report = self.world.puller.refresh_open_invoices(self.world.company, now=self.world.clock())
        assert not report.problems
        with self.app.sessions() as session:
            assert_open_invoices_match(self.sandbox, session)

    @rule()
    def full_sweep(self) -> None:
        report = self.world.pull(full=True)
        assert not report.problems
        with self.app.sessions() as session:
            assert_everything_matches(self.sandbox, session)


@pytest.mark.slow
def test_incremental_pulls_keep_open_invoices_equal_to_bokio_and_sweeps_keep_everything(
    database: Database,
) -> None:
    MirrorMachine.database = database
    run_state_machine_as_test(
        MirrorMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
