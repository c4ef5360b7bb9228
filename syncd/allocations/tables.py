"""Allocations (the matcher's proposals and what became of them), the matcher's memory, dismissals.

States: ``proposed`` → ``accepted`` (auto or by a person) / ``rejected`` / ``expired``;
an accepted allocation can be undone (``undoing`` → ``undone``). ``push_state`` follows the
outbox: ``none`` until accepted, then ``pending`` → ``done`` | ``failed``. The Bokio ids the
push created are kept, so an undo deletes exactly those and nothing else. A person's allocation
(``syncd review assign``) is an allocation like the matcher's, with tier ``manual``.

Every decision a person takes records who and when: ``decided_by``/``decided_at`` (accept,
reject, assign), ``undo_by``/``undo_at`` (undo), ``rejected_by``/``rejected_at`` on the pair it
leaves in memory, ``dismissed_by``/``dismissed_at`` and ``undismissed_by``/``undismissed_at``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syncd.db import Base, utcnow


class AllocationState(StrEnum):
    """Where a decision is (stored by value)."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNDOING = "undoing"
    UNDONE = "undone"


class PushState(StrEnum):
    """Where the allocation's Bokio writes are (stored by value)."""

    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


ACTIVE_STATES = (AllocationState.PROPOSED, AllocationState.ACCEPTED, AllocationState.UNDOING)
"""Allocations that hold their bank money (an undone, rejected or expired one gave it back)."""


class Allocation(Base):
    """Part (or all) of one bank transaction applied to one invoice, with its evidence."""

    __tablename__ = "allocations"
    __table_args__ = (
        # state, then line (given back lines); line, then state (what holds these lines): covering
        # indexes, so neither question reads every allocation of the company's history
        Index(None, "company_id", "state", "bank_transaction_id"),
        Index(None, "company_id", "bank_transaction_id", "state"),
        Index(None, "company_id", "invoice_bokio_id"),
        Index(None, "bank_transaction_id", "state"),
        Index(None, "company_id", "state", "push_state"),
        Index(None, "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id", ondelete="CASCADE"))
    psp_charge_id: Mapped[int | None] = mapped_column(ForeignKey("psp_charges.id", ondelete="SET NULL"))
    invoice_bokio_id: Mapped[str] = mapped_column(String(64))
    invoice_number: Mapped[str] = mapped_column(String(40), default="")
    group_id: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default=AllocationState.PROPOSED)
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    amount: Mapped[Decimal]
    amount_sek: Mapped[Decimal]
    cash: Mapped[Decimal]
    consumed: Mapped[Decimal]
    payment_date: Mapped[dt.date]
    overpayment: Mapped[bool] = mapped_column(Boolean, default=False)
    settlements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    push_state: Mapped[str] = mapped_column(String(12), default=PushState.NONE)
    bokio_payment_id: Mapped[str | None] = mapped_column(String(64), default=None)
    bokio_settlement_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    undo_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    undo_by: Mapped[str | None] = mapped_column(String(120), default=None)


PAIR_REJECTED = "rejected"
PAIR_UNDONE = "undone"


class RejectedPair(Base):
    """A (bank transaction, invoice) pair the matcher never proposes again.

    ``reason`` says why: a person rejected the proposal (``rejected``), or undid a booking of
    that pair (``undone``, with the allocation). Only a person's ``syncd review assign`` can
    book such a pair again.
    """

    __tablename__ = "rejected_pairs"
    __table_args__ = (UniqueConstraint("company_id", "bank_transaction_id", "invoice_bokio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id", ondelete="CASCADE"))
    invoice_bokio_id: Mapped[str] = mapped_column(String(64))
    rejected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rejected_by: Mapped[str | None] = mapped_column(String(120), default=None)
    reason: Mapped[str] = mapped_column(String(12), default=PAIR_REJECTED, server_default=PAIR_REJECTED)
    allocation_id: Mapped[int | None] = mapped_column(
        ForeignKey("allocations.id", ondelete="SET NULL"), default=None
    )


class PayerAlias(Base):
    """A payer name confirmed to be a customer; enough confirmations allow auto-accept."""

    __tablename__ = "payer_aliases"
    __table_args__ = (UniqueConstraint("company_id", "payer_name", "customer_bokio_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    payer_name: Mapped[str] = mapped_column(String(300))
    customer_bokio_id: Mapped[str] = mapped_column(String(64))
    confirmations: Mapped[int] = mapped_column(Integer, default=1)
    last_confirmed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Dismissal(Base):
    """Bank money a person says was handled outside syncd (a refund, a loan, an owner's deposit).

    A dismissed line is neither listed as unmatched nor matched. ``undismissed_at`` set means
    a person brought it back; rows are kept as the history of who decided what.
    """

    __tablename__ = "bank_line_dismissals"
    __table_args__ = (Index(None, "company_id", "bank_transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    dismissed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    dismissed_by: Mapped[str] = mapped_column(String(120))
    undismissed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    undismissed_by: Mapped[str | None] = mapped_column(String(120), default=None)


JUDGED_UNMATCHED = "unmatched"
JUDGED_WAITING = "waiting"


class LineJudgement(Base):
    """The matcher's last word on a bank line it left alone, so the next cycle need not ask again.

    ``unmatched``: the matcher found nothing for the line's money in the world ``world`` names (a
    digest of every input but the lines, :mod:`syncd.allocations.judgements`); the line is fed
    again as soon as that digest changes. ``waiting``: the line was not matchable yet (pending,
    without a booking date, held as a possible duplicate); it is looked at again every cycle.
    """

    __tablename__ = "bank_line_judgements"
    __table_args__ = (
        UniqueConstraint("bank_transaction_id"),
        Index(None, "company_id", "kind", "world"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    world: Mapped[str] = mapped_column(String(64), default="")
    judged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatchFrontier(Base):
    """How far the match stage has looked through a company's bank lines (by id).

    Lines above ``floor_id`` are new to it. ``seen_id`` is the highest id the last cycle saw; the
    floor trails it by one cycle, so a line an import was still writing while that cycle ran
    (a lower id, committed later) is not stepped over.
    """

    __tablename__ = "match_frontiers"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    floor_id: Mapped[int] = mapped_column(Integer, default=0)
    seen_id: Mapped[int] = mapped_column(Integer, default=0)
