"""Accounts a company's bank files may be for, learned from its first import (issue 12).

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-29 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learned_bank_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("written", sa.String(length=200), nullable=False),
        sa.Column("bank_file_id", sa.Integer(), nullable=True),
        sa.Column("learned_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_file_id"],
            ["bank_files.id"],
            name=op.f("fk_learned_bank_accounts_bank_file_id_bank_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_learned_bank_accounts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_bank_accounts")),
        sa.UniqueConstraint(
            "company_id", "account", name=op.f("uq_learned_bank_accounts_company_id_account")
        ),
    )


def downgrade() -> None:
    op.drop_table("learned_bank_accounts")
