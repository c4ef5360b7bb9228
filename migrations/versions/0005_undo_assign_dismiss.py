"""Undo that sticks and a person's own decisions: who undid what, why a pair is never proposed, dismissals.

Revision ID: 0005
Revises: 0007
Create Date: 2026-11-29 19:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db

revision: str = "0005"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_line_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_transaction_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dismissed_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed_by", sa.String(length=120), nullable=False),
        sa.Column("undismissed_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undismissed_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_transaction_id"],
            ["bank_transactions.id"],
            name=op.f("fk_bank_line_dismissals_bank_transaction_id_bank_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_bank_line_dismissals_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_line_dismissals")),
    )
    with op.batch_alter_table("bank_line_dismissals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_line_dismissals_company_id_bank_transaction_id"),
            ["company_id", "bank_transaction_id"],
            unique=False,
        )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undo_at", syncd.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("undo_by", sa.String(length=120), nullable=True))
    with op.batch_alter_table("rejected_pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason", sa.String(length=12), server_default="rejected", nullable=False)
        )
        batch_op.add_column(sa.Column("allocation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_rejected_pairs_allocation_id_allocations"),
            "allocations",
            ["allocation_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("rejected_pairs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rejected_pairs_allocation_id_allocations"), type_="foreignkey")
        batch_op.drop_column("allocation_id")
        batch_op.drop_column("reason")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_column("undo_by")
        batch_op.drop_column("undo_at")
    with op.batch_alter_table("bank_line_dismissals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_line_dismissals_company_id_bank_transaction_id"))
    op.drop_table("bank_line_dismissals")
