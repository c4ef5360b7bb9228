"""Property: however a bank delivers its payments, no krona is counted or booked twice, none is lost.

A bank's truth (OCR payments in full and in part, strangers' transfers with colliding amounts, on
two days, and a Stripe payout of two card payments) is delivered in random formats, orders and repetitions — intraday camt.054 notifications
(pending or booked, with or without the bank's reference), complete camt.053 day statements (with
or without details), the day's bankgiro deposit as camt.054 details, BgMax or a camt.053 batch
total, Stripe's payout report (exported twice), messages re-sent with a new id — with full cycles (import →
pull → match → push against the sandbox) run between random steps. After every step:

- no amount is stored as matchable bank money more often than distinct payments of that amount
  were delivered (nothing counted twice);
- every delivered payment is still there — matchable, pending, or held for a person (nothing lost);
- no invoice in Bokio holds more payments than its customer made (nothing booked twice).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from pydantic import SecretStr
from sqlalchemy import func, select

from syncd.app import App
from syncd.daemon.cycle import CompanyCycle
from syncd.db import Base
from syncd.demo.payments import BankDay, StripeCharge
from syncd.demo.run import settings_for, write_inbox
from syncd.demo.world import build_sandbox, open_invoices
from syncd.demo.writers import stripe_csv
from syncd.ingest.tables import (
    MATCHABLE_IDENTITIES,
    POSSIBLE_DUPLICATE,
    BankTransaction,
    PspCharge,
    PspPayout,
)
from syncd.sandbox import SandboxTransport
from tests.conftest import Database
from tests.ingest.deliveries import (
    BankPayment,
    bgmax,
    camt053,
    camt054,
    deposit_notification,
    deposit_statement,
)

PAYOUT = "po_1SyncdDeliveries"


def _empty(database: Database) -> None:
    with database.sessions.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


class Deliveries(RuleBasedStateMachine):
    database: Database

    def __init__(self) -> None:
        super().__init__()
        _empty(self.database)
        self.sandbox, self.company = build_sandbox(seed=21)
        self.inbox = Path(tempfile.mkdtemp(prefix="syncd-deliveries-"))
        config = settings_for(
            self.company, base_url="http://sandbox.test/v1", database=self.inbox, inbox=self.inbox
        )
        config = config.model_copy(update={"database_url": SecretStr(self.database.url)})
        self.app = App(config, transport=SandboxTransport(self.sandbox), clock=self.sandbox.clock)
        self.truth, self.meant_for = self._bank_truth()
        self.delivered: set[int] = set()  # keys of payments imported as booked
        self.seen: set[int] = set()  # … in any state
        self.waiting: list[tuple[set[int], bool]] = []  # in the inbox, not imported yet
        self.files = 0

    def _bank_truth(self) -> tuple[list[BankPayment], dict[int, tuple[str, Decimal]]]:
        today = self.sandbox.today()
        with self.sandbox.lock:  # invoices nobody paid anything of yet: Bokio holds only what syncd books
            paid = {
                inv_id for inv_id, found in self.sandbox.companies[self.company.id].payments.items() if found
            }
            numbers = {
                inv["invoiceNumber"]
                for inv_id, inv in self.sandbox.companies[self.company.id].invoices.items()
                if inv_id not in paid
            }
        invoices = sorted(
            (
                f
                for f in open_invoices(self.sandbox, self.company.id)
                if f.currency == "SEK" and f.number in numbers
            ),
            key=lambda f: f.number,
        )[:7]
        invoices, card_paid = invoices[:5], invoices[5:]
        truth: list[BankPayment] = []
        meant: dict[int, tuple[str, Decimal]] = {}
        for key, facts in enumerate(invoices, 1):
            amount = (
                facts.outstanding
                if key % 2
                else min(Decimal(1000), facts.outstanding / 2).quantize(Decimal("0.01"))
            )
            day = today - dt.timedelta(days=key % 2)
            truth.append(BankPayment(key, day, amount, facts.customer, ocr=facts.ocr))
            meant[key] = (facts.number, amount)
        for key in (6, 7):  # strangers whose amounts collide with a customer's, on the same day
            twin = truth[key - 6]
            truth.append(BankPayment(key, twin.day, twin.amount, "Okänd Betalare", text=f"Lån {key}"))
        # two invoices paid by card: Stripe pays them out in one transfer (key 8), net of its fees
        moment = dt.datetime.combine(today, dt.time(9))
        self.charges = tuple(
            StripeCharge(f"ch_3Syncd{i}", f.number, f.customer, "", f.outstanding, Decimal("4.50"), moment)
            for i, f in enumerate(card_paid)
        )
        self.stripe_day = BankDay(today, (), PAYOUT, self.charges)
        truth.append(
            BankPayment(
                8, today, self.stripe_day.payout_net, "STRIPE PAYMENTS EUROPE LTD", text=f"STRIPE {PAYOUT}"
            )
        )
        for i, f in enumerate(card_paid):
            meant[9 + i] = (f.number, f.outstanding)
        return truth, meant

    def teardown(self) -> None:
        self.app.close()

    def _deliver(self, data: bytes, suffix: str) -> None:
        self.files += 1
        write_inbox(self.inbox, {f"{self.files:03d}-{suffix}": data})

    @rule(resend=st.booleans())
    def stripe_report(self, resend: bool) -> None:
        """Stripe's payout report (and, sometimes, the same report exported again)."""
        report = stripe_csv(self.stripe_day)
        self._deliver(report, "stripe.csv")
        if resend:
            self._deliver(report + b"\n", "stripe.csv")  # other bytes, the same payout

    def _pick(self, picks: list[int]) -> list[BankPayment]:
        return [self.truth[i % len(self.truth)] for i in dict.fromkeys(picks)]

    @rule(
        picks=st.lists(st.integers(0, 7), min_size=1, max_size=4),
        refs=st.booleans(),
        pending=st.booleans(),
        resend=st.booleans(),
    )
    def notification(self, picks: list[int], refs: bool, pending: bool, resend: bool) -> None:
        payments = self._pick(picks)
        status = "PDNG" if pending else "BOOK"
        notification_id = f"BG-NTF-{self.files}"
        self._deliver(camt054(payments, notification_id, refs=refs, status=status), "ntf.xml")
        if resend:  # the same notification again, with a new message id
            self._deliver(
                camt054(payments, notification_id, message_id="RESENT", refs=refs, status=status), "ntf.xml"
            )
        self.waiting.append(({p.key for p in payments}, not pending))

    @rule(yesterday=st.booleans(), refs=st.booleans(), details=st.booleans())
    def day_statement(self, yesterday: bool, refs: bool, details: bool) -> None:
        day = self.sandbox.today() - dt.timedelta(days=int(yesterday))
        payments = [p for p in self.truth if p.day == day]  # a statement lists every booking of its day
        self._deliver(camt053(payments, f"SEB053-{self.files}", refs=refs, details=details), "stmt.xml")
        self.waiting.append(({p.key for p in payments}, True))

    @rule(
        yesterday=st.booleans(), form=st.sampled_from(["camt.054", "camt.053", "bgmax"]), refs=st.booleans()
    )
    def bankgiro_deposit(self, yesterday: bool, form: str, refs: bool) -> None:
        """The day's bankgiro deposit: its details (camt.054, BgMax) or only its total (camt.053)."""
        day = self.sandbox.today() - dt.timedelta(days=int(yesterday))
        payments = [p for p in self.truth if p.day == day and p.ocr]
        deposit = f"BGDEP-{day:%m%d}"
        if form == "camt.053":  # one batch credit; its payments come with the details
            self._deliver(deposit_statement(payments, f"SEB053-DEP-{self.files}", deposit), "stmt.xml")
            return
        if form == "camt.054":
            self._deliver(
                deposit_notification(payments, f"BG-DEP-{self.files}", deposit, refs=refs), "ntf.xml"
            )
        else:
            written = f"2026112506{self.files:04d}123456"
            self._deliver(bgmax(payments, deposit_serial=int(f"{day:%d}"), written=written), "bgmax.txt")
        self.waiting.append(({p.key for p in payments}, True))

    @rule()
    def cycle(self) -> None:
        report = CompanyCycle(self.app, self.app.settings.companies[0]).run()
        assert report.ok, report.to_json()
        for keys, booked in self.waiting:
            self.seen |= keys
            if booked:
                self.delivered |= keys
        self.waiting.clear()

    def _lines(self) -> list[BankTransaction]:
        with self.app.sessions() as session:
            return list(session.scalars(select(BankTransaction).where(BankTransaction.is_batch.is_(False))))

    @invariant()
    def nothing_counted_twice_and_nothing_lost(self) -> None:
        lines = self._lines()
        counted = Counter(
            line.amount
            for line in lines
            if line.status == "booked" and line.identity_state in MATCHABLE_IDENTITIES
        )
        booked = Counter(p.amount for p in self.truth if p.key in self.delivered)
        for amount, times in counted.items():
            assert times <= booked[amount], f"{amount} stored {times} times, delivered {booked[amount]}"
        kept = Counter(
            line.amount
            for line in lines
            if line.identity_state in MATCHABLE_IDENTITIES or line.identity_state == POSSIBLE_DUPLICATE
        )
        seen = Counter(p.amount for p in self.truth if p.key in self.seen)
        for amount, times in seen.items():
            assert kept[amount] >= times, f"{amount}: {times} payments delivered, {kept[amount]} kept"

    @invariant()
    def a_payout_is_stored_once(self) -> None:
        with self.app.sessions() as session:
            assert session.scalar(select(func.count()).select_from(PspPayout)) <= 1
            assert session.scalar(select(func.count()).select_from(PspCharge)) <= len(self.charges)

    @invariant()
    def nothing_booked_twice(self) -> None:
        with self.sandbox.lock:
            company = self.sandbox.companies[self.company.id]
            by_number = {inv.get("invoiceNumber"): inv_id for inv_id, inv in company.invoices.items()}
            for number, paid in self.meant_for.values():
                payments = company.payments.get(by_number[number], {}).values()
                booked = sum((Decimal(str(p["sumBaseCurrency"])) for p in payments), Decimal(0))
                assert booked <= paid, f"invoice {number}: {booked} booked, the customer paid {paid}"


@pytest.mark.slow
def test_payments_delivered_in_any_format_order_and_repetition_are_counted_and_booked_once(
    database: Database,
) -> None:
    Deliveries.database = database
    run_state_machine_as_test(
        Deliveries,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
