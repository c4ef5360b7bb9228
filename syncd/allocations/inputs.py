"""Mirror and bank rows → the matcher's pure inputs (and nothing else).

What is still open on an invoice is the mirror's outstanding amount minus what accepted
allocations will take off once pushed (Bokio does not know about them yet), so two cycles can
never spend the same outstanding amount twice. A bank line offers only what earlier allocations
left of it, and a line a person dismissed offers nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from syncd.allocations.held import allocated_cash
from syncd.allocations.tables import Allocation, AllocationState, Dismissal, PayerAlias, RejectedPair
from syncd.domain.invoice_math import OPEN_STATUSES
from syncd.domain.models import BankLine, Direction, OpenInvoice, PspCharge, PspPayoutLine
from syncd.domain.money import ORE, ZERO
from syncd.ingest.linking import matchable_transactions
from syncd.ingest.tables import BankTransaction, PspPayout
from syncd.ingest.tables import PspCharge as PspChargeRow
from syncd.match.rules import MatchMemory
from syncd.match.rules import PayerAlias as MemoryAlias
from syncd.mirror.tables import Invoice

# Accepted but not yet visible in Bokio's paidAmount: the mirror does not include these yet.
UNPUSHED = ("none", "pending", "failed")


def pending_consumption(session: Session, company_id: int) -> dict[str, Decimal]:
    """SEK each invoice will lose to accepted allocations whose push has not completed."""
    taken: dict[str, Decimal] = defaultdict(Decimal)
    for invoice_id, consumed, rate in session.execute(
        select(Allocation.invoice_bokio_id, Allocation.consumed, Invoice.currency_rate)
        .join(
            Invoice,
            (Invoice.company_id == Allocation.company_id) & (Invoice.bokio_id == Allocation.invoice_bokio_id),
        )
        .where(
            Allocation.company_id == company_id,
            Allocation.state == AllocationState.ACCEPTED,
            Allocation.push_state.in_(UNPUSHED),
        )
    ):
        taken[invoice_id] += (consumed * rate).quantize(ORE, rounding=ROUND_HALF_EVEN)
    return taken


def open_invoices(session: Session, company_id: int, company_key: str) -> list[OpenInvoice]:
    """Invoices the matcher may allocate to: open, amounts understood, something still due."""
    taken = pending_consumption(session, company_id)
    rows = session.scalars(
        select(Invoice).where(
            Invoice.company_id == company_id,
            Invoice.status.in_(OPEN_STATUSES),
            Invoice.deleted_at.is_(None),
            Invoice.amount_problem.is_(None),
            Invoice.outstanding.is_not(None),
        )
    ).all()
    result = []
    for row in rows:
        view = invoice_view(row, taken, company_key)
        if view.outstanding_sek > 0:
            result.append(view)
    return result


def invoice_view(row: Invoice, taken: dict[str, Decimal], company_key: str) -> OpenInvoice:
    """One mirrored invoice as the matcher sees it; ``outstanding`` may be zero or less here.

    ``taken`` is :func:`pending_consumption`; the row must have a derived outstanding amount.
    """
    if row.outstanding is None:
        raise ValueError(f"invoice {row.bokio_id} has no derived outstanding amount")
    outstanding_sek = row.outstanding - taken.get(row.bokio_id, ZERO)
    rate = row.currency_rate or Decimal(1)
    outstanding = outstanding_sek if row.currency == "SEK" else (outstanding_sek / rate).quantize(ORE)
    return OpenInvoice(
        company_id=company_key,
        bokio_id=row.bokio_id,
        invoice_number=row.invoice_number or "",
        ocr=row.payment_reference,
        customer_id=row.customer_bokio_id or "",
        customer_name=row.customer_name or "",
        currency=row.currency,
        currency_rate=rate,
        gross_amount=row.gross_amount if row.gross_amount is not None else row.total_amount,
        outstanding=outstanding,
        outstanding_sek=outstanding_sek,
        invoice_date=row.invoice_date,
        due_date=row.due_date or row.invoice_date,
    )


def bank_lines(
    session: Session, company_id: int, company_key: str, *, since: dt.date | None = None
) -> list[BankLine]:
    """Booked, non-batch transactions with money left to allocate, as the matcher sees them.

    ``since`` limits them to money booked on or after that day (an admin's rerun of a window).
    Lines a person dismissed (handled outside syncd) are left out.
    """
    allocated = allocated_cash(session, company_id)
    dismissed = dismissed_line_ids(session, company_id)
    payout_ids = dict(session.execute(select(PspPayout.id, PspPayout.payout_id)).all())
    lines = []
    for row in matchable_transactions(session, company_id, allocated):
        left = row.amount - allocated.get(row.id, ZERO)
        if left <= 0 or row.booking_date is None or (since is not None and row.booking_date < since):
            continue
        if row.id in dismissed:
            continue
        lines.append(bank_line(row, left, company_key, payout_ids.get(row.psp_payout_id or -1)))
    return lines


def dismissed_line_ids(session: Session, company_id: int) -> set[int]:
    """Bank lines a person dismissed and has not brought back."""
    return set(
        session.scalars(
            select(Dismissal.bank_transaction_id).where(
                Dismissal.company_id == company_id, Dismissal.undismissed_at.is_(None)
            )
        )
    )


def bank_line(
    row: BankTransaction | Row[Any], amount: Decimal, company_key: str, payout_id: str | None
) -> BankLine:
    """One bank transaction (an ORM row or a row of its columns) as the matcher sees it."""
    items = row.references.get("items", []) if isinstance(row.references, dict) else []
    text_parts = [
        row.free_text,
        *(row.references.get("tokens", []) if isinstance(row.references, dict) else []),
    ]
    assert row.booking_date is not None  # noqa: S101 - checked by the caller
    return BankLine(
        company_id=company_key,
        id=str(row.id),
        booking_date=row.booking_date,
        amount=amount,
        currency=row.currency,
        direction=Direction(row.direction),
        is_reversal=row.is_reversal,
        references=tuple(str(item["value"]) for item in items if item.get("value")),
        free_text=" ".join(part for part in text_parts if part),
        payer_name=row.payer_name,
        payer_account=row.payer_account or row.payer_bankgiro,
        psp_payout_id=payout_id,
    )


def psp_payouts(session: Session, company_id: int, company_key: str) -> list[PspPayoutLine]:
    """The company's PSP payouts with their charges (the matcher pairs them with bank credits)."""
    payouts = session.scalars(select(PspPayout).where(PspPayout.company_id == company_id)).all()
    charges: dict[int, list[PspCharge]] = defaultdict(list)
    for charge in session.scalars(
        select(PspChargeRow)
        .where(PspChargeRow.payout_id.in_([p.id for p in payouts]))
        .order_by(PspChargeRow.id)
    ):
        charges[charge.payout_id].append(
            PspCharge(
                charge_id=charge.charge_id,
                gross=charge.gross,
                fee=charge.fee,
                currency=charge.currency,
                invoice_reference=charge.invoice_reference or None,
            )
        )
    return [
        PspPayoutLine(
            company_id=company_key,
            provider=payout.provider,
            payout_id=payout.payout_id,
            net=payout.net,
            currency=payout.currency,
            charges=tuple(charges[payout.id]),
        )
        for payout in payouts
    ]


def memory(session: Session, company_id: int, company_key: str) -> MatchMemory:
    """Rejected pairs and confirmed payer aliases of one company."""
    rejected = frozenset(
        (str(tx_id), invoice_id)
        for tx_id, invoice_id in session.execute(
            select(RejectedPair.bank_transaction_id, RejectedPair.invoice_bokio_id).where(
                RejectedPair.company_id == company_id
            )
        )
    )
    aliases = tuple(
        MemoryAlias(company_key, alias.payer_name, alias.customer_bokio_id, alias.confirmations)
        for alias in session.scalars(select(PayerAlias).where(PayerAlias.company_id == company_id))
    )
    return MatchMemory(rejected=rejected, aliases=aliases)
