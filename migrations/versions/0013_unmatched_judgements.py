"""The match stage remembers what it already judged (unmatched bank lines, how far it has looked),
and what is computed from the mirror is kept per mirror generation (calibration).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 00:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import syncd.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_line_judgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_transaction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("world", sa.String(length=64), nullable=False),
        sa.Column("judged_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_transaction_id"],
            ["bank_transactions.id"],
            name=op.f("fk_bank_line_judgements_bank_transaction_id_bank_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_bank_line_judgements_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_line_judgements")),
        sa.UniqueConstraint("bank_transaction_id", name=op.f("uq_bank_line_judgements_bank_transaction_id")),
    )
    with op.batch_alter_table("bank_line_judgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_line_judgements_company_id_kind_world"),
            ["company_id", "kind", "world"],
            unique=False,
        )
    op.create_table(
        "match_frontiers",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("floor_id", sa.Integer(), nullable=False),
        sa.Column("seen_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_match_frontiers_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_match_frontiers")),
    )
    op.create_table(
        "mirror_generations",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_mirror_generations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_mirror_generations")),
    )
    op.create_table(
        "mirror_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_mirror_digests_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_digests")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_mirror_digests_company_id_name")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocations_bank_transaction_id_state"),
            ["bank_transaction_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_company_id_state_push_state"),
            ["company_id", "state", "push_state"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_allocations_company_id_id"), ["company_id", "id"], unique=False)
    for table in ("invoices", "invoice_payments", "invoice_settlements"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f(f"ix_{table}_company_id_deleted_at"), ["company_id", "deleted_at"], unique=False
            )


def downgrade() -> None:
    for table in ("invoices", "invoice_payments", "invoice_settlements"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_company_id_deleted_at"))
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_company_id_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_company_id_state_push_state"))
        batch_op.drop_index(batch_op.f("ix_allocations_bank_transaction_id_state"))
    op.drop_table("mirror_digests")
    op.drop_table("mirror_generations")
    op.drop_table("match_frontiers")
    with op.batch_alter_table("bank_line_judgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_line_judgements_company_id_kind_world"))
    op.drop_table("bank_line_judgements")
