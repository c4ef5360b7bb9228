"""The audit in words for people (Swedish amounts, invoice and voucher numbers) and as JSON.

JSON money is a Decimal string; a finding names the invoice number, the booking (kind, date,
amount) and every voucher involved by number and date, so nobody has to look up a UUID.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncd.audit.compare import AuditResult, Booking, Finding
from syncd.match.plan import format_amount
from syncd.sie import Voucher

FINDING_KINDS = ("missing", "changed", "reversed", "double_booked", "unseen_bank_money")
HEADINGS = {
    "missing": "missing from Bokio's ledger",
    "changed": "changed in Bokio after syncd booked it",
    "reversed": "reversed (or deleted) in Bokio after syncd booked it",
    "double_booked": "booked twice: someone registered the same payment too",
    "unseen_bank_money": "bank money in the ledger that syncd never saw on a statement",
}


def _sek(amount: Decimal) -> str:
    return f"{format_amount(amount)} kr"


def _voucher(v: Voucher) -> dict[str, Any]:
    return {"voucher": v.ref, "date": v.date.isoformat(), "text": v.text}


def _booking(b: Booking) -> dict[str, Any]:
    return {
        "allocation_id": b.allocation_id,
        "invoice_number": b.invoice_number,
        "kind": b.kind,
        "date": b.date.isoformat(),
        "amount": str(-b.receivable),
    }


def finding_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": f.kind,
        "message": describe(f),
        "booking": _booking(f.booking) if f.booking else None,
        "vouchers": [_voucher(v) for v in f.vouchers],
    }
    if f.row is not None:
        out["row"] = {"account": f.row.account, "amount": str(f.row.amount)}
    return out


def result_json(result: AuditResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "vouchers_read": result.vouchers_read,
        "found": [
            {**_booking(b), "voucher": v.ref, "voucher_date": v.date.isoformat()} for b, v in result.found
        ],
        "counts": {kind: result.count(kind) for kind in FINDING_KINDS},
        "findings": [finding_json(f) for f in result.findings],
    }


def _what(b: Booking) -> str:
    return f"invoice {b.invoice_number or '(no number)'}: {b.label} of {_sek(-b.receivable)} on {b.date}"


def describe(f: Finding) -> str:
    """One line a bookkeeper can act on."""
    v = f.vouchers
    if f.kind == "unseen_bank_money" and f.row is not None:
        return (
            f"{v[0].ref} on {v[0].date} books {_sek(f.row.amount)} on account {f.row.account} "
            f"(“{v[0].text}”); no imported bank line has this amount on that day"
        )
    assert f.booking is not None  # noqa: S101 - every other finding is about a booking
    what = _what(f.booking)
    if f.kind == "missing":
        return f"{what}: no voucher on that day books it"
    if f.kind == "changed":
        return f"{what}: {v[0].ref} on {v[0].date} booked it, but its rows were changed afterwards"
    if f.kind == "reversed":
        return f"{what}: booked by {v[0].ref} on {v[0].date}, reversed by {v[1].ref} on {v[1].date}"
    return (
        f"{what}: booked by {v[0].ref} on {v[0].date} and again by {v[1].ref} on {v[1].date} (“{v[1].text}”)"
    )


def summary_line(bookings: int, result: AuditResult) -> str:
    """``all N bookings found in Bokio's ledger``, or how many were not."""
    about_bookings = len({id(f.booking) for f in result.findings if f.booking is not None})
    if about_bookings == 0:
        return f"all {bookings} bookings found in Bokio's ledger"
    return f"{bookings - about_bookings} of {bookings} bookings found in Bokio's ledger as syncd made them"


def text_lines(bookings: int, result: AuditResult) -> list[str]:
    lines = [summary_line(bookings, result)]
    for kind in FINDING_KINDS:
        found = [f for f in result.findings if f.kind == kind]
        if found:
            lines.append(f"{len(found)} {HEADINGS[kind]}:")
            lines += [f"  - {describe(f)}" for f in found]
    return lines
