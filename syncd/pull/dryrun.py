"""``--dry-run``: the calls a pull would make, estimated from the mirror alone (no Bokio call).

Listings are estimated from the mirror's row counts; per-invoice reads from what the mirror
already knows must be re-read (vanished-candidates are unknowable without listing, so the
estimate says "per changed invoice" instead of inventing a number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.clock import business_date
from syncd.mirror.tables import Company, CreditNote, Customer, Invoice
from syncd.pull import store
from syncd.pull.cursors import pages_for, window_start
from syncd.pull.report import REFERENCE_STREAMS, STREAMS, PlannedCall
from syncd.pull.run import PullConfig

BASE = "/companies/{companyId}"


def _count(
    session: Session, model: type[Invoice] | type[Customer] | type[CreditNote], pk: int, *where: object
) -> int:
    query = (
        select(func.count())
        .select_from(model)
        .where(model.company_id == pk, model.deleted_at.is_(None), *where)  # type: ignore[arg-type]
    )
    return int(session.scalar(query) or 0)


def plan(
    session: Session,
    bokio_company_id: str,
    *,
    config: PullConfig,
    streams: Sequence[str] | None,
    full: bool,
    now: dt.datetime,
) -> list[PlannedCall]:
    """Estimated calls for ``Puller.pull(company, streams=…, full=…)``."""
    pk = session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_company_id))
    chosen = list(streams or STREAMS)
    explicit = streams is not None
    size = config.page_size
    calls: list[PlannedCall] = []
    if pk is None:
        return [
            PlannedCall(s, "GET", "(first pull)", 1, "never pulled: at least one listing") for s in chosen
        ]
    paths = {
        "company": (BASE + "/company-information", 1),
        "accounts": (BASE + "/chart-of-accounts", 1),
        "fiscal_years": (BASE + "/fiscal-years", 1),
        "tag_groups": (BASE + "/tag-groups", 1),
    }
    for name in chosen:
        row = store.peek_state(session, pk, name)
        never = row is None or row.last_success_at is None
        if name in REFERENCE_STREAMS:
            if full or explicit or never:
                path, count = paths[name]
                calls.append(PlannedCall(name, "GET", path, count, "reference data (full sweep or missing)"))
        elif name == "customers":
            count = pages_for(_count(session, Customer, pk), size) if full or never else 1
            query = "all" if full or never else "modifiedDateTime>=cursor-lag"
            calls.append(PlannedCall(name, "GET", f"{BASE}/customers?query={query}", count, "customers"))
        elif name == "credit_notes" and (full or explicit):
            count = pages_for(_count(session, CreditNote, pk), size)
            calls.append(PlannedCall(name, "GET", BASE + "/credit-notes", count, "every credit note"))
        elif name == "invoices":
            calls.extend(_invoice_calls(session, pk, config, full=full, now=now))
    return calls


def _invoice_calls(
    session: Session, pk: int, config: PullConfig, *, full: bool, now: dt.datetime
) -> list[PlannedCall]:
    size = config.page_size
    dirty = store.dirty_ids(store.peek_state(session, pk, "invoices"))
    calls: list[PlannedCall] = []
    if full:
        total = _count(session, Invoice, pk)
        calls.append(
            PlannedCall(
                "invoices", "GET", BASE + "/invoices", pages_for(total, size), f"all {total} invoices"
            )
        )
    else:
        opened = _count(session, Invoice, pk, Invoice.status.in_(store.OPEN))
        start = window_start(business_date(now), config.window_days)
        recent = _count(session, Invoice, pk, Invoice.invoice_date >= start)
        calls.append(
            PlannedCall(
                "invoices",
                "GET",
                BASE + "/invoices?query=status==…",
                pages_for(opened, size),
                f"{opened} open invoices",
            )
        )
        calls.append(
            PlannedCall(
                "invoices",
                "GET",
                f"{BASE}/invoices?query=invoiceDate>={start}",
                pages_for(recent, size),
                f"{recent} invoices in the {config.window_days}-day window",
            )
        )
        calls.append(
            PlannedCall(
                "invoices",
                "GET",
                BASE + "/invoices/{invoiceId}",
                0,
                "+1 per open invoice that was paid or credited",
            )
        )
    if dirty:
        calls.append(
            PlannedCall(
                "invoices", "GET", BASE + "/invoices/{invoiceId}", len(dirty), "marked dirty by a push"
            )
        )
    calls.append(
        PlannedCall(
            "payments",
            "GET",
            BASE + "/invoices/{invoiceId}/payments",
            len(dirty),
            f"payments for ~{len(dirty)} dirty invoices, +1 per invoice whose paidAmount/status changed",
        )
    )
    calls.append(
        PlannedCall(
            "settlements",
            "GET",
            BASE + "/invoices/{invoiceId}/settlements",
            len(dirty),
            "same invoices as payments",
        )
    )
    return calls
