"""Reading stored audits (queries only, in the caller's session; never commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.audit.report import FINDING_KINDS
from syncd.audit.tables import AuditRun


def latest(session: Session, company_pk: int) -> AuditRun | None:
    """The company's most recent audit."""
    row: AuditRun | None = session.scalar(
        select(AuditRun)
        .where(AuditRun.company_id == company_pk)
        .order_by(AuditRun.finished_at.desc(), AuditRun.id.desc())
        .limit(1)
    )
    return row


def summary(session: Session, company_pk: int) -> dict[str, Any] | None:
    """The last audit for ``status``: when, cost, bookings found and discrepancies per kind."""
    row = latest(session, company_pk)
    if row is None:
        return None
    return {
        "at": row.finished_at.isoformat(),
        "ok": row.ok,
        "requests": row.requests,
        "bookings": row.bookings,
        "found": row.found,
        "findings": {kind: int(getattr(row, kind)) for kind in FINDING_KINDS},
    }


def summary_line(last: dict[str, Any] | None) -> str:
    """``2026-11-29T20:10:00+00:00: all 15 bookings found`` or what disagreed (`syncd audit`)."""
    if last is None:
        return "never run  (`syncd audit`)"
    if last["ok"]:
        return f"{last['at']}: all {last['bookings']} bookings found in Bokio's ledger"
    wrong = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in last["findings"].items() if n)
    return f"{last['at']}: {last['found']} of {last['bookings']} bookings found; {wrong}  (`syncd audit`)"
