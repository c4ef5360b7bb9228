"""The last audits' results per company, so ``status``, metrics and people see them later."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from syncd.db import Base, utcnow


class AuditRun(Base):
    """One ``syncd audit`` (or the daemon's scheduled one) of one company.

    The counts are columns (status and metrics read them); ``findings`` holds each discrepancy
    as shown to a person (voucher numbers, dates, invoice numbers, amounts as strings).
    """

    __tablename__ = "audit_runs"
    __table_args__ = (Index(None, "company_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    finished_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    fiscal_years: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    bookings: Mapped[int] = mapped_column(Integer, default=0)
    found: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    reversed: Mapped[int] = mapped_column(Integer, default=0)
    double_booked: Mapped[int] = mapped_column(Integer, default=0)
    unseen_bank_money: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
