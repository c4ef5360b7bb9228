"""After an allocation's last command: the mirror's invoice reflects it, with no extra request.

The write responses already told us the payment and settlement rows (mirrored as they came);
what they do not tell is the invoice's new ``paidAmount`` and ``status``. Those follow from the
same documented assumptions the sandbox implements (:mod:`syncd.domain.invoice_math`), so they
are computed here instead of read back (:func:`syncd.mirror.repo.set_paid`): zero requests in the
fault-free path.

Nothing is taken on trust: the next open-invoice scan lists the invoice anyway (it is open, or it
was until now), and if Bokio's figures differ from these, the content hash differs, the pollers
re-read its payments and settlements and re-derive the amounts. The matcher never sees a stale
outstanding amount in between: the derived columns are updated in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.allocations.tables import Allocation
from syncd.clock import business_date
from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.derive import refresh_derived
from syncd.mirror.tables import Invoice, InvoicePayment, InvoiceSettlement


def reflect_allocation(
    session: Session,
    company_pk: int,
    allocation: Allocation,
    *,
    now: dt.datetime,
    undone: bool = False,
    readings: im.Readings = im.DEFAULT_READINGS,
) -> None:
    """Move the invoice's ``paidAmount``/``status`` by what this allocation booked (or undid)."""
    row = session.scalar(
        select(Invoice).where(
            Invoice.company_id == company_pk, Invoice.bokio_id == allocation.invoice_bokio_id
        )
    )
    if row is None or row.deleted_at is not None:
        return
    sign, paid_includes_settlements = readings.settlement_sign, readings.paid_includes_settlements
    delta = _booked(
        session, company_pk, allocation, sign=sign, includes=paid_includes_settlements, undone=undone
    )
    paid = row.paid_amount + delta
    all_settlements = [
        (kind, amount)
        for kind, amount in session.execute(
            select(InvoiceSettlement.type, InvoiceSettlement.sum_base_currency).where(
                InvoiceSettlement.company_id == company_pk,
                InvoiceSettlement.invoice_bokio_id == row.bokio_id,
                InvoiceSettlement.deleted_at.is_(None),
            )
        )
    ]
    status = _status(row, paid, all_settlements, now, sign=sign, includes=paid_includes_settlements)
    repo.set_paid(session, row, paid, status)
    refresh_derived(
        session, company_pk, [row.bokio_id], sign=sign, paid_includes_settlements=paid_includes_settlements
    )


def _booked(
    session: Session,
    company_pk: int,
    allocation: Allocation,
    *,
    sign: im.SettlementSign,
    includes: bool,
    undone: bool,
) -> Decimal:
    """What the allocation's own payment and settlements add to ``paidAmount`` (negated on undo)."""
    if undone:
        planned = [
            (str(s["type"]), Decimal(str(s["amount"]))) for s in allocation.settlements.get("items", [])
        ]
        booked = [allocation.amount_sek] if allocation.amount_sek > 0 else []
        return -im.paid_amount(booked, planned, sign=sign, includes_settlements=includes)
    payments = list(
        session.scalars(
            select(InvoicePayment.sum_base_currency).where(
                InvoicePayment.company_id == company_pk,
                InvoicePayment.bokio_id == allocation.bokio_payment_id,
            )
        )
    )
    ids = [str(i) for i in allocation.bokio_settlement_ids.get("ids", [])]
    pairs = [
        (kind, amount)
        for kind, amount in session.execute(
            select(InvoiceSettlement.type, InvoiceSettlement.sum_base_currency).where(
                InvoiceSettlement.company_id == company_pk, InvoiceSettlement.bokio_id.in_(ids)
            )
        )
    ]
    return im.paid_amount(payments, pairs, sign=sign, includes_settlements=includes)


def _status(
    row: Invoice,
    paid: Decimal,
    settlements: list[tuple[str, Decimal]],
    now: dt.datetime,
    *,
    sign: im.SettlementSign,
    includes: bool,
) -> str:
    if row.status in (im.Status.CREDITED, im.Status.DRAFT, "credit") or row.gross_amount is None:
        return row.status
    remaining = im.outstanding(
        row.gross_amount, paid, settlements, sign=sign, paid_includes_settlements=includes
    )
    return im.derive_status(
        published=True,
        gross=row.gross_amount,
        paid=paid,
        remaining=remaining,
        due_date=row.due_date or row.invoice_date,
        today=business_date(now),
    ).value
