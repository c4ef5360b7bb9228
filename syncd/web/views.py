"""What each page shows, read with the same functions the CLI lists with (no decisions here).

Invoices are named by number and customer everywhere; the UUID appears only beside them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations import inputs, reversals, review, unmatched
from syncd.allocations.tables import Allocation, AllocationState
from syncd.allocations.undo import UndoRefusedError, UndoStep, check_undoable
from syncd.commands.decide import parse_amount
from syncd.domain.models import OpenInvoice
from syncd.ingest.inbox import QUARANTINE
from syncd.ingest.tables import BankFile, BankTransaction
from syncd.mirror.tables import Invoice
from syncd.outbox.tables import OutboxCommand
from syncd.settings import CompanySettings

BOOKED_STATES = (AllocationState.ACCEPTED, AllocationState.UNDOING, AllocationState.UNDONE)
SEARCH_LIMIT = 25


def review_queue(session: Session, company_id: int) -> dict[str, Any]:
    """Proposals (whole groups) and proposed undos of reversed money."""
    return {
        "proposals": review.pending(session, company_id),
        "reversals": reversals.proposed_undos(session, company_id),
        "files": _file_names(session, company_id),
    }


def proposal_line(session: Session, company_id: int, *, ref: str) -> int | None:
    """The bank line of a proposal group (None if there is no such group)."""
    try:
        return review.proposal(session, company_id, ref).bank_line.id
    except review.DecisionError:
        return None


def _file_names(session: Session, company_id: int) -> dict[int, str]:
    return dict(
        session.execute(select(BankFile.id, BankFile.filename).where(BankFile.company_id == company_id)).all()
    )


def line_file(session: Session, line: BankTransaction) -> str:
    """The bank file a line came in."""
    file = session.get(BankFile, line.bank_file_id)
    return file.filename if file else "?"


def unmatched_lines(session: Session, company_id: int, *, dismissed: bool) -> list[unmatched.UnmatchedLine]:
    """Bank money nobody booked (or the dismissed lines), as ``syncd review unmatched`` lists it."""
    return unmatched.unmatched(session, company_id, dismissed=dismissed)


def unmatched_line(session: Session, company_id: int, line_id: int) -> unmatched.UnmatchedLine | None:
    """One line of the unmatched money, or None if it is not unmatched (any more)."""
    return next((u for u in unmatched.unmatched(session, company_id) if u.id == line_id), None)


def search_invoices(session: Session, company_id: int, query: str) -> list[OpenInvoice]:
    """Open invoices whose number, OCR or customer contains ``query``, or whose amount it is."""
    invoices = inputs.open_invoices(session, company_id, "")
    text = query.strip().casefold()
    if not text:
        return invoices[:SEARCH_LIMIT]
    amount: Decimal | None
    try:
        amount = parse_amount(query)
    except argparse.ArgumentTypeError:
        amount = None
    found = [
        inv
        for inv in invoices
        if text in inv.invoice_number.casefold()
        or text in (inv.ocr or "")
        or text in inv.customer_name.casefold()
        or (amount is not None and amount in (inv.outstanding, inv.gross_amount))
    ]
    return found[:SEARCH_LIMIT]


@dataclass(frozen=True, slots=True)
class Booking:
    """An allocation syncd booked (or is booking, or undid), with its Bokio objects."""

    allocation: Allocation
    customer: str
    line: BankTransaction | None
    commands: tuple[OutboxCommand, ...]

    @property
    def undoable(self) -> bool:
        """Whether an undo would be accepted now (the confirmation page says why not otherwise)."""
        return self.allocation.state == AllocationState.ACCEPTED and bool(self.allocation.bokio_payment_id)


def bookings(session: Session, company_id: int, allocation_id: int | None = None) -> list[Booking]:
    """Accepted, undoing and undone allocations, newest first."""
    query = select(Allocation).where(Allocation.company_id == company_id, Allocation.state.in_(BOOKED_STATES))
    if allocation_id is not None:
        query = query.where(Allocation.id == allocation_id)
    rows = list(session.scalars(query.order_by(Allocation.id.desc()).limit(200)))
    customers = dict(
        session.execute(
            select(Invoice.bokio_id, Invoice.customer_name).where(
                Invoice.company_id == company_id, Invoice.bokio_id.in_({r.invoice_bokio_id for r in rows})
            )
        ).all()
    )
    commands: dict[int, list[OutboxCommand]] = {}
    for command in session.scalars(
        select(OutboxCommand)
        .where(OutboxCommand.allocation_id.in_([r.id for r in rows]))
        .order_by(OutboxCommand.id)
    ):
        assert command.allocation_id is not None  # noqa: S101 - selected by it
        commands.setdefault(command.allocation_id, []).append(command)
    return [
        Booking(
            row,
            customers.get(row.invoice_bokio_id) or "?",
            session.get(BankTransaction, row.bank_transaction_id),
            tuple(commands.get(row.id, ())),
        )
        for row in rows
    ]


def undo_preview(session: Session, booking: Booking) -> tuple[list[UndoStep], str | None]:
    """The deletes an undo would send, or why there are none (the CLI's own check)."""
    try:
        return check_undoable(session, booking.allocation), None
    except UndoRefusedError as exc:
        return [], str(exc)


def quarantined_copy(company: CompanySettings, file: BankFile) -> Path | None:
    """Where the inbox keeps a quarantined file (``inbox/quarantine/NAME``), if it is still there."""
    if file.status != "quarantined" or company.bank_inbox is None:
        return None
    path = company.bank_inbox / QUARANTINE / file.filename
    return path if path.is_file() and path.parent == company.bank_inbox / QUARANTINE else None


def bank_files(session: Session, company_id: int) -> list[BankFile]:
    """Imported and quarantined bank files, newest first."""
    return list(
        session.scalars(
            select(BankFile)
            .where(BankFile.company_id == company_id)
            .order_by(BankFile.imported_at.desc(), BankFile.id.desc())
            .limit(200)
        )
    )
