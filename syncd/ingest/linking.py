"""Batch credits and their details: linked so the same money is never counted twice.

A camt.053 statement often books a bankgiro deposit as one credit (``is_batch``); the payments in
it arrive as details in a camt.054 or BgMax file, in either order. A detail row points at its
batch through ``parent_id``.

**Rule for everything downstream: the matcher only ever sees non-batch rows**
(:func:`matchable_transactions`). A batch's money reaches the matcher through its details; a batch
whose details never came is reported by :func:`unlinked_batches` instead of being matched whole.

Details belong to a batch when they share its ``batch_key`` (both files from the same bank), or
when their net sum equals the batch amount on the same or an adjacent booking date, in the same
currency, and something ties them together: the same account, the batch text naming the details'
bankgiro number (``BG INBET 5050-1055``), or the deposit reference (AcctSvcrRef / BgMax deposit
number). A link is made only when that pairing is unique both ways; otherwise it is reported.
:func:`plan_links` is pure; :func:`link_batches` loads its inputs and applies its plan.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from syncd.bankfiles.camt_entry import LOCAL_BATCH
from syncd.ingest.tables import MATCHABLE_IDENTITIES, BankTransaction

MAX_DAY_GAP = 1
_HYPHENATED_NUMBER = re.compile(r"(?<=\d)-(?=\d)")
_DIGIT_RUN = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Batch:
    """A summary credit (or debit) waiting for its details."""

    id: int
    account: str
    booking_date: dt.date | None
    signed_amount: Decimal
    currency: str
    batch_key: str
    count: int | None
    reference: str
    text: str


@dataclass(frozen=True, slots=True)
class DetailGroup:
    """The unlinked rows sharing one ``batch_key``: one deposit's payments."""

    batch_key: str
    account: str
    booking_date: dt.date | None
    net: Decimal
    currency: str
    count: int
    detail_ids: tuple[int, ...]

    @property
    def reference(self) -> str:
        """The deposit's reference: the last part of the key (camt AcctSvcrRef, BgMax serial).

        A key local to its file (no bank reference) names no deposit: ''.
        """
        last = self.batch_key.rsplit(":", 1)[-1]
        return "" if last.startswith(LOCAL_BATCH) else last


@dataclass(frozen=True, slots=True)
class Link:
    """Details to attach to a batch, and why."""

    batch_id: int
    batch_key: str
    detail_ids: tuple[int, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LinkPlan:
    """What :func:`plan_links` decided: links to make, and pairings too ambiguous to make."""

    links: tuple[Link, ...]
    ambiguous: tuple[str, ...]


def _digits_key(value: str) -> str:
    return value.lstrip("0")


def _numbers_in(text: str) -> set[str]:
    """Digit runs in ``text`` with hyphenated groups joined (``5050-1055`` → ``50501055``)."""
    return {_digits_key(run) for run in _DIGIT_RUN.findall(_HYPHENATED_NUMBER.sub("", text))}


def _reference_matches(batch: Batch, group: DetailGroup) -> bool:
    ref = group.reference.strip()
    if not ref:
        return False
    if batch.reference and batch.reference.upper() == ref.upper():
        return True
    runs = _DIGIT_RUN.findall(ref)
    digits = _digits_key(runs[-1]) if runs else ""
    return len(digits) >= 3 and digits in _numbers_in(f"{batch.reference} {batch.text}")


def _day_gap(batch: Batch, group: DetailGroup, max_day_gap: int) -> int | None:
    """Days between batch and details if amount, currency, dates and count allow a link."""
    if batch.currency != group.currency or batch.signed_amount != group.net:
        return None
    if batch.booking_date is None or group.booking_date is None:
        return None
    if batch.count is not None and batch.count != group.count:
        return None
    gap = abs((batch.booking_date - group.booking_date).days)
    return gap if gap <= max_day_gap else None


def evidence_for(batch: Batch, group: DetailGroup, *, max_day_gap: int = MAX_DAY_GAP) -> tuple[str, ...]:
    """Why ``group`` could be ``batch``'s details; empty when it cannot be."""
    if batch.batch_key == group.batch_key:
        return ("batch_key",)
    gap = _day_gap(batch, group, max_day_gap)
    if gap is None:
        return ()
    same_account = bool(batch.account) and batch.account == group.account
    reference = _reference_matches(batch, group)
    if same_account and batch.reference and not reference:
        return ()  # same bank, different deposit reference: a different deposit
    found = ["amount"]
    if same_account:
        found.append("account")
    elif group.account and _digits_key(re.sub(r"\D", "", group.account)) in _numbers_in(batch.text):
        found.append("bankgiro_in_text")
    if reference:
        found.append("reference")
    if len(found) == 1:
        return ()  # the amount alone is a coincidence, not evidence
    if gap == 0:
        found.append("same_day")
    if batch.count is not None:
        found.append("count")
    return tuple(found)


def _score(evidence: tuple[str, ...]) -> int:
    return 100 if evidence == ("batch_key",) else len(evidence) + evidence.count("reference")


def plan_links(batches: Sequence[Batch], groups: Sequence[DetailGroup]) -> LinkPlan:
    """Pair batches with detail groups where the best pairing is unique both ways."""
    scored: dict[tuple[int, str], tuple[str, ...]] = {}
    for batch in batches:
        for group in groups:
            evidence = evidence_for(batch, group)
            if evidence:
                scored[batch.id, group.batch_key] = evidence
    best_for_batch: dict[int, list[tuple[int, str]]] = defaultdict(list)
    best_for_group: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (batch_id, key), evidence in scored.items():
        best_for_batch[batch_id].append((_score(evidence), key))
        best_for_group[key].append((_score(evidence), batch_id))
    by_key = {group.batch_key: group for group in groups}
    links: list[Link] = []
    ambiguous: list[str] = []
    for batch in batches:
        options = sorted(best_for_batch.get(batch.id, []), reverse=True)
        if not options:
            continue
        top, key = options[0]
        rivals = sorted(best_for_group[key], reverse=True)
        if rivals[0][0] > top:
            continue  # another batch fits these details better
        if (len(options) > 1 and options[1][0] == top) or (len(rivals) > 1 and rivals[1][0] == top):
            ambiguous.append(
                f"batch of {batch.signed_amount} {batch.currency} on {batch.booking_date} "
                f"({batch.reference or batch.batch_key}) fits several detail groups or they fit "
                "several batches equally well; not linked, link it by hand"
            )
            continue
        group = by_key[key]
        links.append(Link(batch.id, key, group.detail_ids, scored[batch.id, key]))
    return LinkPlan(tuple(links), tuple(dict.fromkeys(ambiguous)))


def _unlinked_batches_query(company_id: int) -> Select[BankTransaction]:
    child = aliased(BankTransaction)
    return select(BankTransaction).where(
        BankTransaction.company_id == company_id,
        BankTransaction.is_batch.is_(True),
        BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
        ~exists().where(child.parent_id == BankTransaction.id),
    )


def _batch_of(row: BankTransaction) -> Batch:
    signed = row.amount if row.direction == "credit" else -row.amount
    count = row.references.get("batch_count")
    return Batch(
        id=row.id,
        account=row.account,
        booking_date=row.booking_date,
        signed_amount=signed,
        currency=row.currency,
        batch_key=row.batch_key or "",
        count=int(count) if count is not None else None,
        reference=row.bank_ref,
        text=row.free_text,
    )


def _groups_of(rows: Iterable[BankTransaction]) -> list[DetailGroup]:
    by_key: dict[str, list[BankTransaction]] = defaultdict(list)
    for row in rows:
        if row.batch_key:
            by_key[row.batch_key].append(row)
    groups = []
    for key, members in by_key.items():
        net = sum((r.amount if r.direction == "credit" else -r.amount for r in members), Decimal(0))
        dates = [r.booking_date for r in members if r.booking_date is not None]
        groups.append(
            DetailGroup(
                batch_key=key,
                account=members[0].account,
                booking_date=min(dates) if dates else None,
                net=net,
                currency=members[0].currency,
                count=len(members),
                detail_ids=tuple(sorted(r.id for r in members)),
            )
        )
    return groups


def link_batches(session: Session, company_id: int, dates: Iterable[dt.date]) -> LinkPlan:
    """Link unlinked batches and detail groups booked around ``dates``; flushes, never commits."""
    days = sorted(set(dates))
    if not days:
        return LinkPlan((), ())
    low = days[0] - dt.timedelta(days=MAX_DAY_GAP)
    high = days[-1] + dt.timedelta(days=MAX_DAY_GAP)
    in_window = and_(BankTransaction.booking_date >= low, BankTransaction.booking_date <= high)
    batch_rows = session.scalars(_unlinked_batches_query(company_id).where(in_window)).all()
    if not batch_rows:
        return LinkPlan((), ())
    detail_rows = session.scalars(
        select(BankTransaction).where(
            BankTransaction.company_id == company_id,
            BankTransaction.is_batch.is_(False),
            BankTransaction.parent_id.is_(None),
            BankTransaction.batch_key.is_not(None),
            BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
            # a whole group, even members booked just outside the window
            BankTransaction.batch_key.in_(
                select(BankTransaction.batch_key).where(BankTransaction.company_id == company_id, in_window)
            ),
        )
    ).all()
    plan = plan_links([_batch_of(row) for row in batch_rows], _groups_of(detail_rows))
    for link in plan.links:
        session.execute(
            update(BankTransaction)
            .where(BankTransaction.company_id == company_id, BankTransaction.id.in_(link.detail_ids))
            .values(parent_id=link.batch_id)
        )
    session.flush()
    return plan


def matchable_transactions(
    session: Session, company_id: int, allocated: dict[int, Decimal]
) -> list[BankTransaction]:
    """Rows the matcher may allocate: booked, not a batch, not yet fully allocated (``allocated``
    is the cash already spoken for per line, :func:`syncd.allocations.held.allocated_cash`).

    Credits and debits both come back (the matcher decides what a debit means). A line held as a
    possible duplicate of another, or confirmed as one, never does; nor does money that went back
    (a reversal, and the credit it reverses: :mod:`syncd.ingest.reversals`).
    """
    reversal = aliased(BankTransaction)
    rows = session.scalars(
        select(BankTransaction)
        .where(
            BankTransaction.company_id == company_id,
            BankTransaction.status == "booked",
            BankTransaction.is_batch.is_(False),
            BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
            BankTransaction.reverses_id.is_(None),
            ~exists().where(reversal.reverses_id == BankTransaction.id),
        )
        .order_by(BankTransaction.booking_date, BankTransaction.id)
    ).all()
    return [row for row in rows if allocated.get(row.id, Decimal(0)) < row.amount]


def unlinked_batches(
    session: Session, company_id: int, *, today: dt.date | None = None, grace_days: int = 3
) -> list[BankTransaction]:
    """Batch money whose details never arrived: booked ``grace_days`` or more before ``today``.

    Without ``today`` every batch still lacking details is returned. These rows are never matched
    whole; someone must import the camt.054 / BgMax file, or book them by hand.
    """
    query = _unlinked_batches_query(company_id).where(BankTransaction.status == "booked")
    if today is not None:
        query = query.where(BankTransaction.booking_date <= today - dt.timedelta(days=grace_days))
    return list(session.scalars(query.order_by(BankTransaction.booking_date, BankTransaction.id)))
