"""Whether an invoice's paid amount and status are Bokio's own word or syncd's reflection of its push.

The calibration of Bokio's open rules (syncd.calibration) counts only invoices whose figures Bokio
showed; every row mirrored before this revision was read from Bokio or will be on its next read.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 23:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invoices", sa.Column("paid_from_bokio", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("paid_from_bokio")
