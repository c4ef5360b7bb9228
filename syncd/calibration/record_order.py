"""Whether an invoice is recorded before its payments, as the company's own books show it.

Bokio's guide records an invoice before its payments; the API does not say whether recording a
payment on an invoice that was never recorded is refused, allowed, or leaves the receivable
account (1510) credited without its debit. The company's history tells: every invoice with a
recorded payment is either recorded itself (*invoice first*) or not (*payment only*). Syncd
records an unrecorded invoice before booking a payment on it only where the history shows
invoices first and never a payment on an unrecorded invoice, and never under the cash method
(kontantmetoden books the revenue with the payment). ``[bokio] record_invoice_first`` may
force either answer. Queries on the mirror only; no Bokio call.

Each invoice's side is kept (:class:`~syncd.calibration.tables.InvoiceRecordOrder`) with the counts
at a mirror generation, and brought up to date from the invoices stamped since
(:mod:`syncd.calibration.changes`): the match stage keeps them (``keep=True``, under its
(company, match) lock, once a cycle), and pays for what changed, not for the company's history.
Everyone else only reads: a person accepting a proposal in the web app or the CLI, doctor and
``syncd calibrate`` add what changed since to the kept counts in memory and write nothing, so
they never contend with the match stage for the kept rows (their examples are those kept).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from syncd.calibration import changes
from syncd.calibration.tables import InvoiceRecordOrder
from syncd.mirror import repo
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
    keep: bool = False,
) -> RecordOrder:
    """The evidence on invoices with at least one recorded payment, and the method in force ``on``.

    ``keep`` brings the kept rows up to date in the caller's transaction (the match stage only).
    """
    counts = _kept_counts(session, company_id, keep=keep)
    examples = {
        ("invoice_first" if first else "payment_only"): _numbers(session, company_id, first)
        for first in (False, True)
        if counts[first]
    }
    return RecordOrder(
        invoice_first=counts[True],
        payment_only=counts[False],
        examples=examples,
        method=accounting_method(session, company_id, on),
        setting=setting,
    )


_DIGEST = "record_order"
_KEY = "v1"


def _kept_counts(session: Session, company_id: int, *, keep: bool) -> dict[bool, int]:
    """Invoices per side: the kept counts with what changed since added (see the module)."""
    now = repo.generation(session, company_id)  # first: rows stamped later are classified again next time
    kept = changes.kept_to_update(session, company_id, _DIGEST, _KEY)
    if kept is None:
        if not keep:
            return _sides(session, _recorded(company_id, None).subquery())  # once after an upgrade
        session.execute(delete(InvoiceRecordOrder).where(InvoiceRecordOrder.company_id == company_id))
        _classify(session, company_id, None)
        counts = _counted(session, InvoiceRecordOrder.company_id == company_id)
    else:
        counts = {True: int(kept.document["invoice_first"]), False: int(kept.document["payment_only"])}
        changed = sorted(changes.changed_invoices(session, company_id, kept.generation))
        if not changed and kept.generation == now:
            return counts
        for start in range(0, len(changed), _CHUNK):
            chunk = changed[start : start + _CHUNK]
            rows = select(Invoice.id).where(Invoice.company_id == company_id, Invoice.bokio_id.in_(chunk))
            ours = InvoiceRecordOrder.invoice_id.in_(rows)
            for first, n in _counted(session, ours).items():
                counts[first] -= n
            if keep:
                session.execute(delete(InvoiceRecordOrder).where(ours))
                _classify(session, company_id, chunk)
                fresh = _counted(session, ours)
            else:
                fresh = _sides(session, _recorded(company_id, chunk).subquery())
            for first, n in fresh.items():
                counts[first] += n
    if keep:
        document = {
            "deleted": changes.settled_deletes(session, company_id, now),
            "invoice_first": counts[True],
            "payment_only": counts[False],
        }
        repo.store_digest(session, company_id, _DIGEST, _KEY, document, at=now)
    return counts


_CHUNK = 500


def _recorded(company_id: int, bokio_ids: list[str] | None) -> Select[int, int, bool, str | None]:
    """The side of these live invoices (all when None) that have a recorded payment, as rows of
    :class:`~syncd.calibration.tables.InvoiceRecordOrder`."""
    among = () if bokio_ids is None else (Invoice.bokio_id.in_(bokio_ids),)
    recorded_payments = select(InvoicePayment.invoice_bokio_id).where(
        InvoicePayment.company_id == company_id,
        InvoicePayment.journal_entry_id.is_not(None),
        InvoicePayment.deleted_at.is_(None),
        *(() if bokio_ids is None else (InvoicePayment.invoice_bokio_id.in_(bokio_ids),)),
    )
    return select(
        Invoice.id,
        Invoice.company_id,
        Invoice.journal_entry_id.is_not(None).label("invoice_first"),
        Invoice.invoice_number,
    ).where(
        Invoice.company_id == company_id,
        Invoice.deleted_at.is_(None),
        Invoice.bokio_id.in_(recorded_payments),
        *among,
    )


def _classify(session: Session, company_id: int, bokio_ids: list[str] | None) -> None:
    """Keep the side of these live invoices (all when None) that have a recorded payment."""
    session.execute(
        insert(InvoiceRecordOrder).from_select(
            ["invoice_id", "company_id", "invoice_first", "number"], _recorded(company_id, bokio_ids)
        )
    )


def _sides(session: Session, rows: Any) -> dict[bool, int]:
    """Rows per side (``invoice_first``) of a subquery."""
    found = session.execute(select(rows.c.invoice_first, func.count()).group_by(rows.c.invoice_first))
    counts = {True: 0, False: 0}
    counts.update({bool(first): int(n) for first, n in found})
    return counts


def _counted(session: Session, clause: Any) -> dict[bool, int]:
    return _sides(session, select(InvoiceRecordOrder.invoice_first).where(clause).subquery())


def _numbers(session: Session, company_id: int, first: bool) -> tuple[str, ...]:
    numbers = session.scalars(
        select(InvoiceRecordOrder.number)
        .where(InvoiceRecordOrder.company_id == company_id, InvoiceRecordOrder.invoice_first == first)
        .order_by(InvoiceRecordOrder.number)
        .limit(EXAMPLES)
    )
    return tuple(str(n) for n in numbers if n is not None)


def afresh(session: Session, company_id: int) -> tuple[int, int, dict[str, tuple[str, ...]]]:
    """``(invoice_first, payment_only, examples)`` read from the whole history now: what
    :func:`record_order` keeps must equal it (its tests' oracle)."""
    recorded_payments = select(InvoicePayment.invoice_bokio_id).where(
        InvoicePayment.company_id == company_id,
        InvoicePayment.journal_entry_id.is_not(None),
        InvoicePayment.deleted_at.is_(None),
    )
    live = (
        Invoice.company_id == company_id,
        Invoice.deleted_at.is_(None),
        Invoice.bokio_id.in_(recorded_payments),
    )
    counts = {True: 0, False: 0}
    examples = {}
    for first in (False, True):
        side = Invoice.journal_entry_id.is_not(None) if first else Invoice.journal_entry_id.is_(None)
        counts[first] = int(session.scalar(select(func.count()).select_from(Invoice).where(*live, side)) or 0)
        numbers = session.scalars(
            select(Invoice.invoice_number).where(*live, side).order_by(Invoice.invoice_number).limit(EXAMPLES)
        )
        if counts[first]:
            examples["invoice_first" if first else "payment_only"] = tuple(
                str(n) for n in numbers if n is not None
            )
    return counts[True], counts[False], examples


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
