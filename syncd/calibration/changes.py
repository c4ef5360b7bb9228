"""Which of a company's invoices changed since something was kept from the mirror (index reads only).

Every syncd writer of invoices, payments and settlements stamps the rows it writes with the
company's new mirror generation (:func:`syncd.mirror.repo.upsert`, :func:`~syncd.mirror.repo.changed`);
what calibration keeps at generation G is brought up to date from the invoices stamped after G.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.mirror import repo
from syncd.mirror.tables import Invoice, InvoicePayment, InvoiceSettlement, MirrorDigest


def kept_to_update(session: Session, company_id: int, name: str, key: str) -> MirrorDigest | None:
    """What was kept under ``name`` with ``key``, if it can be brought up to date from the rows
    stamped since; None when the whole history must be weighed (nothing kept, another key, or a
    soft delete written without a stamp)."""
    kept = repo.kept_digest(session, company_id, name)
    if kept is None or kept.key != key:
        return None
    if settled_deletes(session, company_id, kept.generation) != kept.document.get("deleted"):
        return None
    return kept


def settled_deletes(session: Session, company_id: int, generation: int) -> int:
    """Soft-deleted rows stamped at or before ``generation`` (index ranges, not the history).

    Every syncd writer stamps what it deletes (:func:`syncd.mirror.repo.soft_delete`); a soft
    delete written without a stamp (an older pull, a hand-made fix) raises this count instead,
    and calibration then weighs the whole history anew rather than miss it. Counted as all
    deleted rows less the recent or unstamped ones: a ``stamp <= generation`` range would be the
    whole history.
    """
    counts = []
    for model in (Invoice, InvoicePayment, InvoiceSettlement):
        deleted = (model.company_id == company_id, model.deleted_at.is_not(None))
        counts += [
            select(func.count()).select_from(model).where(*deleted),
            select(-func.count()).select_from(model).where(*deleted, model.stamp > generation),
            select(-func.count()).select_from(model).where(*deleted, model.stamp.is_(None)),
        ]
    return sum(int(n) for n in session.execute(select(*(c.scalar_subquery() for c in counts))).one())


def changed_invoices(session: Session, company_id: int, generation: int) -> set[str]:
    """Invoices whose own row, or one of whose payments or settlements, was stamped after
    ``generation`` or written without a stamp (two index ranges per table)."""
    changed: set[str] = set()
    for model, column in (
        (Invoice, Invoice.bokio_id),
        (InvoicePayment, InvoicePayment.invoice_bokio_id),
        (InvoiceSettlement, InvoiceSettlement.invoice_bokio_id),
    ):
        for since in (model.stamp > generation, model.stamp.is_(None)):
            changed.update(session.scalars(select(column).where(model.company_id == company_id, since)))
    return changed
