"""The local mirror of Bokio and the bookkeeping of syncd's own use of it.

Conventions (style §10): a surrogate integer key, a unique ``(company_id, bokio_id)`` for the
external id, typed columns for what matching and sync read, and the raw Bokio JSON beside them
so a later version can re-derive columns without another request. ``content_hash`` makes an
unchanged upsert a no-op; ``deleted_at`` marks rows a completed full sweep no longer found.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from syncd.db import Base, utcnow


class Company(Base):
    """A Bokio company this instance serves; every other row hangs off one."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    bokio_company_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    paused_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    pause_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    pause_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    """auth, quota, rate, plan or bokio_down (see :mod:`syncd.mirror.pauses`); None when not paused."""
    paused_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class _MirrorColumns:
    """Columns every mirrored Bokio resource has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bokio_id: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class _Stamped:
    """The change marker of rows calibration weighs (invoices, payments, settlements)."""

    stamp: Mapped[int | None] = mapped_column(Integer, default=None)
    """The company's mirror generation when the row last changed (:func:`syncd.mirror.repo.changed`);
    NULL: written without saying when, so calibration weighs its invoice again every time."""


class Invoice(_MirrorColumns, _Stamped, Base):
    """A customer invoice as Bokio last showed it, with the amounts syncd derives."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("company_id", "bokio_id"),
        Index(None, "company_id", "status"),
        Index(None, "company_id", "payment_reference"),
        Index(None, "company_id", "invoice_number"),
        # live invoices by status or by id: three columns, so SQLite's planner (no statistics)
        # prefers them to a scan of every live invoice through (company_id, deleted_at) alone
        Index(None, "company_id", "deleted_at", "status"),
        Index(None, "company_id", "deleted_at", "bokio_id"),
        Index(None, "company_id", "stamp"),
    )

    invoice_number: Mapped[str | None] = mapped_column(String(40))
    payment_reference: Mapped[str | None] = mapped_column(String(40))
    customer_bokio_id: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(20), default="invoice")
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    currency_rate: Mapped[Decimal]
    invoice_date: Mapped[dt.date]
    due_date: Mapped[dt.date | None]
    total_amount: Mapped[Decimal]
    total_tax: Mapped[Decimal]
    paid_amount: Mapped[Decimal]
    paid_from_bokio: Mapped[bool] = mapped_column(default=True, server_default=true())
    """``paid_amount``/``status`` are what Bokio last showed, not syncd's reflection of its own push
    (:func:`syncd.mirror.repo.set_paid`); only such rows are evidence for :mod:`syncd.calibration`."""
    gross_amount: Mapped[Decimal | None] = mapped_column(default=None)
    outstanding: Mapped[Decimal | None] = mapped_column(default=None)
    amount_problem: Mapped[str | None] = mapped_column(String(500), default=None)
    published_at: Mapped[dt.datetime | None]
    journal_entry_id: Mapped[str | None] = mapped_column(String(64))


class InvoicePayment(_MirrorColumns, _Stamped, Base):
    """A payment registered on an invoice (ours or anyone's)."""

    __tablename__ = "invoice_payments"
    __table_args__ = (
        UniqueConstraint("company_id", "bokio_id"),
        Index(None, "company_id", "invoice_bokio_id"),
        Index(None, "company_id", "deleted_at", "invoice_bokio_id"),  # live payments of some invoices
        Index(None, "company_id", "stamp"),
    )

    invoice_bokio_id: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date]
    sum_base_currency: Mapped[Decimal]
    bookkeeping_account: Mapped[int | None] = mapped_column(Integer)
    journal_entry_id: Mapped[str | None] = mapped_column(String(64))


class InvoiceSettlement(_MirrorColumns, _Stamped, Base):
    """A settlement (currency, bankFee, paymentServiceFee, badDebt, balanceAdjustment…)."""

    __tablename__ = "invoice_settlements"
    __table_args__ = (
        UniqueConstraint("company_id", "bokio_id"),
        Index(None, "company_id", "invoice_bokio_id"),
        Index(None, "company_id", "deleted_at"),
        Index(None, "company_id", "stamp"),
    )

    invoice_bokio_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))
    date: Mapped[dt.date]
    sum_base_currency: Mapped[Decimal]
    vat_scheme: Mapped[str | None] = mapped_column(String(20))
    journal_entry_id: Mapped[str | None] = mapped_column(String(64))


class CreditNote(_MirrorColumns, Base):
    """A credit note; published ones reduce what is outstanding on their invoice."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("company_id", "bokio_id"),
        Index(None, "company_id", "invoice_bokio_id"),
    )

    invoice_bokio_id: Mapped[str | None] = mapped_column(String(64))
    credit_note_number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    total_amount: Mapped[Decimal]
    total_tax: Mapped[Decimal]
    credit_date: Mapped[dt.date | None]
    journal_entry_id: Mapped[str | None] = mapped_column(String(64))


class Customer(_MirrorColumns, Base):
    """A customer; names feed payer matching, ``modified_at`` drives the incremental cursor."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("company_id", "bokio_id"),)

    name: Mapped[str] = mapped_column(String(300))
    customer_number: Mapped[str | None] = mapped_column(String(40))
    org_number: Mapped[str | None] = mapped_column(String(40))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    modified_at: Mapped[dt.datetime | None]


class Account(_MirrorColumns, Base):
    """An account of the chart of accounts; ``bokio_id`` is the account number as text."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("company_id", "bokio_id"),)

    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    account_type: Mapped[str | None] = mapped_column(String(40))


class FiscalYear(_MirrorColumns, Base):
    """A fiscal year; payments may only be dated inside an open one."""

    __tablename__ = "fiscal_years"
    __table_args__ = (UniqueConstraint("company_id", "bokio_id"),)

    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    status: Mapped[str | None] = mapped_column(String(20))
    accounting_method: Mapped[str | None] = mapped_column(String(20), default=None)
    """``accrual`` or ``cash`` (kontantmetoden: revenue is booked when paid), as Bokio says."""


class SyncState(Base):
    """Where each (company, stream) stands: cursor, last runs, last completed full sweep."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("company_id", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(40))
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_full_sweep_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(2000), default=None)


class RequestLedger(Base):
    """Every Bokio call made for a company, so monthly budget use is a query (design §2.1)."""

    __tablename__ = "request_ledger"
    __table_args__ = (Index(None, "company_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    method: Mapped[str] = mapped_column(String(10))
    path_template: Mapped[str] = mapped_column(String(200))
    status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error_kind: Mapped[str | None] = mapped_column(String(60))
    purpose: Mapped[str | None] = mapped_column(String(40))


class MirrorGeneration(Base):
    """A counter that moves whenever a company's invoices, payments or settlements change.

    :mod:`syncd.mirror.repo` bumps it in the transaction that writes them (an inserted or changed
    row, a confirmed or reflected paid amount, a soft delete) and stamps the rows it wrote with the
    new value, so what is computed from those rows can be kept until it moves (:class:`MirrorDigest`)
    and then brought up to date from the rows stamped since.
    """

    __tablename__ = "mirror_generations"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class MirrorDigest(Base):
    """Something computed from the mirror at one generation under one ``key`` (calibration)."""

    __tablename__ = "mirror_digests"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    generation: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200), default="")
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
