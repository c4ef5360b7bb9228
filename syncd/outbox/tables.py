"""Outbox commands: what must be sent to Bokio, written in the same transaction as the decision.

States: ``pending → sending → done | unknown | failed`` (and ``cancelled`` by a person).
``unknown`` means the request may have reached Bokio: it is resolved by reading back the
invoice's payments or settlements and comparing with ``before`` (what was there before the
send), never by sending again blindly. ``idempotency_key`` is unique, so accepting the same
allocation twice cannot enqueue its commands twice.

``first_sent_at`` / ``last_sent_at`` are written in the claim's transaction, *before* the
request goes out: the settle window of an unknown outcome is measured from them
(:mod:`syncd.outbox.resolve`). ``lease_until`` is the claim's real deadline (the client's
deadline per call it may make, plus a margin): a ``sending`` row past it belongs to a worker
that is gone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syncd.db import Base, utcnow


class OutboxCommand(Base):
    """One Bokio write (or tag / delete) for one allocation, in order ``seq``."""

    __tablename__ = "outbox_commands"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index(None, "company_id", "state", "next_attempt_at"),
        Index(None, "allocation_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocations.id", ondelete="CASCADE"))
    invoice_bokio_id: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    first_sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CompanyTagging(Base):
    """syncd's tag group and tag in a company's Bokio, created once; or tagging turned off."""

    __tablename__ = "company_tagging"
    __table_args__ = (UniqueConstraint("company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    tag_group_id: Mapped[str | None] = mapped_column(String(64), default=None)
    tag_id: Mapped[str | None] = mapped_column(String(64), default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
