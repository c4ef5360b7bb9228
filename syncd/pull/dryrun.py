"""``--dry-run``: the calls a pull would make.

A stream the mirror already holds is estimated from the mirror alone (no Bokio call): listings
from its row counts, per-invoice reads from what must be re-read (vanished candidates are
unknowable without listing, so the estimate says "per changed invoice" instead of inventing a
number).

A stream never pulled cannot be estimated from an empty mirror, and its cost is dominated by
the per-invoice reads (payments and settlements of every invoice with money on it, credit notes
by id), not by the listings. Given a :data:`Sampler`, the estimate reads a few listing pages
(first, middle, last; at most :data:`SAMPLE_PAGES` per listing, counted against the budget like
every call) and scales what it finds on them to the listing's ``totalItems``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.bokio import models as bm
from syncd.bokio.models import BokioModel
from syncd.bokio.query import invoice_dated_from
from syncd.clock import business_date
from syncd.mirror.dirty import STREAM, dirty_ids
from syncd.mirror.syncstate import peek_state
from syncd.mirror.tables import Company, CreditNote, Customer, Invoice
from syncd.pull import store
from syncd.pull.cursors import pages_for, window_start
from syncd.pull.report import REFERENCE_STREAMS, STREAMS, PlannedCall
from syncd.pull.run import PullConfig

BASE = "/companies/{companyId}"
INVOICES = BASE + "/invoices"
CUSTOMERS = BASE + "/customers"
CREDIT_NOTES = BASE + "/credit-notes"
SAMPLE_PAGES = 3

Sampler = Callable[[str, str | None, int], tuple[int, int, list[BokioModel]]]
"""``(template, query, page) -> (totalItems, totalPages, items)``: one listing page from Bokio."""


@dataclass(frozen=True, slots=True)
class ListingSample:
    """What a few pages of one listing say about all of it."""

    total_items: int
    total_pages: int
    sampled: int
    children: int
    """Sampled invoices whose payments and settlements a first pull reads."""
    notes: int
    """Credit-note references on the sampled invoices (each read by id when notes come by id)."""

    def scaled(self, count: int) -> int:
        """``count`` seen on the sampled items, scaled to the whole listing."""
        return round(count * self.total_items / self.sampled) if self.sampled else 0


def sample_listing(
    sampler: Sampler,
    template: str,
    query: str | None,
    *,
    counts: Callable[[bm.Invoice], bool] = lambda _invoice: True,
) -> ListingSample:
    """Read the first, middle and last page; count what a first pull does for their invoices.

    ``counts`` says which items are new to this listing (the window skips invoices the open scan
    already brought in).
    """
    from syncd.pull.invoices import needs_children

    total_items, total_pages, items = sampler(template, query, 1)
    for page in sorted({(total_pages + 1) // 2, total_pages} - {0, 1})[: SAMPLE_PAGES - 1]:
        items += sampler(template, query, page)[2]
    invoices = [item for item in items if isinstance(item, bm.Invoice)]
    mine = [invoice for invoice in invoices if counts(invoice)]
    return ListingSample(
        total_items=total_items,
        total_pages=max(total_pages, 1),
        sampled=len(items),
        children=sum(1 for invoice in mine if needs_children(None, invoice)),
        notes=sum(len(invoice.credit_note_refs or []) for invoice in mine),
    )


def _count(
    session: Session, model: type[Invoice] | type[Customer] | type[CreditNote], pk: int, *where: object
) -> int:
    query = (
        select(func.count())
        .select_from(model)
        .where(model.company_id == pk, model.deleted_at.is_(None), *where)  # type: ignore[arg-type]
    )
    return int(session.scalar(query) or 0)


@dataclass(frozen=True, slots=True)
class _Planning:
    """One :func:`plan` call's inputs, shared by the per-stream estimates."""

    session: Session
    pk: int | None
    config: PullConfig
    full: bool
    explicit: bool
    notes_by_id: bool
    now: dt.datetime
    sampler: Sampler | None

    @property
    def mirror(self) -> int:
        return self.pk if self.pk is not None else -1  # no company row: every count is 0

    def never(self, stream: str) -> bool:
        return self.pk is None or _never(self.session, self.pk, stream)


REFERENCE_PATHS = {
    "company": BASE + "/company-information",
    "accounts": BASE + "/chart-of-accounts",
    "fiscal_years": BASE + "/fiscal-years",
    "tag_groups": BASE + "/tag-groups",
}


def plan(
    session: Session,
    bokio_company_id: str,
    *,
    config: PullConfig,
    streams: Sequence[str] | None,
    full: bool,
    now: dt.datetime,
    sampler: Sampler | None = None,
) -> list[PlannedCall]:
    """Estimated calls for ``Puller.pull(company, streams=…, full=…)``.

    Without a ``sampler`` a never-pulled stream is listed as "at least one listing" (the poll
    planner's view); with one, it is estimated from sampled pages (see the module docstring).
    """
    pk = session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_company_id))
    chosen = list(streams or STREAMS)
    if pk is None and sampler is None:
        return [
            PlannedCall(s, "GET", "(first pull)", 1, "never pulled: at least one listing") for s in chosen
        ]
    planning = _Planning(
        session,
        pk,
        config,
        full=full,
        explicit=streams is not None,
        notes_by_id=not (full and "credit_notes" in chosen),
        now=now,
        sampler=sampler,
    )
    return [call for name in chosen for call in _stream_calls(planning, name)]


def _stream_calls(p: _Planning, name: str) -> list[PlannedCall]:
    """One stream's estimated calls (reference data only on full sweeps or when never read)."""
    if name in REFERENCE_STREAMS:
        if p.full or p.explicit or p.never(name):
            return [
                PlannedCall(name, "GET", REFERENCE_PATHS[name], 1, "reference data (full sweep or missing)")
            ]
        return []
    estimate = {"customers": _customer_calls, "credit_notes": _credit_note_calls, "invoices": _invoice_plan}
    return estimate[name](p) if name in estimate else []


def _customer_calls(p: _Planning) -> list[PlannedCall]:
    size, never = p.config.page_size, p.never("customers")
    if never and p.sampler is not None:
        total = p.sampler(CUSTOMERS, None, 1)[0]
        return [PlannedCall("customers", "GET", CUSTOMERS, pages_for(total, size), f"all {total} customers")]
    count = pages_for(_count(p.session, Customer, p.mirror), size) if p.full or never else 1
    query = "all" if p.full or never else "modifiedDateTime>=cursor-lag"
    return [PlannedCall("customers", "GET", f"{CUSTOMERS}?query={query}", count, "customers")]


def _credit_note_calls(p: _Planning) -> list[PlannedCall]:
    if not (p.full or p.explicit):
        return []  # incremental credit notes come by id with their invoice
    size = p.config.page_size
    if p.never("credit_notes") and p.sampler is not None:
        total = p.sampler(CREDIT_NOTES, None, 1)[0]
        return [
            PlannedCall(
                "credit_notes", "GET", CREDIT_NOTES, pages_for(total, size), f"all {total} credit notes"
            )
        ]
    count = pages_for(_count(p.session, CreditNote, p.mirror), size)
    return [PlannedCall("credit_notes", "GET", CREDIT_NOTES, count, "every credit note")]


def _invoice_plan(p: _Planning) -> list[PlannedCall]:
    if p.never("invoices") and p.sampler is not None:
        return _first_invoice_calls(p.sampler, p.config, full=p.full, notes_by_id=p.notes_by_id, now=p.now)
    return _invoice_calls(p.session, p.mirror, p.config, full=p.full, now=p.now)


def _never(session: Session, pk: int, stream: str) -> bool:
    row = peek_state(session, pk, stream)
    return row is None or row.last_success_at is None


def first_pull_pending(session: Session, bokio_company_id: str, streams: Sequence[str] | None) -> bool:
    """Whether a pull of ``streams`` would list a stream the mirror has never completed."""
    pk = session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_company_id))
    return pk is None or any(_never(session, pk, name) for name in streams or STREAMS)


def _first_invoice_calls(
    sampler: Sampler, config: PullConfig, *, full: bool, notes_by_id: bool, now: dt.datetime
) -> list[PlannedCall]:
    """A first invoice pull: the listings, then per-invoice reads scaled from sampled pages."""
    from syncd.pull.invoices import OPEN, open_query

    if full:
        listings = [(sample_listing(sampler, INVOICES, None), "", "all invoices")]
    else:
        start = window_start(business_date(now), config.window_days)
        listings = [
            (sample_listing(sampler, INVOICES, open_query()), "?query=status==…", "open invoices"),
            (
                sample_listing(
                    sampler,
                    INVOICES,
                    invoice_dated_from(start),
                    counts=lambda invoice: invoice.status not in OPEN,
                ),
                f"?query={invoice_dated_from(start)}",
                f"invoices in the {config.window_days}-day window",
            ),
        ]
    calls = [
        PlannedCall("invoices", "GET", INVOICES + query, sample.total_pages, f"{sample.total_items} {what}")
        for sample, query, what in listings
    ]
    children = sum(sample.scaled(sample.children) for sample, _, _ in listings)
    sampled = sum(sample.sampled for sample, _, _ in listings)
    why = f"invoices with money on them (scaled from {sampled} sampled)"
    calls.append(PlannedCall("payments", "GET", INVOICES + "/{invoiceId}/payments", children, why))
    calls.append(PlannedCall("settlements", "GET", INVOICES + "/{invoiceId}/settlements", children, why))
    if notes_by_id:
        notes = sum(sample.scaled(sample.notes) for sample, _, _ in listings)
        calls.append(
            PlannedCall("credit_notes", "GET", CREDIT_NOTES + "/{creditNoteId}", notes, "credit notes by id")
        )
    return calls


def _invoice_calls(
    session: Session, pk: int, config: PullConfig, *, full: bool, now: dt.datetime
) -> list[PlannedCall]:
    size = config.page_size
    dirty = dirty_ids(peek_state(session, pk, STREAM))
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
                f"{BASE}/invoices?query={invoice_dated_from(start)}",
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
