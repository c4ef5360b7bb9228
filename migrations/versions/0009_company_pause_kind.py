"""Honest pauses: every company pause says what kind it is (auth, quota, rate, plan, bokio_down) and since when.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("companies", sa.Column("pause_kind", sa.String(length=20), nullable=True))
    op.add_column("companies", sa.Column("paused_at", syncd.db.UTCDateTime(timezone=True), nullable=True))
    # a pause written before kinds existed was a quota pause (that was the only label it had)
    op.execute("UPDATE companies SET pause_kind = 'quota' WHERE paused_until IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("paused_at")
        batch.drop_column("pause_kind")
