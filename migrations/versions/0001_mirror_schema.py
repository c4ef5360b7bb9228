"""Mirror schema: companies, invoices, payments, settlements, credit notes, customers,
accounts, fiscal years, sync state and the request ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 21:38:51.817131
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import syncd.db
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bokio_company_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_until", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("bokio_company_id", name=op.f("uq_companies_bokio_company_id")),
    )
    op.create_table(
        "accounts",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("account_type", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_accounts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("company_id", "bokio_id", name=op.f("uq_accounts_company_id_bokio_id")),
    )
    op.create_table(
        "credit_notes",
        sa.Column("invoice_bokio_id", sa.String(length=64), nullable=True),
        sa.Column("credit_note_number", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", syncd.db.Money(), nullable=False),
        sa.Column("total_tax", syncd.db.Money(), nullable=False),
        sa.Column("credit_date", sa.Date(), nullable=True),
        sa.Column("journal_entry_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_credit_notes_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("company_id", "bokio_id", name=op.f("uq_credit_notes_company_id_bokio_id")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_notes_company_id_invoice_bokio_id"),
            ["company_id", "invoice_bokio_id"],
            unique=False,
        )

    op.create_table(
        "customers",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("customer_number", sa.String(length=40), nullable=True),
        sa.Column("org_number", sa.String(length=40), nullable=True),
        sa.Column("customer_type", sa.String(length=20), nullable=True),
        sa.Column("modified_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_customers_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("company_id", "bokio_id", name=op.f("uq_customers_company_id_bokio_id")),
    )
    op.create_table(
        "fiscal_years",
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_fiscal_years_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiscal_years")),
        sa.UniqueConstraint("company_id", "bokio_id", name=op.f("uq_fiscal_years_company_id_bokio_id")),
    )
    op.create_table(
        "invoice_payments",
        sa.Column("invoice_bokio_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("sum_base_currency", syncd.db.Money(), nullable=False),
        sa.Column("bookkeeping_account", sa.Integer(), nullable=True),
        sa.Column("journal_entry_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_payments_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payments")),
        sa.UniqueConstraint("company_id", "bokio_id", name=op.f("uq_invoice_payments_company_id_bokio_id")),
    )
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_payments_company_id_invoice_bokio_id"),
            ["company_id", "invoice_bokio_id"],
            unique=False,
        )

    op.create_table(
        "invoice_settlements",
        sa.Column("invoice_bokio_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("sum_base_currency", syncd.db.Money(), nullable=False),
        sa.Column("vat_scheme", sa.String(length=20), nullable=True),
        sa.Column("journal_entry_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_settlements_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_settlements")),
        sa.UniqueConstraint(
            "company_id", "bokio_id", name=op.f("uq_invoice_settlements_company_id_bokio_id")
        ),
    )
    with op.batch_alter_table("invoice_settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_settlements_company_id_invoice_bokio_id"),
            ["company_id", "invoice_bokio_id"],
            unique=False,
        )

    op.create_table(
        "invoices",
        sa.Column("invoice_number", sa.String(length=40), nullable=True),
        sa.Column("payment_reference", sa.String(length=40), nullable=True),
        sa.Column("customer_bokio_id", sa.String(length=64), nullable=True),
        sa.Column("customer_name", sa.String(length=300), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("currency_rate", syncd.db.Money(), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("total_amount", syncd.db.Money(), nullable=False),
        sa.Column("total_tax", syncd.db.Money(), nullable=False),
        sa.Column("paid_amount", syncd.db.Money(), nullable=False),
        sa.Column("gross_amount", syncd.db.Money(), nullable=True),
        sa.Column("outstanding", syncd.db.Money(), nullable=True),
        sa.Column("amount_problem", sa.String(length=500), nullable=True),
        sa.Column("published_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("journal_entry_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bokio_id", sa.String(length=64), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoices_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("company_id", "bokio_id", name=op.f("uq_invoices_company_id_bokio_id")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_company_id_invoice_number"),
            ["company_id", "invoice_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invoices_company_id_payment_reference"),
            ["company_id", "payment_reference"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invoices_company_id_status"), ["company_id", "status"], unique=False
        )

    op.create_table(
        "request_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("at", syncd.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path_template", sa.String(length=200), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error_kind", sa.String(length=60), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_request_ledger_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_ledger")),
    )
    with op.batch_alter_table("request_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_ledger_company_id_at"), ["company_id", "at"], unique=False
        )

    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column(
            "cursor",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_run_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_full_sweep_at", syncd.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_sync_state_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
        sa.UniqueConstraint("company_id", "stream", name=op.f("uq_sync_state_company_id_stream")),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    with op.batch_alter_table("request_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_ledger_company_id_at"))

    op.drop_table("request_ledger")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_company_id_status"))
        batch_op.drop_index(batch_op.f("ix_invoices_company_id_payment_reference"))
        batch_op.drop_index(batch_op.f("ix_invoices_company_id_invoice_number"))

    op.drop_table("invoices")
    with op.batch_alter_table("invoice_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_settlements_company_id_invoice_bokio_id"))

    op.drop_table("invoice_settlements")
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_payments_company_id_invoice_bokio_id"))

    op.drop_table("invoice_payments")
    op.drop_table("fiscal_years")
    op.drop_table("customers")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_company_id_invoice_bokio_id"))

    op.drop_table("credit_notes")
    op.drop_table("accounts")
    op.drop_table("companies")
