"""Fiscal years keep Bokio's accountingMethod (accrual or cash), which doctor reports.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 23:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("fiscal_years", sa.Column("accounting_method", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fiscal_years") as batch:
        batch.drop_column("accounting_method")
