"""A web user's decisions, through exactly the functions, locks and checks of ``syncd review`` and ``undo``.

Each decision is one transaction (the job owns it, as a CLI command does) taken under the
company's match lock, so two people deciding the same proposal at once are serialised: the
second finds it decided and is told by whom. The lock is waited for briefly, since a person
clicking should not be told to retry while the matcher finishes a tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from syncd.allocations import dismissals, reversals, review
from syncd.allocations.tables import Allocation
from syncd.allocations.undo import UndoRefusedError, request_undo
from syncd.app import App
from syncd.commands.decide import BusyError, match_lock
from syncd.db import utcnow
from syncd.errors import FatalError
from syncd.settings import CompanySettings

T = TypeVar("T")


LOCK_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class Decider:
    """One person deciding for one company; each method is one decision and returns what happened."""

    app: App
    company: CompanySettings
    company_id: int
    by: str

    @property
    def record_first(self) -> str:
        """``[bokio] record_invoice_first``, as the CLI's decisions take it."""
        return self.app.settings.bokio.record_invoice_first

    def accept(self, ref: str) -> str:
        """Accept a proposal group; its push is queued."""

        def work(session: Session) -> str:
            rows = review.accept(
                session,
                self.company_id,
                ref,
                by=self.by,
                payment_account=self.company.payment_account,
                now=utcnow(),
                record_first=self.record_first,
            )
            return f"accepted: invoice {_numbers(rows)}; the push to Bokio is queued"

        return self._decide(work)

    def reject(self, ref: str) -> str:
        """Reject a proposal group; the pairs are never proposed again."""

        def work(session: Session) -> str:
            rows = review.reject(session, self.company_id, ref, by=self.by, now=utcnow())
            line = rows[0].bank_transaction_id
            return f"rejected: bank line {line} is never proposed for invoice {_numbers(rows)} again"

        return self._decide(work)

    def reversal(self, line_id: int, *, undo: bool) -> str:
        """Accept a reversal (queue the undo of its booking) or keep the booking."""

        def work(session: Session) -> str:
            if undo:
                proposal, _ = reversals.accept_reversal(
                    session, self.company_id, line_id, by=self.by, now=utcnow()
                )
                numbers = ", ".join(number for _, number, _ in proposal.allocations)
                return f"{proposal.ref}: the undo of the booking on invoice {numbers} is queued"
            proposal = reversals.keep_booking(session, self.company_id, line_id, by=self.by, now=utcnow())
            numbers = ", ".join(number for _, number, _ in proposal.allocations)
            return f"{proposal.ref}: the booking on invoice {numbers} is kept"

        return self._decide(work)

    def assign(self, line_id: int, invoice: str, amount: Decimal | None) -> str:
        """Book a bank line (or part of it) to the chosen invoice; the push is queued."""
        from syncd.allocations import assign as manual
        from syncd.allocations.match_stage import company_rules

        rules = company_rules(self.company, self.app.settings.bokio.settlement_sign)
        request = manual.Request(bank_line=str(line_id), invoice=invoice, amount=amount)

        def work(session: Session) -> str:
            row = manual.assign(
                session,
                self.company_id,
                request,
                by=self.by,
                now=utcnow(),
                payment_account=self.company.payment_account,
                rules=rules,
                record_first=self.record_first,
            )
            cash = manual.sek(row.cash, "SEK" if row.kind == "currency" else row.currency)
            return (
                f"booked {cash} of bank line {line_id} to invoice {_numbers([row])} "
                f"(allocation {row.id}); the push to Bokio is queued"
            )

        return self._decide(work)

    def dismiss(self, line_id: int, reason: str) -> str:
        """Mark a bank line as handled outside syncd."""

        def work(session: Session) -> str:
            dismissals.dismiss(
                session, self.company_id, str(line_id), reason=reason, by=self.by, now=utcnow()
            )
            return f"bank line {line_id} dismissed: {reason.strip()}"

        return self._decide(work)

    def undismiss(self, line_id: int) -> str:
        """Bring a dismissed line back to the unmatched money."""

        def work(session: Session) -> str:
            dismissals.undismiss(session, self.company_id, str(line_id), by=self.by, now=utcnow())
            return f"bank line {line_id} is unmatched money again"

        return self._decide(work)

    def undo(self, allocation_id: int) -> str:
        """Queue the deletes of what an allocation created in Bokio (``syncd undo``'s path)."""

        def work(session: Session) -> str:
            row = session.get(Allocation, allocation_id)
            if row is None or row.company_id != self.company_id:
                raise UndoRefusedError(f"allocation {allocation_id} does not exist")
            commands = request_undo(session, allocation_id, by=self.by, now=utcnow())
            return (
                f"undo of allocation {allocation_id} (invoice {_numbers([row])}) queued: "
                f"{len(commands)} delete(s) go to Bokio with the next push"
            )

        return self._decide(work)

    def reimport(self, file_id: int) -> str:
        """Put a quarantined file back into the inbox and run the inbox's import stage (the daemon's)."""
        from syncd.daemon.cycle import CompanyCycle
        from syncd.ingest.inbox import NOTE_SUFFIX, move_into
        from syncd.ingest.tables import BankFile
        from syncd.web.views import quarantined_copy

        with self.app.sessions() as session:
            file = session.get(BankFile, file_id)
            path = (
                quarantined_copy(self.company, file) if file and file.company_id == self.company_id else None
            )
        if path is None or self.company.bank_inbox is None:
            raise FatalError(f"bank file {file_id} is not waiting in the inbox's quarantine folder")
        path.with_name(path.name + NOTE_SUFFIX).unlink(missing_ok=True)
        move_into(path, self.company.bank_inbox)
        result = CompanyCycle(self.app, self.company).import_inbox()
        if result.ok and not result.detail.get(
            "files"
        ):  # changed moments ago: the inbox waits for it to settle
            return f"{path.name} is back in the inbox; the next scan imports it once it has stopped changing"
        if result.ok:
            added = result.detail.get("new_transactions", 0)
            return f"{path.name} imported again from the inbox: {added} new bank line(s)"
        return f"{path.name} is quarantined again: {result.error or result.skipped}"

    def _decide(self, work: Callable[[Session], T]) -> T:
        with _waiting_lock(self.app, self.company), self.app.sessions.begin() as session:
            return work(session)


def _numbers(rows: list[Allocation]) -> str:
    return ", ".join(r.invoice_number or r.invoice_bokio_id for r in rows)


@contextmanager
def _waiting_lock(app: App, company: CompanySettings) -> Iterator[None]:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            with match_lock(app, company):
                yield
                return
        except BusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
