"""Derived invoice amounts (``gross_amount``, ``outstanding``, ``amount_problem``) via invoice_math.

All arithmetic is :mod:`syncd.domain.invoice_math`'s; this module only picks the inputs out of
Bokio's raw JSON. A totals misfit is reported and leaves both amounts NULL: the matcher skips
such invoices rather than act on a guessed amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from syncd.domain import invoice_math as im
from syncd.domain.money import ZERO


@dataclass(frozen=True, slots=True)
class Derived:
    """What syncd stores beside an invoice's raw JSON."""

    gross_amount: Decimal | None
    outstanding: Decimal | None
    amount_problem: str | None

    def as_values(self) -> dict[str, Any]:
        return {
            "gross_amount": self.gross_amount,
            "outstanding": self.outstanding,
            "amount_problem": self.amount_problem,
        }


def _dec(value: Any, default: Decimal) -> Decimal:
    return default if value is None else Decimal(value)


def gross_base_of(raw: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    """Gross in SEK of an invoice or credit note, or the reason its totals do not fit its lines."""
    check = im.check_totals(
        raw.get("lineItems") or [], _dec(raw.get("totalAmount"), ZERO), _dec(raw.get("totalTax"), ZERO)
    )
    if check.problem is not None:
        return None, check.problem
    return im.gross_base(check.gross, _dec(raw.get("currencyRate"), Decimal(1))), None


def derive(
    invoice: Mapping[str, Any],
    *,
    credit_notes: Iterable[Mapping[str, Any]] = (),
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
        if note.get("status") != "published":
            continue
        note_gross, note_problem = gross_base_of(note)
        if note_gross is None:
            return Derived(gross, None, f"credit note {note.get('id')}: {note_problem}")
        credited += note_gross
    remaining = im.outstanding(
        gross,
        _dec(invoice.get("paidAmount"), ZERO),
        list(settlements),
        credited=credited,
        sign=sign,
        paid_includes_settlements=paid_includes_settlements,
    )
    return Derived(gross, remaining, None)
