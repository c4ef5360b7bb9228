"""A person's decisions on proposals: accept (→ outbox) or reject (→ never proposed again).

A decision covers a whole group (the allocations one bank line was split into), because a split
payment is right or wrong as a whole. Accepting re-checks that the invoices still have the money
outstanding (another payment may have arrived since the proposal), confirms the payer name as an
alias of the customer, and enqueues the push in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations.push import enqueue_allocation
from syncd.allocations.tables import Allocation, AllocationState, PayerAlias, RejectedPair
from syncd.clock import business_date
from syncd.errors import FatalError
from syncd.ingest.tables import BankTransaction
from syncd.mirror.tables import Invoice


class DecisionError(FatalError):
    """The decision cannot be taken as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One group waiting for review: the bank line and its candidate allocations."""

    group_id: str
    bank_line: BankTransaction
    allocations: tuple[Allocation, ...]
    invoices: dict[str, Invoice]


def pending(session: Session, company_id: int) -> list[Proposal]:
    """Proposals waiting for a person, oldest bank line first."""
    rows = session.scalars(
        select(Allocation)
        .where(Allocation.company_id == company_id, Allocation.state == AllocationState.PROPOSED)
        .order_by(Allocation.bank_transaction_id, Allocation.id)
    ).all()
    groups: dict[str, list[Allocation]] = {}
    for row in rows:
        groups.setdefault(row.group_id, []).append(row)
    return [_proposal(session, company_id, group_id, members) for group_id, members in groups.items()]


def proposal(session: Session, company_id: int, ref: str) -> Proposal:
    """The group of an allocation id or a group id; a clear error if there is none."""
    members = _group(session, company_id, ref)
    return _proposal(session, company_id, members[0].group_id, members)


def _group(session: Session, company_id: int, ref: str, *, lock: bool = False) -> list[Allocation]:
    """The group's rows; ``lock`` holds them (PostgreSQL) so two deciders cannot both see it open."""
    group_id = ref
    if ref.isdigit():
        row = session.get(Allocation, int(ref))
        if row is None or row.company_id != company_id:
            raise DecisionError(f"no allocation {ref} for this company; see `syncd review list`")
        group_id = row.group_id
    query = (
        select(Allocation)
        .where(Allocation.company_id == company_id, Allocation.group_id == group_id)
        .order_by(Allocation.id)
    )
    if lock:  # and re-read: rows already in the session may be older than the lock
        query = query.with_for_update().execution_options(populate_existing=True)
    members = list(session.scalars(query))
    if not members:
        raise DecisionError(f"no allocation or group {ref!r}; see `syncd review list`")
    return members


def _proposal(session: Session, company_id: int, group_id: str, members: list[Allocation]) -> Proposal:
    bank_line = session.get(BankTransaction, members[0].bank_transaction_id)
    if bank_line is None:  # pragma: no cover - foreign key
        raise DecisionError(f"group {group_id} lost its bank line")
    invoice_ids = {m.invoice_bokio_id for m in members}
    invoices = {
        row.bokio_id: row
        for row in session.scalars(
            select(Invoice).where(Invoice.company_id == company_id, Invoice.bokio_id.in_(invoice_ids))
        )
    }
    return Proposal(group_id, bank_line, tuple(members), invoices)


def accept(
    session: Session,
    company_id: int,
    ref: str,
    *,
    by: str,
    payment_account: int,
    now: dt.datetime,
    record_first: str = "auto",
) -> list[Allocation]:
    """Accept a proposal group and enqueue its push (caller's transaction)."""
    from syncd.allocations import inputs  # the matcher's inputs: `syncd review show` starts without them

    members = _undecided(_group(session, company_id, ref, lock=True), "accept")
    still_open = {inv.bokio_id: inv.outstanding for inv in inputs.open_invoices(session, company_id, "")}
    for row in members:
        available = still_open.get(row.invoice_bokio_id)
        if available is None or (row.consumed > available and not row.overpayment):
            raise DecisionError(
                f"invoice {row.invoice_number or row.invoice_bokio_id} no longer has {row.consumed} "
                f"outstanding (it was paid or credited since); reject this proposal instead"
            )
    for row in members:
        row.state, row.decided_at, row.decided_by = "accepted", now, by
    session.flush()
    for row in members:
        enqueue_allocation(session, row, payment_account=payment_account, record_first=record_first)
    confirm_alias(session, company_id, members, now)
    return members


def reject(session: Session, company_id: int, ref: str, *, by: str, now: dt.datetime) -> list[Allocation]:
    """Reject a proposal group; its (bank line, invoice) pairs are never proposed again."""
    members = _undecided(_group(session, company_id, ref, lock=True), "reject")
    for row in members:
        row.state, row.decided_at, row.decided_by = "rejected", now, by
        exists = session.scalar(
            select(RejectedPair.id).where(
                RejectedPair.company_id == company_id,
                RejectedPair.bank_transaction_id == row.bank_transaction_id,
                RejectedPair.invoice_bokio_id == row.invoice_bokio_id,
            )
        )
        if exists is None:
            session.add(
                RejectedPair(
                    company_id=company_id,
                    bank_transaction_id=row.bank_transaction_id,
                    invoice_bokio_id=row.invoice_bokio_id,
                    rejected_at=now,
                    rejected_by=by,
                )
            )
    session.flush()
    return members


def _undecided(members: list[Allocation], action: str) -> list[Allocation]:
    decided = [m for m in members if m.state != AllocationState.PROPOSED]
    if decided:
        first = decided[0]
        raise DecisionError(
            f"cannot {action}: allocation {first.id} was already decided by "
            f"{first.decided_by or 'an unknown person'} ({first.state}{_on(first.decided_at)})"
            + (
                " (use `syncd undo` to reverse an accepted one)"
                if first.state == AllocationState.ACCEPTED
                else ""
            )
        )
    return members


def _on(at: dt.datetime | None) -> str:
    return f" on {business_date(at).isoformat()}" if at is not None else ""


def confirm_alias(session: Session, company_id: int, members: list[Allocation], now: dt.datetime) -> None:
    """A confirmed payer name becomes (or strengthens) an alias of the invoice's customer."""
    bank_line = session.get(BankTransaction, members[0].bank_transaction_id)
    if bank_line is None or not bank_line.payer_name:
        return
    customers = set(
        session.scalars(
            select(Invoice.customer_bokio_id).where(
                Invoice.company_id == company_id,
                Invoice.bokio_id.in_([m.invoice_bokio_id for m in members]),
            )
        )
    )
    if len(customers) != 1 or None in customers:
        return
    (customer,) = customers
    assert customer is not None  # noqa: S101 - excluded above
    alias = session.scalar(
        select(PayerAlias).where(
            PayerAlias.company_id == company_id,
            PayerAlias.payer_name == bank_line.payer_name,
            PayerAlias.customer_bokio_id == customer,
        )
    )
    if alias is None:
        session.add(
            PayerAlias(
                company_id=company_id,
                payer_name=bank_line.payer_name,
                customer_bokio_id=customer,
                confirmations=1,
                last_confirmed_at=now,
            )
        )
    else:
        alias.confirmations += 1
        alias.last_confirmed_at = now
    session.flush()
