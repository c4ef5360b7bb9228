"""Outbox send protocol: when each command was first and last sent, and its claim's real deadline.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("lease_until", "first_sent_at", "last_sent_at")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column(
            "outbox_commands", sa.Column(name, syncd.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_commands") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
