"""Bank lines held as possible duplicates, and a person's decision on each.

:mod:`syncd.ingest.identity` holds a later line it cannot tell apart from an earlier one (same
money, no shared bank reference). Held lines are never matched. A person looks at both (their
files are named) and decides: the *same* money (the held line is kept as a confirmed duplicate and
what it knew — an OCR, a payer — is added to the original, which may now match), or *distinct*
money (the held line becomes an ordinary bank line and is matched like any other).
Repositories here flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from syncd.errors import FatalError
from syncd.ingest import store
from syncd.ingest.tables import (
    DISTINCT,
    DUPLICATE,
    POSSIBLE_DUPLICATE,
    BankFile,
    BankTransaction,
)


class DuplicateDecisionError(FatalError):
    """The line cannot be decided as asked (unknown, or not held)."""


@dataclass(frozen=True, slots=True)
class HeldLine:
    """A held bank line beside the line it may duplicate, for a person to compare."""

    id: int
    booking_date: dt.date | None
    amount: Decimal
    currency: str
    direction: str
    payer: str
    text: str
    filename: str
    location: str
    original_id: int | None
    original_filename: str
    original_location: str
    reason: str
    state: str

    def to_json(self) -> dict[str, object]:
        """JSON-ready (money as a string)."""
        return {
            "id": self.id,
            "booking_date": self.booking_date.isoformat() if self.booking_date else None,
            "amount": str(self.amount),
            "currency": self.currency,
            "direction": self.direction,
            "payer": self.payer,
            "text": self.text,
            "file": self.filename,
            "location": self.location,
            "possible_duplicate_of": self.original_id,
            "original_file": self.original_filename,
            "original_location": self.original_location,
            "reason": self.reason,
            "state": self.state,
        }


def _held_query(company_id: int):  # type: ignore[no-untyped-def]  # a composed Select
    original = aliased(BankTransaction)
    held_file = aliased(BankFile)
    original_file = aliased(BankFile)
    return (
        select(BankTransaction, held_file.filename, original, original_file.filename)
        .join(held_file, held_file.id == BankTransaction.bank_file_id)
        .outerjoin(original, original.id == BankTransaction.duplicate_of_id)
        .outerjoin(original_file, original_file.id == original.bank_file_id)
        .where(BankTransaction.company_id == company_id)
        .order_by(BankTransaction.booking_date, BankTransaction.id)
    )


def _held(
    row: BankTransaction, filename: str, original: BankTransaction | None, original_file: str | None
) -> HeldLine:
    return HeldLine(
        id=row.id,
        booking_date=row.booking_date,
        amount=row.amount,
        currency=row.currency,
        direction=row.direction,
        payer=row.payer_name,
        text=row.free_text,
        filename=filename,
        location=row.source_location,
        original_id=original.id if original else None,
        original_filename=original_file or "",
        original_location=original.source_location if original else "",
        reason=row.identity_note,
        state=row.identity_state,
    )


def possible_duplicates(session: Session, company_id: int) -> list[HeldLine]:
    """Every line still waiting for a person's decision, oldest booking first."""
    query = _held_query(company_id).where(BankTransaction.identity_state == POSSIBLE_DUPLICATE)
    return [_held(*row) for row in session.execute(query)]


def held_line(session: Session, company_id: int, line_id: int) -> HeldLine:
    """One line as :func:`possible_duplicates` shows it, whatever its state."""
    row = session.execute(_held_query(company_id).where(BankTransaction.id == line_id)).first()
    if row is None:
        raise DuplicateDecisionError(f"bank line {line_id} does not exist for this company")
    return _held(*row)


def decide(
    session: Session, company_id: int, line_id: int, *, same: bool, by: str, now: dt.datetime
) -> HeldLine:
    """Record a person's decision on a held line; ``same`` merges what it knew into the original."""
    row = session.get(BankTransaction, line_id)
    if row is None or row.company_id != company_id:
        raise DuplicateDecisionError(f"bank line {line_id} does not exist for this company")
    if row.identity_state != POSSIBLE_DUPLICATE:
        raise DuplicateDecisionError(
            f"bank line {line_id} is not held as a possible duplicate (it is {row.identity_state}); "
            "only held lines can be decided"
        )
    row.identity_state = DUPLICATE if same else DISTINCT
    row.decided_by, row.decided_at = by, now
    original = session.get(BankTransaction, row.duplicate_of_id) if row.duplicate_of_id else None
    if same and original is not None:
        _merge_into(session, original, row, by)
    session.flush()
    return held_line(session, company_id, line_id)


def _merge_into(session: Session, original: BankTransaction, copy: BankTransaction, by: str) -> None:
    """What the confirmed copy knew and the original lacked goes to the original, as a delivery."""
    values = {column.key: getattr(copy, column.key) for column in BankTransaction.__mapper__.column_attrs}
    store.add_delivery(
        session,
        original,
        bank_file_id=copy.bank_file_id,
        location=copy.source_location,
        evidence=f"confirmed the same money by {by}",
        values=values,
    )
