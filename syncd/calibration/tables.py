"""What each invoice says about Bokio's open rules and record order, kept so a cycle weighs only what
changed.

One row per invoice that counts as evidence (:func:`syncd.calibration.evidence.weigh`): for each
rule, the one answer its figures fit, or NULL when they fit both answers or none. The answers do
not depend on syncd's configuration, so the verdict under any configured reading is a comparison,
and examples per verdict are index range reads (``ORDER BY invoice_id LIMIT``).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from syncd.db import Base


class InvoiceEvidence(Base):
    """One invoice's answers to the open rules (columns are named as :class:`~.readings.Rule`)."""

    __tablename__ = "invoice_evidence"
    __table_args__ = (
        Index("ix_invoice_evidence_includes", "company_id", "paid_includes_settlements", "invoice_id"),
        Index("ix_invoice_evidence_sign", "company_id", "settlement_sign", "invoice_id"),
        Index("ix_invoice_evidence_currency", "company_id", "paid_currency", "invoice_id"),
    )

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(64))
    paid_includes_settlements: Mapped[str | None] = mapped_column(String(40))
    settlement_sign: Mapped[str | None] = mapped_column(String(40))
    paid_currency: Mapped[str | None] = mapped_column(String(40))


class InvoiceRecordOrder(Base):
    """A live invoice with a recorded payment: recorded itself first, or not (:mod:`.record_order`)."""

    __tablename__ = "invoice_record_order"
    __table_args__ = (Index("ix_invoice_record_order_first", "company_id", "invoice_first", "number"),)

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    invoice_first: Mapped[bool]
    number: Mapped[str | None] = mapped_column(String(40))
