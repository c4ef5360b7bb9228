"""Allocations with review states, rejected pairs and payer aliases; outbox commands and company tagging.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:43:47.349246
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db
from sqlalchemy import Text  # noqa: F401 - autogenerate renders JSONB(astext_type=Text())
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_tagging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("tag_group_id", sa.String(length=64), nullable=True),
        sa.Column("tag_id", sa.String(length=64), nullable=True),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("disabled_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_tagging_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_tagging")),
        sa.UniqueConstraint("company_id", name=op.f("uq_company_tagging_company_id")),
    )
    op.create_table(
        "payer_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("payer_name", sa.String(length=300), nullable=False),
        sa.Column("customer_bokio_id", sa.String(length=64), nullable=False),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("last_confirmed_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_payer_aliases_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_aliases")),
        sa.UniqueConstraint(
            "company_id",
            "payer_name",
            "customer_bokio_id",
            name=op.f("uq_payer_aliases_company_id_payer_name_customer_bokio_id"),
        ),
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_transaction_id", sa.Integer(), nullable=False),
        sa.Column("psp_charge_id", sa.Integer(), nullable=True),
        sa.Column("invoice_bokio_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_number", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.String(length=80), nullable=False),
        sa.Column("tier", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", syncd.db.Money(), nullable=False),
        sa.Column("amount_sek", syncd.db.Money(), nullable=False),
        sa.Column("cash", syncd.db.Money(), nullable=False),
        sa.Column("consumed", syncd.db.Money(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("overpayment", sa.Boolean(), nullable=False),
        sa.Column(
            "settlements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("created_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("push_state", sa.String(length=12), nullable=False),
        sa.Column("bokio_payment_id", sa.String(length=64), nullable=True),
        sa.Column(
            "bokio_settlement_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "last_error",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["bank_transaction_id"],
            ["bank_transactions.id"],
            name=op.f("fk_allocations_bank_transaction_id_bank_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_allocations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["psp_charge_id"],
            ["psp_charges.id"],
            name=op.f("fk_allocations_psp_charge_id_psp_charges"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocations_company_id_bank_transaction_id"),
            ["company_id", "bank_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_company_id_invoice_bokio_id"),
            ["company_id", "invoice_bokio_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_company_id_state"), ["company_id", "state"], unique=False
        )

    op.create_table(
        "rejected_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_transaction_id", sa.Integer(), nullable=False),
        sa.Column("invoice_bokio_id", sa.String(length=64), nullable=False),
        sa.Column("rejected_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rejected_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_transaction_id"],
            ["bank_transactions.id"],
            name=op.f("fk_rejected_pairs_bank_transaction_id_bank_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_rejected_pairs_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_pairs")),
        sa.UniqueConstraint(
            "company_id",
            "bank_transaction_id",
            "invoice_bokio_id",
            name=op.f("uq_rejected_pairs_company_id_bank_transaction_id_invoice_bokio_id"),
        ),
    )
    op.create_table(
        "outbox_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("invoice_bokio_id", sa.String(length=64), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "error", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True
        ),
        sa.Column("created_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocations.id"],
            name=op.f("fk_outbox_commands_allocation_id_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_outbox_commands_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_commands")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_commands_idempotency_key")),
    )
    with op.batch_alter_table("outbox_commands", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_commands_allocation_id_seq"), ["allocation_id", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_commands_company_id_state_next_attempt_at"),
            ["company_id", "state", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_commands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_commands_company_id_state_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_commands_allocation_id_seq"))

    op.drop_table("outbox_commands")
    op.drop_table("rejected_pairs")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_company_id_state"))
        batch_op.drop_index(batch_op.f("ix_allocations_company_id_invoice_bokio_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_company_id_bank_transaction_id"))

    op.drop_table("allocations")
    op.drop_table("payer_aliases")
    op.drop_table("company_tagging")
