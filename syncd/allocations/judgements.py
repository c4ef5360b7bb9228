"""Which bank lines a match cycle feeds the matcher: what is new, and what the world changed for.

The matcher is deterministic, so a line it left unmatched stays unmatched while nothing it reads
changes. Each such line keeps a judgement naming that world (:func:`world_digest`: the open
invoices as the matcher sees them, its memory, the PSP payouts, the rules, and a watermark of the
allocations); a cycle feeds it again only when the digest differs. The digest is computed from
the inputs themselves, so any change to them re-opens every judgement, whoever made it (a pull,
a person in Bokio, syncd's own push, an undo, an expired proposal, a new rule).

The lines a cycle looks at (all chosen in SQL, as columns):

- new lines, above the company's :class:`~syncd.allocations.tables.MatchFrontier` floor;
- lines judged in another world, and lines still waiting to become matchable;
- lines an allocation gave back (rejected, expired, undone) with no judgement in this world;
- lines a person brought back after dismissing them, likewise.

Fully allocated history, debits already reported and lines judged in this world cost nothing.
A rerun (``since``) re-judges every line booked in its window, whatever was recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from syncd.allocations.inputs import bank_line
from syncd.allocations.tables import (
    ACTIVE_STATES,
    JUDGED_UNMATCHED,
    JUDGED_WAITING,
    Allocation,
    Dismissal,
    LineJudgement,
    MatchFrontier,
)
from syncd.domain.models import BankLine, Direction, MatchResult, OpenInvoice, PspPayoutLine
from syncd.domain.money import ZERO
from syncd.ingest.tables import MATCHABLE_IDENTITIES, BankTransaction, PspPayout
from syncd.match.rules import MatchMemory, MatchRules

INACTIVE_STATES = ("rejected", "expired", "undone")
"""Allocations that gave their bank money back."""

_CHUNK = 500
"""Ids per ``IN`` list (well under SQLite's parameter limit)."""


def world_digest(
    session: Session,
    company_id: int,
    *,
    invoices: Sequence[OpenInvoice],
    memory: MatchMemory,
    payouts: Sequence[PspPayoutLine],
    rules: MatchRules,
) -> str:
    """A digest of everything the matcher reads besides the lines themselves.

    The allocations enter as their highest id and the number that gave money back: a new
    proposal or booking, or one that was rejected, expired or undone, changes the world.
    """
    newest, returned = session.execute(
        select(
            select(func.max(Allocation.id)).where(Allocation.company_id == company_id).scalar_subquery(),
            select(func.count())
            .select_from(Allocation)
            .where(Allocation.company_id == company_id, Allocation.state.in_(INACTIVE_STATES))
            .scalar_subquery(),
        )
    ).one()
    digest = hashlib.sha256()
    for part in (
        sorted(repr(invoice) for invoice in invoices),
        sorted(repr(pair) for pair in memory.rejected),
        sorted(repr(alias) for alias in memory.aliases),
        sorted(repr(payout) for payout in payouts),
        _canonical({name: getattr(rules, name) for name in type(rules).model_fields}),
        (newest or 0, returned or 0),
    ):
        digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` with every set sorted, so its repr does not depend on hash seeds."""
    if isinstance(value, Mapping):
        return sorted((repr(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(_canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return repr(value)


@dataclass(slots=True)
class Selection:
    """The lines one cycle feeds the matcher, and what it learned about the ones it does not."""

    world: str
    lines: list[BankLine] = field(default_factory=list)
    left: dict[int, Decimal] = field(default_factory=dict)
    waiting: list[int] = field(default_factory=list)
    known_waiting: set[int] = field(default_factory=set)
    """Waiting lines that already have a waiting judgement (nothing to write)."""
    dropped: list[int] = field(default_factory=list)
    """Lines fully allocated or dismissed: a judgement no longer applies (a returned or brought
    back line is found again by :func:`_returned_lines` / :func:`_undismissed_lines`)."""
    seen_id: int | None = None
    """The frontier's new ``seen_id``; None when the cycle must not move it (a rerun)."""


def _columns() -> tuple[Any, ...]:
    return (
        BankTransaction.id,
        BankTransaction.booking_date,
        BankTransaction.amount,
        BankTransaction.currency,
        BankTransaction.direction,
        BankTransaction.status,
        BankTransaction.is_reversal,
        BankTransaction.is_batch,
        BankTransaction.identity_state,
        BankTransaction.reverses_id,
        BankTransaction.references,
        BankTransaction.free_text,
        BankTransaction.payer_name,
        BankTransaction.payer_account,
        BankTransaction.payer_bankgiro,
        BankTransaction.psp_payout_id,
    )


def _matchable(row: Row[Any], reversed_ids: set[int]) -> bool:
    """The rule of :func:`syncd.ingest.linking.matchable_transactions`, on one row."""
    return (
        row.status == "booked"
        and row.identity_state in MATCHABLE_IDENTITIES
        and row.reverses_id is None
        and row.id not in reversed_ids
        and row.booking_date is not None
    )


def _reversed_ids(session: Session, company_id: int) -> set[int]:
    """Lines some later line reverses (money that went back): one pass, few rows.

    A single query rather than a correlated ``EXISTS`` per candidate: ``reverses_id`` has no index
    of its own (ingest's table), and a per-row probe would scan the company's lines each time.
    """
    return set(
        session.scalars(
            select(BankTransaction.reverses_id).where(
                BankTransaction.company_id == company_id, BankTransaction.reverses_id.is_not(None)
            )
        )
    )


def _frontier(session: Session, company_id: int) -> MatchFrontier:
    frontier = session.get(MatchFrontier, company_id)
    if frontier is None:
        frontier = MatchFrontier(company_id=company_id, floor_id=0, seen_id=0)
        session.add(frontier)
    return frontier


def _returned_lines(company_id: int, world: str) -> Select[int]:
    """Lines an allocation gave back, not held by another, and not judged in this world."""
    active = aliased(Allocation)
    return (
        select(Allocation.bank_transaction_id).where(
            Allocation.company_id == company_id,
            Allocation.state.in_(INACTIVE_STATES),
            ~exists().where(
                active.bank_transaction_id == Allocation.bank_transaction_id,
                active.state.in_(ACTIVE_STATES),
            ),
            ~_judged_in(world, Allocation.bank_transaction_id),
        )  # no DISTINCT (the caller makes a set): it would send SQLite through every allocation
    )


def _undismissed_lines(company_id: int, world: str) -> Select[int]:
    """Lines a person brought back, not dismissed again, and not judged in this world."""
    again = aliased(Dismissal)
    return (
        select(Dismissal.bank_transaction_id)
        .where(
            Dismissal.company_id == company_id,
            Dismissal.undismissed_at.is_not(None),
            ~exists().where(
                again.bank_transaction_id == Dismissal.bank_transaction_id, again.undismissed_at.is_(None)
            ),
            ~_judged_in(world, Dismissal.bank_transaction_id),
        )
        .distinct()
    )


def _judged_in(world: str, line_id: Any) -> Any:
    return exists().where(
        LineJudgement.bank_transaction_id == line_id,
        LineJudgement.kind == JUDGED_UNMATCHED,
        LineJudgement.world == world,
    )


def _reopened_lines(company_id: int, world: str) -> Select[int]:
    """Lines judged in another world, and lines waiting to become matchable."""
    return select(LineJudgement.bank_transaction_id).where(
        LineJudgement.company_id == company_id,
        (LineJudgement.kind == JUDGED_WAITING) | (LineJudgement.world != world),
    )


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _rows(session: Session, company_id: int, *, above: int, ids: set[int]) -> list[Row[Any]]:
    """The rows above an id or named, in id order."""
    base = select(*_columns()).where(BankTransaction.company_id == company_id)
    found = {row.id: row for row in session.execute(base.where(BankTransaction.id > above))}
    for chunk in _chunks(ids - found.keys()):
        found.update((row.id, row) for row in session.execute(base.where(BankTransaction.id.in_(chunk))))
    return [found[key] for key in sorted(found)]


def _window(session: Session, company_id: int, since: dt.date) -> list[Row[Any]]:
    """Every row booked on or after ``since`` (a rerun's window), in id order."""
    return list(
        session.execute(
            select(*_columns())
            .where(BankTransaction.company_id == company_id, BankTransaction.booking_date >= since)
            .order_by(BankTransaction.id)
        )
    )


def _per_line(session: Session, query: Any, ids: list[int], column: Any) -> list[Any]:
    """``query`` restricted to the lines ``ids`` (``column`` names the line), chunk by chunk."""
    if len(ids) > 20 * _CHUNK:  # a first cycle: one pass over the company beats many lists
        wanted = set(ids)
        return [row for row in session.execute(query) if row[0] in wanted]
    rows: list[Any] = []
    for chunk in _chunks(ids):
        rows += session.execute(query.where(column.in_(chunk)))
    return rows


def _held(session: Session, company_id: int, ids: list[int]) -> dict[int, Decimal]:
    """Cash active allocations hold on each of these lines (summed in Decimal, see held.py)."""
    held: dict[int, Decimal] = defaultdict(Decimal)
    query = select(Allocation.bank_transaction_id, Allocation.cash).where(
        Allocation.company_id == company_id, Allocation.state.in_(ACTIVE_STATES)
    )
    for line_id, cash in _per_line(session, query, ids, Allocation.bank_transaction_id):
        held[line_id] += cash
    return held


def _dismissed(session: Session, company_id: int, ids: list[int]) -> set[int]:
    query = select(Dismissal.bank_transaction_id).where(
        Dismissal.company_id == company_id, Dismissal.undismissed_at.is_(None)
    )
    return {row[0] for row in _per_line(session, query, ids, Dismissal.bank_transaction_id)}


def _judged(session: Session, company_id: int, ids: list[int], world: str) -> set[int]:
    """Of these lines, those judged unmatched in this very world."""
    query = select(LineJudgement.bank_transaction_id).where(
        LineJudgement.company_id == company_id,
        LineJudgement.kind == JUDGED_UNMATCHED,
        LineJudgement.world == world,
    )
    return {row[0] for row in _per_line(session, query, ids, LineJudgement.bank_transaction_id)}


def select_lines(
    session: Session, company_id: int, company_key: str, *, world: str, since: dt.date | None = None
) -> Selection:
    """The lines this cycle feeds the matcher (see the module docstring), with what each has left.

    Debits and reversals are fed once, when they are new (the matcher reports one that names an
    invoice), and in a rerun's window; they never hold money the matcher could allocate, so they
    never wait either (one booked later is not reported).
    """
    selection = Selection(world=world)
    if since is not None:
        rows, fresh_above = _window(session, company_id, since), -1
    else:
        frontier = _frontier(session, company_id)
        named = set(session.scalars(_reopened_lines(company_id, world)))
        selection.known_waiting = set(
            session.scalars(
                select(LineJudgement.bank_transaction_id).where(
                    LineJudgement.company_id == company_id, LineJudgement.kind == JUDGED_WAITING
                )
            )
        )
        named |= set(session.scalars(_returned_lines(company_id, world)))
        named |= set(session.scalars(_undismissed_lines(company_id, world)))
        rows, fresh_above = _rows(session, company_id, above=frontier.floor_id, ids=named), frontier.seen_id
        selection.seen_id = max([frontier.seen_id, *(row.id for row in rows)])
    ids = [row.id for row in rows]
    reversed_ids = _reversed_ids(session, company_id) if rows else set()
    held = _held(session, company_id, ids)
    dismissed = _dismissed(session, company_id, ids)
    judged = set() if since is not None else _judged(session, company_id, ids, world)
    payouts = _payout_ids(session, {row.psp_payout_id for row in rows if row.psp_payout_id is not None})
    for row in rows:
        outgoing = row.direction != Direction.CREDIT.value or row.is_reversal
        if row.is_batch or (outgoing and row.id <= fresh_above):
            continue  # a batch's money comes through its details; an old debit was reported
        if not _matchable(row, reversed_ids):
            if not outgoing:
                selection.waiting.append(row.id)
            continue
        left = row.amount - held.get(row.id, ZERO)
        if left <= 0 or row.id in dismissed:
            selection.dropped.append(row.id)
        elif row.id not in judged:
            selection.left[row.id] = left
            selection.lines.append(bank_line(row, left, company_key, payouts.get(row.psp_payout_id or -1)))
    return selection


def _payout_ids(session: Session, ids: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        query = select(PspPayout.id, PspPayout.payout_id).where(PspPayout.id.in_(chunk))
        found.update(session.execute(query).tuples())
    return found


def record(
    session: Session, company_id: int, selection: Selection, result: MatchResult, *, now: dt.datetime
) -> None:
    """Remember what the matcher left, so the next cycle in the same world skips it.

    A fed credit the matcher judged (unmatched, or allocated in part) keeps a judgement unless
    this run's allocations took all its money; one it set aside unjudged (booked after today) gets
    none, so it is fed again. A line found fully allocated loses its judgement; a line still
    waiting keeps the one it has. The frontier moves last.
    """
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for allocation in result.allocations:
        taken[int(allocation.bank_line_id)] += allocation.cash
    looked_at = set(result.unmatched) | {a.bank_line_id for a in result.allocations}
    judged: dict[int, str] = {}
    for line in selection.lines:
        line_id = int(line.id)
        incoming = line.direction is Direction.CREDIT and not line.is_reversal
        if incoming and line.id in looked_at and selection.left[line_id] - taken[line_id] > 0:
            judged[line_id] = JUDGED_UNMATCHED
    new_waiting = set(selection.waiting) - selection.known_waiting
    judged.update((line_id, JUDGED_WAITING) for line_id in new_waiting)
    forget = {int(line.id) for line in selection.lines} | set(selection.dropped) | new_waiting
    for chunk in _chunks(forget):
        session.execute(
            delete(LineJudgement).where(
                LineJudgement.company_id == company_id, LineJudgement.bank_transaction_id.in_(chunk)
            )
        )
    session.add_all(
        LineJudgement(
            company_id=company_id,
            bank_transaction_id=line_id,
            kind=kind,
            world=selection.world if kind == JUDGED_UNMATCHED else "",
            judged_at=now,
        )
        for line_id, kind in sorted(judged.items())
    )
    if selection.seen_id is not None:
        frontier = _frontier(session, company_id)
        frontier.floor_id, frontier.seen_id = frontier.seen_id, selection.seen_id
    session.flush()
