"""Name an invoice as a person knows it: number, customer and amount, never only its Bokio UUID."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.match.plan import format_amount
from syncd.mirror.tables import Invoice


def invoice_labels(session: Session, bokio_ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """``{bokio_id: {"id", "number", "customer", "amount", "currency"}}`` for the mirrored ones.

    Looked up by Bokio id alone: the ids are UUIDs, unique across companies.
    """
    wanted = sorted({i for i in bokio_ids if i})
    if not wanted:
        return {}
    rows = session.scalars(select(Invoice).where(Invoice.bokio_id.in_(wanted)))
    return {
        row.bokio_id: {
            "id": row.bokio_id,
            "number": row.invoice_number,
            "customer": row.customer_name,
            "amount": row.gross_amount if row.gross_amount is not None else row.total_amount,
            "currency": row.currency,
        }
        for row in rows
    }


def invoice_text(label: dict[str, Any] | None, bokio_id: str | None) -> str:
    """``invoice 1035 (Lars Andersson, 6 343,27 SEK)``; the UUID only when the mirror lacks it."""
    if label is None:
        return f"invoice {bokio_id}" if bokio_id else "no invoice"
    number = label["number"] or label["id"]
    customer = label["customer"] or "customer unknown"
    return f"invoice {number} ({customer}, {format_amount(label['amount'])} {label['currency']})"
