"""Bank data: imported files, bank transactions (batches linked to details), PSP payouts and charges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:43:41.376002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("transactions_added", sa.Integer(), nullable=False),
        sa.Column("transactions_known", sa.Integer(), nullable=False),
        sa.Column("imported_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "info", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_bank_files_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_files")),
        sa.UniqueConstraint("company_id", "content_hash", name=op.f("uq_bank_files_company_id_content_hash")),
    )
    op.create_table(
        "psp_payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_file_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("payout_id", sa.String(length=120), nullable=False),
        sa.Column("payout_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net", syncd.db.Money(), nullable=False),
        sa.Column("gross", syncd.db.Money(), nullable=False),
        sa.Column("fees", syncd.db.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_file_id"],
            ["bank_files.id"],
            name=op.f("fk_psp_payouts_bank_file_id_bank_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_psp_payouts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psp_payouts")),
        sa.UniqueConstraint(
            "company_id", "provider", "payout_id", name=op.f("uq_psp_payouts_company_id_provider_payout_id")
        ),
    )
    op.create_table(
        "bank_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_file_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount", syncd.db.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("is_reversal", sa.Boolean(), nullable=False),
        sa.Column("is_batch", sa.Boolean(), nullable=False),
        sa.Column("batch_key", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("deposit_total", syncd.db.Money(), nullable=True),
        sa.Column(
            "references",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("free_text", sa.Text(), nullable=False),
        sa.Column("payer_name", sa.Text(), nullable=False),
        sa.Column("payer_address", sa.Text(), nullable=False),
        sa.Column("payer_bankgiro", sa.String(length=20), nullable=False),
        sa.Column("payer_account", sa.String(length=60), nullable=False),
        sa.Column("payer_org_no", sa.String(length=20), nullable=False),
        sa.Column("bank_ref", sa.String(length=120), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=120), nullable=False),
        sa.Column("charges", syncd.db.Money(), nullable=True),
        sa.Column("psp_payout_id", sa.Integer(), nullable=True),
        sa.Column("source_location", sa.Text(), nullable=False),
        sa.Column("imported_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_file_id"],
            ["bank_files.id"],
            name=op.f("fk_bank_transactions_bank_file_id_bank_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_bank_transactions_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["bank_transactions.id"],
            name=op.f("fk_bank_transactions_parent_id_bank_transactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["psp_payout_id"],
            ["psp_payouts.id"],
            name=op.f("fk_bank_transactions_psp_payout_id_psp_payouts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transactions")),
        sa.UniqueConstraint(
            "company_id", "fingerprint", name=op.f("uq_bank_transactions_company_id_fingerprint")
        ),
    )
    with op.batch_alter_table("bank_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_transactions_company_id_batch_key"), ["company_id", "batch_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_transactions_company_id_booking_date"),
            ["company_id", "booking_date"],
            unique=False,
        )

    op.create_table(
        "psp_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("charge_id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("gross", syncd.db.Money(), nullable=False),
        sa.Column("fee", syncd.db.Money(), nullable=False),
        sa.Column("net", syncd.db.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_reference", sa.String(length=120), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=False),
        sa.Column("created", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["psp_payouts.id"],
            name=op.f("fk_psp_charges_payout_id_psp_payouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psp_charges")),
        sa.UniqueConstraint("payout_id", "charge_id", name=op.f("uq_psp_charges_payout_id_charge_id")),
    )


def downgrade() -> None:
    op.drop_table("psp_charges")
    with op.batch_alter_table("bank_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_transactions_company_id_booking_date"))
        batch_op.drop_index(batch_op.f("ix_bank_transactions_company_id_batch_key"))

    op.drop_table("bank_transactions")
    op.drop_table("psp_payouts")
    op.drop_table("bank_files")
