"""Indexes that let a match cycle read what is new, not the company's history, on SQLite too.

SQLite plans without statistics (and ANALYZE made these plans worse): given the two-column
(company_id, deleted_at) index it read every live invoice or payment of the company to find the
five it was asked for by id, and every allocation to find the few given back. Three-column indexes
that end in the column asked for replace the two-column ones (their prefix serves the same
questions); the lines above the match frontier and the few reversed lines get their own (for the
latter a range over the non-null ``reverses_id``). A
100,000-line history: the SQL of a quiet and a new-money cycle fell from 157 ms to 4 ms.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the index replaced, the columns of the old one, the new ones that replace it)
_REPLACED = (
    (
        "invoices",
        ("company_id", "deleted_at"),
        [("company_id", "deleted_at", "status"), ("company_id", "deleted_at", "bokio_id")],
    ),
    ("invoice_payments", ("company_id", "deleted_at"), [("company_id", "deleted_at", "invoice_bokio_id")]),
    ("allocations", ("company_id", "state"), [("company_id", "state", "bank_transaction_id")]),
    ("allocations", ("company_id", "bank_transaction_id"), [("company_id", "bank_transaction_id", "state")]),
)


def _name(table: str, columns: Sequence[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, old, new in _REPLACED:
        for columns in new:
            op.create_index(_name(table, columns), table, list(columns))
        op.drop_index(_name(table, old), table_name=table)
    op.create_index(
        _name("bank_transactions", ("company_id", "id")), "bank_transactions", ["company_id", "id"]
    )
    # a range over the non-null ones serves "the lines another reverses" as well as a partial index
    op.create_index(
        _name("bank_transactions", ("company_id", "reverses_id")), "bank_transactions", ["company_id", "reverses_id"]
    )


def downgrade() -> None:
    op.drop_index(_name("bank_transactions", ("company_id", "reverses_id")), table_name="bank_transactions")
    op.drop_index(_name("bank_transactions", ("company_id", "id")), table_name="bank_transactions")
    for table, old, new in reversed(_REPLACED):
        op.create_index(_name(table, old), table, list(old))
        for columns in new:
            op.drop_index(_name(table, columns), table_name=table)
