"""Whether an invoice is recorded before its payments, as the company's own books show it.

Bokio's guide records an invoice before its payments; the API does not say whether recording a
payment on an invoice that was never recorded is refused, allowed, or leaves the receivable
account (1510) credited without its debit. The company's history tells: every invoice with a
recorded payment is either recorded itself (*invoice first*) or not (*payment only*). Syncd
records an unrecorded invoice before booking a payment on it only where the history shows
invoices first and never a payment on an unrecorded invoice, and never under the cash method
(kontantmetoden books the revenue with the payment). ``[bokio] record_invoice_first`` may
force either answer. Queries on the mirror only; no Bokio call.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from syncd.mirror.tables import FiscalYear, Invoice, InvoicePayment

EXAMPLES = 5
CASH = "cash"


class RecordInvoiceFirst(enum.StrEnum):
    """``[bokio] record_invoice_first``: follow the books (``auto``), or always / never."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class RecordOrder:
    """How the company's invoices with recorded payments were booked, and what syncd does."""

    invoice_first: int
    payment_only: int
    examples: dict[str, tuple[str, ...]]
    method: str | None
    setting: RecordInvoiceFirst = RecordInvoiceFirst.AUTO

    @property
    def records_invoice_first(self) -> bool:
        """Whether syncd records an unrecorded (accrual) invoice before the payment it books."""
        if self.method == CASH or self.setting is RecordInvoiceFirst.NEVER:
            return False
        if self.setting is RecordInvoiceFirst.ALWAYS:
            return True
        return self.invoice_first > 0 and self.payment_only == 0

    def line(self) -> str:
        """One line for doctor and ``syncd calibrate``."""
        seen = (
            f"{self.invoice_first} invoices with recorded payments were recorded first, "
            f"{self.payment_only} were not"
        )
        if self.method == CASH:
            return f"{seen}; cash method: syncd records payments only"
        first = self.records_invoice_first
        does = "records an unrecorded invoice before its payment" if first else "records payments only"
        forced = self.setting is not RecordInvoiceFirst.AUTO
        why = f" ([bokio] record_invoice_first = {self.setting})" if forced else ""
        return f"{seen}; syncd {does}{why}"

    def to_json(self) -> dict[str, Any]:
        return {
            "invoice_first": self.invoice_first,
            "payment_only": self.payment_only,
            "examples": {k: list(v) for k, v in self.examples.items()},
            "accounting_method": self.method,
            "setting": self.setting.value,
            "records_invoice_first": self.records_invoice_first,
        }


def record_order(
    session: Session,
    company_id: int,
    *,
    on: dt.date,
    setting: RecordInvoiceFirst = RecordInvoiceFirst.AUTO,
) -> RecordOrder:
    """The evidence on invoices with at least one recorded payment, and the method in force ``on``."""
    recorded_payment = exists().where(
        InvoicePayment.company_id == company_id,
        InvoicePayment.invoice_bokio_id == Invoice.bokio_id,
        InvoicePayment.journal_entry_id.is_not(None),
        InvoicePayment.deleted_at.is_(None),
    )
    recorded = Invoice.journal_entry_id.is_not(None)
    rows = session.execute(
        select(recorded, func.count())
        .where(Invoice.company_id == company_id, Invoice.deleted_at.is_(None), recorded_payment)
        .group_by(recorded)
    ).all()
    counts = {bool(first): int(n) for first, n in rows}
    examples = {
        ("invoice_first" if first else "payment_only"): _numbers(session, company_id, first, recorded_payment)
        for first in counts
    }
    return RecordOrder(
        invoice_first=counts.get(True, 0),
        payment_only=counts.get(False, 0),
        examples=examples,
        method=accounting_method(session, company_id, on),
        setting=setting,
    )


def _numbers(session: Session, company_id: int, recorded: bool, clause: Any) -> tuple[str, ...]:
    entry = Invoice.journal_entry_id.is_not(None) if recorded else Invoice.journal_entry_id.is_(None)
    numbers = session.scalars(
        select(Invoice.invoice_number)
        .where(Invoice.company_id == company_id, Invoice.deleted_at.is_(None), entry, clause)
        .order_by(Invoice.invoice_number)
        .limit(EXAMPLES)
    )
    return tuple(str(n) for n in numbers if n is not None)


def accounting_method(session: Session, company_id: int, on: dt.date) -> str | None:
    """Bokio's ``accountingMethod`` of the fiscal year holding ``on`` (None until pulled)."""
    return session.scalar(
        select(FiscalYear.accounting_method).where(
            FiscalYear.company_id == company_id,
            FiscalYear.start_date <= on,
            FiscalYear.end_date >= on,
            FiscalYear.deleted_at.is_(None),
        )
    )
