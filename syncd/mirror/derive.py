"""Derived invoice amounts (``gross_amount``, ``outstanding``, ``amount_problem``) via invoice_math.

All arithmetic is :mod:`syncd.domain.invoice_math`'s; this module only picks its inputs out of
the typed invoice, its credit notes and its mirrored settlements. A totals misfit is reported and
leaves both amounts NULL: the matcher skips such invoices rather than act on a guessed amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syncd.domain import invoice_math as im
from syncd.domain.money import ZERO
from syncd.mirror import repo
from syncd.mirror.tables import Invoice, InvoiceSettlement

if TYPE_CHECKING:
    from syncd.bokio import models as bm


@dataclass(frozen=True, slots=True)
class Derived:
    """What syncd stores beside an invoice's Bokio columns."""

    gross_amount: Decimal | None
    outstanding: Decimal | None
    amount_problem: str | None

    def as_values(self) -> dict[str, Any]:
        return {
            "gross_amount": self.gross_amount,
            "outstanding": self.outstanding,
            "amount_problem": self.amount_problem,
        }


def line_of(item: bm.LineItem) -> im.Line:
    return im.Line(
        quantity=Decimal(1) if item.quantity is None else item.quantity,
        unit_price=ZERO if item.unit_price is None else item.unit_price,
        tax_rate=ZERO if item.tax_rate is None else item.tax_rate,
        priced=item.item_type != "descriptionOnlyItem",
    )


def gross_base_of(document: bm.Invoice | bm.CreditNote) -> tuple[Decimal | None, str | None]:
    """Gross in SEK of an invoice or credit note, or the reason its totals do not fit its lines."""
    lines = [line_of(item) for item in document.line_items]
    total_amount = ZERO if document.total_amount is None else document.total_amount
    total_tax = ZERO if document.total_tax is None else document.total_tax
    check = im.check_totals(lines, total_amount, total_tax, rounded=document.currency == "SEK")
    if check.problem is not None:
        return None, check.problem
    rate = Decimal(1) if document.currency_rate is None else document.currency_rate
    return im.gross_base(check.gross, rate), None


def derive(
    invoice: bm.Invoice,
    *,
    credit_notes: Iterable[bm.CreditNote] = (),
    settlements: Iterable[tuple[str, Decimal]] = (),
    sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN,
    paid_includes_settlements: bool = im.PAID_INCLUDES_SETTLEMENTS,
) -> Derived:
    """Gross and outstanding in SEK for one invoice; ``credit_notes`` are its mirrored notes."""
    gross, problem = gross_base_of(invoice)
    if gross is None:
        return Derived(None, None, f"invoice totals: {problem}")
    credited = ZERO
    for note in credit_notes:
        if note.status != "published":
            continue
        note_gross, note_problem = gross_base_of(note)
        if note_gross is None:
            return Derived(gross, None, f"credit note {note.id}: {note_problem}")
        credited += note_gross
    remaining = im.outstanding(
        gross,
        ZERO if invoice.paid_amount is None else invoice.paid_amount,
        list(settlements),
        credited=credited,
        sign=sign,
        paid_includes_settlements=paid_includes_settlements,
    )
    return Derived(gross, remaining, None)


def _settlements(session: Session, company_pk: int, ids: list[str]) -> dict[str, list[tuple[str, Decimal]]]:
    found: dict[str, list[tuple[str, Decimal]]] = {}
    for invoice_id, kind, amount in session.execute(
        select(
            InvoiceSettlement.invoice_bokio_id, InvoiceSettlement.type, InvoiceSettlement.sum_base_currency
        ).where(
            InvoiceSettlement.company_id == company_pk,
            InvoiceSettlement.invoice_bokio_id.in_(ids),
            InvoiceSettlement.deleted_at.is_(None),
        )
    ):
        found.setdefault(invoice_id, []).append((kind, amount))
    return found


def refresh_derived(
    session: Session,
    company_pk: int,
    invoice_ids: Iterable[str],
    *,
    sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN,
    paid_includes_settlements: bool = im.PAID_INCLUDES_SETTLEMENTS,
) -> list[str]:
    """Re-derive gross/outstanding for these invoices; write only rows whose values moved.

    Returns the problems found (one line per invoice whose totals do not fit).
    """
    ids = sorted(set(invoice_ids))
    if not ids:
        return []
    invoices = repo.mirrored_invoices(session, company_pk, ids)
    stored = session.execute(
        select(
            Invoice.id, Invoice.bokio_id, Invoice.gross_amount, Invoice.outstanding, Invoice.amount_problem
        ).where(Invoice.company_id == company_pk, Invoice.bokio_id.in_(list(invoices)))
    ).all()
    notes = repo.mirrored_credit_notes(session, company_pk, ids)
    settlements = _settlements(session, company_pk, ids)
    problems: list[str] = []
    for row in stored:
        derived = derive(
            invoices[row.bokio_id].invoice,
            credit_notes=notes.get(row.bokio_id, ()),
            settlements=settlements.get(row.bokio_id, ()),
            sign=sign,
            paid_includes_settlements=paid_includes_settlements,
        )
        if derived.amount_problem:
            problems.append(f"invoice {row.bokio_id}: {derived.amount_problem}")
        if derived != Derived(row.gross_amount, row.outstanding, row.amount_problem):
            session.execute(update(Invoice).where(Invoice.id == row.id).values(**derived.as_values()))
    return problems
