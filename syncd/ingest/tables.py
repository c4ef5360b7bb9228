"""Bank data: imported files, their transactions (batches linked to details), PSP payouts.

A transaction's ``fingerprint`` (computed by the parser from what identifies it at the bank) is
unique per company, so a re-imported file or two statements overlapping by a day add nothing.
Identity across deliveries is decided by :mod:`syncd.ingest.identity`: a later delivery of a known
transaction is recorded in ``bank_deliveries`` and enriches the row instead of adding one; an
uncertain one is kept with ``identity_state = 'possible_duplicate'`` (never matched) until a person
says whether it is the same money (``duplicate``) or not (``distinct``).
A batch credit (``is_batch``) is never matched itself: its details, from a camt.054 or BgMax
deposit, point to it through ``parent_id``, so the same money is never counted twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syncd.db import Base, utcnow

# bank_transactions.identity_state: a transaction of its own; held as a possible duplicate of
# ``duplicate_of_id``; confirmed by a person as the same money (never matched); or as distinct.
UNIQUE, POSSIBLE_DUPLICATE, DUPLICATE, DISTINCT = "unique", "possible_duplicate", "duplicate", "distinct"
MATCHABLE_IDENTITIES = (UNIQUE, DISTINCT)


class BankFile(Base):
    """One file received: imported whole, or quarantined whole with the reason."""

    __tablename__ = "bank_files"
    __table_args__ = (UniqueConstraint("company_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # imported | quarantined
    error: Mapped[str | None] = mapped_column(Text, default=None)
    transactions_added: Mapped[int] = mapped_column(Integer, default=0)
    transactions_known: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)


class BankTransaction(Base):
    """Money in or out of a company's account, as the bank reported it."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        UniqueConstraint("company_id", "fingerprint"),
        Index(None, "company_id", "booking_date"),
        Index(None, "company_id", "batch_key"),
        Index(None, "company_id", "id"),  # the lines above the match stage's frontier
        # the few lines another reverses: a range over the non-null ones (not a partial index,
        # whose dialect options would load the PostgreSQL dialect into every command)
        Index(None, "company_id", "reverses_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_file_id: Mapped[int] = mapped_column(ForeignKey("bank_files.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(80))
    account: Mapped[str] = mapped_column(String(60), default="")
    booking_date: Mapped[dt.date | None]
    value_date: Mapped[dt.date | None]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="booked")
    is_reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    is_batch: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_key: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bank_transactions.id", ondelete="SET NULL"))
    deposit_total: Mapped[Decimal | None]
    references: Mapped[dict[str, Any]] = mapped_column(default=dict)
    free_text: Mapped[str] = mapped_column(Text, default="")
    payer_name: Mapped[str] = mapped_column(Text, default="")
    payer_address: Mapped[str] = mapped_column(Text, default="")
    payer_bankgiro: Mapped[str] = mapped_column(String(20), default="")
    payer_account: Mapped[str] = mapped_column(String(60), default="")
    payer_org_no: Mapped[str] = mapped_column(String(20), default="")
    bank_ref: Mapped[str] = mapped_column(String(120), default="")
    end_to_end_id: Mapped[str] = mapped_column(String(120), default="")
    charges: Mapped[Decimal | None]
    psp_payout_id: Mapped[int | None] = mapped_column(ForeignKey("psp_payouts.id", ondelete="SET NULL"))
    source_location: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    statement_id: Mapped[str] = mapped_column(String(120), default="")
    return_reason: Mapped[str] = mapped_column(String(40), default="")
    identity_state: Mapped[str] = mapped_column(String(20), default=UNIQUE)
    identity_note: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL"), default=None
    )
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL"), default=None
    )
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class BankDelivery(Base):
    """A later delivery of a known transaction: which file brought it again, and why it is the same."""

    __tablename__ = "bank_deliveries"
    __table_args__ = (Index(None, "bank_transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id", ondelete="CASCADE"))
    bank_file_id: Mapped[int] = mapped_column(ForeignKey("bank_files.id", ondelete="CASCADE"))
    source_location: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    enriched: Mapped[str] = mapped_column(Text, default="")  # the fields this delivery filled in
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PspPayout(Base):
    """A payout from a PSP (Stripe, PayPal, Klarna): the bank shows ``net``; charges explain it."""

    __tablename__ = "psp_payouts"
    __table_args__ = (UniqueConstraint("company_id", "provider", "payout_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_file_id: Mapped[int] = mapped_column(ForeignKey("bank_files.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(20))
    payout_id: Mapped[str] = mapped_column(String(120))
    payout_date: Mapped[dt.date | None]
    currency: Mapped[str] = mapped_column(String(3))
    net: Mapped[Decimal]
    gross: Mapped[Decimal]
    fees: Mapped[Decimal]


class PspCharge(Base):
    """One customer payment inside a payout: gross paid by the customer, fee kept by the PSP."""

    __tablename__ = "psp_charges"
    __table_args__ = (UniqueConstraint("payout_id", "charge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("psp_payouts.id", ondelete="CASCADE"))
    charge_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40), default="charge")
    gross: Mapped[Decimal]
    fee: Mapped[Decimal]
    net: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    invoice_reference: Mapped[str] = mapped_column(String(120), default="")
    customer_name: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[dt.date | None]


class LearnedBankAccount(Base):
    """An account a company's files may be for, learned from its first import (issue 12).

    Used only while the company has no ``bank_accounts`` configured: then a file for any other
    account is quarantined, so a shared or crossed inbox cannot book another company's money.
    """

    __tablename__ = "learned_bank_accounts"
    __table_args__ = (UniqueConstraint("company_id", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(64))  # normalised: no spaces or dashes, upper case
    written: Mapped[str] = mapped_column(String(200))  # as the file wrote it
    bank_file_id: Mapped[int | None] = mapped_column(ForeignKey("bank_files.id", ondelete="SET NULL"))
    learned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
