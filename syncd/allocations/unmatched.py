"""Unmatched bank money as a person looks for it: which lines, from which file, and why.

A line is unmatched when incoming money on it is not spoken for by any proposal or accepted
allocation. Each line carries the notes a person needs before deciding: an undone booking
("undone on DATE by WHO"), a rejected proposal, a dismissal and who brought it back. Lines a
person dismissed are listed separately (``dismissed=True``), so one can be brought back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations.held import allocated_cash
from syncd.allocations.tables import PAIR_UNDONE, Allocation, Dismissal, RejectedPair
from syncd.clock import business_date
from syncd.domain.money import ZERO
from syncd.errors import FatalError
from syncd.ingest.linking import matchable_transactions
from syncd.ingest.tables import BankFile, BankTransaction
from syncd.mirror.tables import Invoice


class BankLineError(FatalError):
    """A bank line cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class UnmatchedLine:
    """One bank line with money left, as ``syncd review unmatched`` lists it."""

    id: int
    booking_date: dt.date | None
    amount: Decimal
    unallocated: Decimal
    currency: str
    payer: str
    references: tuple[str, ...]
    text: str
    file: str
    notes: tuple[str, ...]
    dismissed: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data; amounts stay Decimal (the JSON writer prints them as strings)."""
        return {
            "id": self.id,
            "booking_date": self.booking_date,
            "amount": self.amount,
            "unallocated": self.unallocated,
            "currency": self.currency,
            "payer": self.payer,
            "references": list(self.references),
            "text": self.text,
            "file": self.file,
            "notes": list(self.notes),
            "dismissed": self.dismissed,
        }


def when(at: dt.datetime | None, by: str | None) -> str:
    """``on 2026-11-29 by karin``: a Stockholm date and a person."""
    day = business_date(at).isoformat() if at is not None else "an unknown day"
    return f"on {day} by {by or 'an unknown person'}"


def find_bank_line(
    session: Session, company_id: int, ref: str | int, *, lock: bool = False
) -> BankTransaction:
    """The company's bank line with this database id, or an error naming how to find one."""
    text = str(ref).strip()
    row = session.get(BankTransaction, int(text), with_for_update=lock) if text.isdigit() else None
    if row is None or row.company_id != company_id:
        raise BankLineError(
            f"no bank line {text!r} for this company: give the id `syncd review unmatched` shows "
            "in its first column"
        )
    return row


def active_dismissal(session: Session, company_id: int, line_id: int) -> Dismissal | None:
    """The dismissal in force on a line, if a person dismissed it and has not brought it back."""
    return session.scalar(
        select(Dismissal)
        .where(
            Dismissal.company_id == company_id,
            Dismissal.bank_transaction_id == line_id,
            Dismissal.undismissed_at.is_(None),
        )
        .order_by(Dismissal.id.desc())
        .limit(1)
    )


def unmatched(session: Session, company_id: int, *, dismissed: bool = False) -> list[UnmatchedLine]:
    """Incoming bank money nobody has booked, oldest first; with ``dismissed`` the dismissed lines."""
    allocated = allocated_cash(session, company_id)
    dismissals = {
        d.bank_transaction_id: d
        for d in session.scalars(
            select(Dismissal)
            .where(Dismissal.company_id == company_id, Dismissal.undismissed_at.is_(None))
            .order_by(Dismissal.id)
        )
    }
    rows = [
        row
        for row in matchable_transactions(session, company_id, allocated)
        if row.direction == "credit"
        and not row.is_reversal
        and row.booking_date is not None
        and (row.id in dismissals) == dismissed
    ]
    files = _file_names(session, {row.bank_file_id for row in rows})
    notes = line_notes(session, company_id, [row.id for row in rows])
    result = []
    for row in rows:
        dismissal = dismissals.get(row.id)
        result.append(
            UnmatchedLine(
                id=row.id,
                booking_date=row.booking_date,
                amount=row.amount,
                unallocated=row.amount - allocated.get(row.id, ZERO),
                currency=row.currency,
                payer=row.payer_name,
                references=_references(row),
                text=row.free_text,
                file=files.get(row.bank_file_id, ""),
                notes=tuple(notes.get(row.id, ())),
                dismissed=None
                if dismissal is None
                else {
                    "reason": dismissal.reason,
                    "by": dismissal.dismissed_by,
                    "at": dismissal.dismissed_at,
                },
            )
        )
    return result


def _references(row: BankTransaction) -> tuple[str, ...]:
    items = row.references.get("items", []) if isinstance(row.references, dict) else []
    return tuple(str(item["value"]) for item in items if item.get("value"))


def _file_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(BankFile.id, BankFile.filename).where(BankFile.id.in_(ids))).all())


def line_notes(session: Session, company_id: int, line_ids: list[int]) -> dict[int, list[str]]:
    """What people decided about each line before: undone bookings, rejections, dismissals."""
    if not line_ids:
        return {}
    found: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    pairs = session.scalars(
        select(RejectedPair).where(
            RejectedPair.company_id == company_id, RejectedPair.bank_transaction_id.in_(line_ids)
        )
    ).all()
    numbers = _invoice_numbers(session, company_id, {p.invoice_bokio_id for p in pairs})
    undone = {
        a.id: a
        for a in session.scalars(
            select(Allocation).where(Allocation.id.in_([p.allocation_id for p in pairs if p.allocation_id]))
        )
    }
    for pair in pairs:
        invoice = numbers.get(pair.invoice_bokio_id, pair.invoice_bokio_id)
        if pair.reason == PAIR_UNDONE:
            allocation = undone.get(pair.allocation_id or -1)
            what = f"allocation {allocation.id} had booked it" if allocation else "its booking"
            text = (
                f"undone {when(pair.rejected_at, pair.rejected_by)}: {what} to invoice {invoice}; "
                "never proposed for that invoice again"
            )
        else:
            text = f"proposal for invoice {invoice} rejected {when(pair.rejected_at, pair.rejected_by)}"
        found[pair.bank_transaction_id].append((pair.rejected_at, text))
    for d in session.scalars(
        select(Dismissal).where(
            Dismissal.company_id == company_id,
            Dismissal.bank_transaction_id.in_(line_ids),
            Dismissal.undismissed_at.is_not(None),
        )
    ):
        assert d.undismissed_at is not None  # noqa: S101 - filtered in SQL above
        text = (
            f"dismissed {when(d.dismissed_at, d.dismissed_by)} ({d.reason}), "
            f"brought back {when(d.undismissed_at, d.undismissed_by)}"
        )
        found[d.bank_transaction_id].append((d.undismissed_at, text))
    return {line: [text for _, text in sorted(items)] for line, items in found.items()}


def _invoice_numbers(session: Session, company_id: int, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {
        bokio_id: number or bokio_id
        for bokio_id, number in session.execute(
            select(Invoice.bokio_id, Invoice.invoice_number).where(
                Invoice.company_id == company_id, Invoice.bokio_id.in_(ids)
            )
        )
    }
