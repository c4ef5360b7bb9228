"""Calibration weighs only what changed: a change stamp on invoices, payments and settlements, and
each invoice's own answers to Bokio's open rules and its record order kept beside the company's
calibration.

Rows mirrored before this revision are stamped 0 (older than any kept calibration); the first
cycle after it weighs the whole history once and keeps it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 04:03:15.898490
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STAMPED = ("invoices", "invoice_payments", "invoice_settlements")
_ANSWERS = (
    ("includes", "paid_includes_settlements"),
    ("sign", "settlement_sign"),
    ("currency", "paid_currency"),
)


def upgrade() -> None:
    op.create_table(
        "invoice_evidence",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("paid_includes_settlements", sa.String(length=40), nullable=True),
        sa.Column("settlement_sign", sa.String(length=40), nullable=True),
        sa.Column("paid_currency", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_evidence_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_evidence_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_evidence")),
    )
    with op.batch_alter_table("invoice_evidence", schema=None) as batch_op:
        for name, column in _ANSWERS:
            batch_op.create_index(
                f"ix_invoice_evidence_{name}", ["company_id", column, "invoice_id"], unique=False
            )
    op.create_table(
        "invoice_record_order",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("invoice_first", sa.Boolean(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_record_order_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_record_order_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_record_order")),
    )
    with op.batch_alter_table("invoice_record_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_record_order_first", ["company_id", "invoice_first", "number"], unique=False
        )
    for table in _STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("stamp", sa.Integer(), nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_company_id_stamp"), ["company_id", "stamp"], unique=False
            )
        op.execute(sa.text(f"UPDATE {table} SET stamp = 0"))  # noqa: S608 - a constant table name


def downgrade() -> None:
    for table in reversed(_STAMPED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_company_id_stamp"))
            batch_op.drop_column("stamp")
    with op.batch_alter_table("invoice_evidence", schema=None) as batch_op:
        for name, _ in reversed(_ANSWERS):
            batch_op.drop_index(f"ix_invoice_evidence_{name}")
    op.drop_table("invoice_evidence")
    with op.batch_alter_table("invoice_record_order", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_record_order_first")
    op.drop_table("invoice_record_order")
