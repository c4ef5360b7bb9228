"""Money that went back: a reversal or returned credit linked to the payment it undoes.

A bank reverses a credit with an entry marked ``RvslInd`` (a debit), or returns it with a reason
code (``RtrInf``, e.g. AC04 closed account). syncd links such a debit to the credit it reverses
(``reverses_id``) so that neither is matched as new money, and, when syncd had booked the credit in
Bokio, a person is asked to confirm the undo of that booking (never automatic). A plain debit is
linked only when it unmistakably mirrors a credit syncd booked (same amount and the same payer's
end-to-end id, reference or account): the company may have refunded a customer, which a person
should see next to the booking.

Which credit: the same amount and currency, booked on or before the reversal and at most
:data:`WINDOW_DAYS` before it, not already reversed; the candidate with the strongest evidence,
and only when that is unique. :func:`pick_original` is pure; :func:`link_reversals` applies it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from syncd.ingest.identity import is_placeholder
from syncd.ingest.tables import MATCHABLE_IDENTITIES, BankTransaction

WINDOW_DAYS = 60
_DIGITS = re.compile(r"\d{4,}")


class Bookings(Protocol):
    """Which bank lines syncd booked in Bokio: only the allocations know (they implement this)."""

    def booked_line_ids(self, company_id: int) -> Select[int]:
        """A query of the ids of the company's bank lines whose booking still stands."""
        ...


@dataclass(frozen=True, slots=True)
class Side:
    """What linking compares of a reversal or of a candidate original."""

    id: int
    amount: Decimal
    currency: str
    booking_date: dt.date | None
    end_to_end_id: str = ""
    references: frozenset[str] = frozenset()
    payer_account: str = ""
    payer_name: str = ""
    text: str = ""
    explicit: bool = False  # marked as a reversal or return by the bank
    booked_by_syncd: bool = False


def _evidence(reversal: Side, original: Side) -> list[str]:
    found = []
    if reversal.end_to_end_id and reversal.end_to_end_id == original.end_to_end_id:
        found.append("end-to-end id")
    numbers = set(_DIGITS.findall(reversal.text)) | reversal.references
    if original.references & numbers:
        found.append("reference")
    if reversal.payer_account and reversal.payer_account == original.payer_account:
        found.append("account")
    if reversal.payer_name and reversal.payer_name.casefold() == original.payer_name.casefold():
        found.append("name")
    return found


def pick_original(reversal: Side, candidates: Sequence[Side]) -> tuple[int, str] | None:
    """The credit ``reversal`` undoes and why, or None when none fits uniquely."""
    fitting = [
        c
        for c in candidates
        if c.amount == reversal.amount
        and c.currency == reversal.currency
        and c.booking_date is not None
        and reversal.booking_date is not None
        and 0 <= (reversal.booking_date - c.booking_date).days <= WINDOW_DAYS
    ]
    scored = sorted(((len(_evidence(reversal, c)), c.id, c) for c in fitting), reverse=True)
    if not scored:
        return None
    best_score, _, best = scored[0]
    if len(scored) > 1 and scored[1][0] == best_score:
        return None  # two credits fit equally well: a person must say which
    evidence = _evidence(reversal, best)
    if not reversal.explicit and not (
        best.booked_by_syncd and {"end-to-end id", "reference", "account"} & set(evidence)
    ):
        return None
    return best.id, ", ".join(["amount", *evidence])


def _side(row: BankTransaction, *, booked: bool = False) -> Side:
    refs = frozenset(str(item["value"]).lstrip("0") for item in row.references.get("items", []))
    return Side(
        id=row.id,
        amount=row.amount,
        currency=row.currency,
        booking_date=row.booking_date,
        end_to_end_id="" if is_placeholder(row.end_to_end_id) else row.end_to_end_id,
        references=refs,
        payer_account=row.payer_account,
        payer_name=row.payer_name,
        text=row.free_text,
        explicit=row.is_reversal or bool(row.return_reason),
        booked_by_syncd=booked,
    )


def _rows(session: Session, ids: list[int]) -> list[BankTransaction]:
    found: list[BankTransaction] = []
    for start in range(0, len(ids), 500):
        found += session.scalars(
            select(BankTransaction).where(BankTransaction.id.in_(ids[start : start + 500]))
        )
    return found


def _ids_with_amount(session: Session, query: Select[int, Decimal], amounts: set[Decimal]) -> list[int]:
    """Ids of the rows ``query`` (id, amount) finds whose amount is one of ``amounts``.

    Compared in Python: SQLite keeps money as text, so ``amount IN (...)`` would miss ``2500`` vs
    ``2500.00``. Only two narrow columns are read, never whole rows, so a year's statement is cheap.
    """
    return [row_id for row_id, amount in session.execute(query) if amount in amounts]


def link_reversals(
    session: Session, company_id: int, bank_file_id: int, *, bookings: Bookings | None
) -> list[tuple[int, int]]:
    """Link this file's debits that reverse an earlier credit; (reversal, original) pairs. Flushes.

    Without ``bookings`` no credit counts as booked by syncd, so only debits the bank marked as a
    reversal or return are linked.

    Cost does not grow with the file: whole rows are loaded only for the debits the bank marked as
    reversals or returns, for the credits syncd booked in the window, and for the credits and
    plain debits whose amount equals one of those.
    """
    file_debits = (
        BankTransaction.company_id == company_id,
        BankTransaction.bank_file_id == bank_file_id,
        BankTransaction.direction == "debit",
        BankTransaction.is_batch.is_(False),
        BankTransaction.reverses_id.is_(None),
        BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
    )
    first, last = session.execute(
        select(func.min(BankTransaction.booking_date), func.max(BankTransaction.booking_date)).where(
            *file_debits
        )
    ).one()
    if first is None or last is None:
        return []
    reversed_already = aliased(BankTransaction)
    credits_in_window = (
        BankTransaction.company_id == company_id,
        BankTransaction.direction == "credit",
        BankTransaction.is_batch.is_(False),
        BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
        BankTransaction.booking_date >= first - dt.timedelta(days=WINDOW_DAYS),
        BankTransaction.booking_date <= last,
        ~exists().where(reversed_already.reverses_id == BankTransaction.id),
    )
    explicit = session.scalars(
        select(BankTransaction).where(
            *file_debits, or_(BankTransaction.is_reversal.is_(True), BankTransaction.return_reason != "")
        )
    ).all()
    booked_credits = (
        session.scalars(
            select(BankTransaction).where(
                *credits_in_window, BankTransaction.id.in_(bookings.booked_line_ids(company_id))
            )
        ).all()
        if bookings is not None
        else []
    )
    booked_amounts = {c.amount for c in booked_credits}
    plain = _rows(
        session,
        _ids_with_amount(
            session,
            select(BankTransaction.id, BankTransaction.amount).where(
                *file_debits, BankTransaction.is_reversal.is_(False), BankTransaction.return_reason == ""
            ),
            booked_amounts,
        ),
    )
    others = _rows(
        session,
        _ids_with_amount(
            session,
            select(BankTransaction.id, BankTransaction.amount).where(*credits_in_window),
            {d.amount for d in explicit},
        ),
    )
    booked = {c.id for c in booked_credits}
    pool: dict[tuple[Decimal, str], dict[int, Side]] = defaultdict(dict)
    for credit in [*others, *booked_credits]:
        pool[credit.amount, credit.currency][credit.id] = _side(credit, booked=credit.id in booked)
    links: list[tuple[int, int]] = []
    for debit in sorted([*explicit, *plain], key=lambda row: row.id):
        bucket = pool.get((debit.amount, debit.currency), {})
        picked = pick_original(_side(debit), list(bucket.values()))
        if picked is None:
            continue
        original_id, evidence = picked
        debit.reverses_id = original_id
        debit.identity_note = f"reverses bank line {original_id} ({evidence})"
        del bucket[original_id]  # one reversal per credit
        links.append((debit.id, original_id))
    session.flush()
    return links
