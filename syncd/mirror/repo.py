"""Mirror repositories: upserts and lookups on a caller's Session. They flush, never commit.

An upsert compares content hashes first, so re-reading unchanged Bokio data writes nothing
(issue 4's "unchanged data costs no writes"); new and changed rows go through one
``INSERT … ON CONFLICT (company_id, bokio_id) DO UPDATE``, which also makes a concurrent
insert of the same record harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from syncd.db import utcnow
from syncd.mirror import mapping
from syncd.mirror.tables import (
    Account,
    Company,
    CreditNote,
    Customer,
    FiscalYear,
    Invoice,
    InvoicePayment,
    InvoiceSettlement,
    MirrorDigest,
    MirrorGeneration,
    RequestLedger,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

    from syncd.bokio import models as bm

    MirrorRecord = (
        bm.Invoice
        | bm.InvoicePayment
        | bm.InvoiceSettlement
        | bm.CreditNote
        | bm.Customer
        | bm.Account
        | bm.FiscalYear
    )
    """A typed Bokio record the mirror keeps (:mod:`syncd.bokio.models`)."""

MirrorModel = (
    type[Invoice]
    | type[InvoicePayment]
    | type[InvoiceSettlement]
    | type[CreditNote]
    | type[Customer]
    | type[Account]
    | type[FiscalYear]
)

MAPPERS: dict[MirrorModel, mapping.Mapper] = {
    Invoice: mapping.invoice_values,
    InvoicePayment: mapping.payment_values,
    InvoiceSettlement: mapping.settlement_values,
    CreditNote: mapping.credit_note_values,
    Customer: mapping.customer_values,
    Account: mapping.account_values,
    FiscalYear: mapping.fiscal_year_values,
}


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What an upsert did; ``written`` is what cost database writes."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


def ensure_company(session: Session, bokio_company_id: str, name: str = "") -> Company:
    """The company row for a Bokio company id, created on first use.

    ``INSERT … ON CONFLICT DO NOTHING`` first, so two jobs meeting a new company at the same time
    both end up with the one row instead of one of them failing on the unique constraint.
    """
    company = session.scalar(select(Company).where(Company.bokio_company_id == bokio_company_id))
    if company is None:
        insert = _dialect_insert(session.get_bind().dialect.name)
        session.execute(
            insert(Company)
            .values(bokio_company_id=bokio_company_id, name=name, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["bokio_company_id"])
        )
        company = session.scalars(select(Company).where(Company.bokio_company_id == bokio_company_id)).one()
    elif name and company.name != name:
        company.name = name
    return company


def bokio_id_of(record: MirrorRecord) -> str:
    """The external id of a record (accounts are keyed by their number)."""
    from syncd.bokio import models as bm  # at first use: commands that only read the mirror skip httpx

    if isinstance(record, bm.Account):
        return str(record.account)
    return str(record.id)


def upsert(
    session: Session,
    model: MirrorModel,
    company_id: int,
    records: Iterable[MirrorRecord],
    *,
    invoice_id: str | None = None,
) -> UpsertCounts:
    """Insert new and update changed records; leave identical ones untouched (and undelete).

    ``invoice_id`` is the invoice payments or settlements were listed under, for records that do
    not name it themselves. Each record's ``raw`` payload is stored beside its columns.
    """
    mapper = MAPPERS[model]
    by_id = {bokio_id_of(record): _under(record, invoice_id) for record in records}
    if not by_id:
        return UpsertCounts()
    rows_found = session.execute(
        select(model.bokio_id, model.content_hash, *_reflected(model)).where(
            model.company_id == company_id,
            model.bokio_id.in_(list(by_id)),
            model.deleted_at.is_(None),
        )
    )
    existing: dict[str, str] = {}
    reflected: set[str] = set()  # invoices whose paid amount is syncd's own reflection
    for row in rows_found:
        existing[row.bokio_id] = row.content_hash
        if len(row) > 2 and not row[2]:
            reflected.add(row.bokio_id)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    inserted = updated = 0
    for bokio_id, record in by_id.items():
        digest = mapping.content_hash(record)
        if existing.get(bokio_id) == digest:
            continue
        if bokio_id in existing:
            updated += 1
        else:
            inserted += 1
        rows.append(
            {
                "company_id": company_id,
                "bokio_id": bokio_id,
                "raw": dict(record.raw),
                "content_hash": digest,
                "first_seen_at": now,
                "last_seen_at": now,
                "deleted_at": None,
                **mapper(record),
            }
        )
    if rows:
        _insert_or_update(session, model, rows, stamp=bump_generation(session, company_id))
    confirmed = reflected - {row["bokio_id"] for row in rows}
    if confirmed:
        _confirm_paid(session, company_id, sorted(confirmed), bump_generation(session, company_id))
    return UpsertCounts(inserted=inserted, updated=updated, unchanged=len(by_id) - len(rows))


def _reflected(model: MirrorModel) -> tuple[Any, ...]:
    """The invoices' provenance flag, to be selected beside the content hash."""
    return (Invoice.paid_from_bokio,) if model is Invoice else ()


def _confirm_paid(session: Session, company_id: int, bokio_ids: list[str], stamp: int) -> None:
    """A fresh read equal to syncd's reflection: the paid amount is now Bokio's own word too."""
    session.execute(
        update(Invoice)
        .where(
            Invoice.company_id == company_id,
            Invoice.bokio_id.in_(bokio_ids),
        )
        .values(paid_from_bokio=True, stamp=stamp)
    )


def _under(record: MirrorRecord, invoice_id: str | None) -> MirrorRecord:
    """A payment or settlement that does not name its invoice, given the one it was listed under."""
    from syncd.bokio import models as bm

    if invoice_id is None or not isinstance(record, bm.InvoicePayment | bm.InvoiceSettlement):
        return record
    return record if record.invoice_id else record.model_copy(update={"invoice_id": invoice_id})


@dataclass(frozen=True, slots=True)
class MirroredInvoice:
    """An invoice as the mirror holds it: the typed model (with syncd's own paid amount and
    status, see :func:`set_paid`) and the content hash it was stored with."""

    invoice: bm.Invoice
    content_hash: str


def mirrored_invoices(
    session: Session, company_id: int, bokio_ids: Iterable[str]
) -> dict[str, MirroredInvoice]:
    """The live invoices among ``bokio_ids``, replayed from their stored payloads into typed models."""
    rows = session.execute(
        select(
            Invoice.bokio_id, Invoice.raw, Invoice.paid_amount, Invoice.status, Invoice.content_hash
        ).where(
            Invoice.company_id == company_id,
            Invoice.bokio_id.in_(sorted(set(bokio_ids))),
            Invoice.deleted_at.is_(None),
        )
    ).all()
    return {
        row.bokio_id: MirroredInvoice(_as_mirrored(row.raw, row.paid_amount, row.status), row.content_hash)
        for row in rows
    }


def mirrored_credit_notes(
    session: Session, company_id: int, invoice_ids: Iterable[str]
) -> dict[str, list[bm.CreditNote]]:
    """The live credit notes of these invoices, as typed models, by invoice id."""
    from syncd.bokio import models as bm

    notes: dict[str, list[bm.CreditNote]] = {}
    for invoice_id, raw in session.execute(
        select(CreditNote.invoice_bokio_id, CreditNote.raw).where(
            CreditNote.company_id == company_id,
            CreditNote.invoice_bokio_id.in_(sorted(set(invoice_ids))),
            CreditNote.deleted_at.is_(None),
        )
    ):
        notes.setdefault(str(invoice_id), []).append(bm.CreditNote.model_validate(raw))
    return notes


def _as_mirrored(raw: dict[str, Any], paid: Decimal, status: str) -> bm.Invoice:
    """The stored payload as a typed invoice, with the paid amount and status the columns hold."""
    from syncd.bokio import models as bm

    return bm.Invoice.model_validate(raw).model_copy(update={"paid_amount": paid, "status": status})


def set_paid(session: Session, row: Invoice, paid: Decimal, status: str) -> None:
    """Move an invoice's paid amount and status in place, as a fresh read is expected to show them.

    The content hash becomes the one that read would give, so the next pull sees no change when
    Bokio agrees and re-reads the invoice's payments when it does not. ``raw`` keeps what Bokio
    last sent.
    """
    row.paid_amount, row.status, row.paid_from_bokio = paid, status, False
    row.content_hash = mapping.content_hash(_as_mirrored(row.raw, paid, status))
    row.stamp = bump_generation(session, row.company_id)
    session.flush()


def _dialect_insert(dialect: str) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """The dialect's ``insert`` (with ON CONFLICT); PostgreSQL's imported only when used (≈0.04 s)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert


def _insert_or_update(
    session: Session, model: MirrorModel, rows: list[dict[str, Any]], *, stamp: int
) -> None:
    if model in STAMPED:
        rows = [{**row, "stamp": stamp} for row in rows]
    dialect = session.get_bind().dialect.name
    insert = _dialect_insert(dialect)
    statement = insert(model)
    keep = {"id", "company_id", "bokio_id", "first_seen_at"}
    changes = {column: statement.excluded[column] for column in rows[0] if column not in keep}
    session.execute(
        statement.on_conflict_do_update(index_elements=["company_id", "bokio_id"], set_=changes), rows
    )
    session.flush()


def soft_delete_missing(
    session: Session, model: MirrorModel, company_id: int, seen_ids: set[str], *, now: dt.datetime
) -> int:
    """Mark rows not seen by a *completed* full sweep as deleted; returns how many."""
    live = session.scalars(
        select(model.bokio_id).where(model.company_id == company_id, model.deleted_at.is_(None))
    ).all()
    gone = [bokio_id for bokio_id in live if bokio_id not in seen_ids]
    soft_delete(session, model, company_id, gone, now=now)
    return len(gone)


def soft_delete(
    session: Session, model: MirrorModel, company_id: int, bokio_ids: list[str], *, now: dt.datetime
) -> None:
    """Mark these rows deleted (ones already deleted keep their date), as :func:`changed` writes."""
    changed(session, model, company_id, bokio_ids, live_only=True, deleted_at=now)


def changed(
    session: Session,
    model: MirrorModel,
    company_id: int,
    bokio_ids: list[str],
    *,
    live_only: bool = False,
    **values: Any,
) -> None:
    """Write ``values`` on these rows outside an upsert (a soft delete, a journal entry learned).

    Moves the company's generation and stamps the rows with it, as an upsert does, so calibration
    weighs their invoices again (:mod:`syncd.calibration.changes`). Every syncd writer of what
    calibration reads on invoices, payments or settlements goes through here or :func:`upsert`.
    """
    if not bokio_ids:
        return
    moved = bump_generation(session, company_id)
    stamp = {"stamp": moved} if model in STAMPED else {}
    live = (model.deleted_at.is_(None),) if live_only else ()
    for start in range(0, len(bokio_ids), 500):
        session.execute(
            update(model)
            .where(model.company_id == company_id, model.bokio_id.in_(bokio_ids[start : start + 500]), *live)
            .values(**values, **stamp)
        )


STAMPED: frozenset[MirrorModel] = frozenset({Invoice, InvoicePayment, InvoiceSettlement})
"""Mirrored rows calibration weighs, which carry a ``stamp`` (:class:`~syncd.mirror.tables.Invoice`)."""


def bump_generation(session: Session, company_id: int) -> int:
    """Say the company's mirrored money changed (in the writer's transaction); the new generation.

    One upsert returning the value: every mirror write calls this, so it costs one statement.
    """
    insert = _dialect_insert(session.get_bind().dialect.name)
    moved = session.execute(
        insert(MirrorGeneration)
        .values(company_id=company_id, generation=1)
        .on_conflict_do_update(
            index_elements=["company_id"], set_={"generation": MirrorGeneration.generation + 1}
        )
        .returning(MirrorGeneration.generation)
    ).scalar_one()
    return int(moved)


def generation(session: Session, company_id: int) -> int:
    """The company's mirror generation (0 before anything was mirrored)."""
    found = session.scalar(
        select(MirrorGeneration.generation).where(MirrorGeneration.company_id == company_id)
    )
    return int(found or 0)


def kept_digest(session: Session, company_id: int, name: str) -> MirrorDigest | None:
    """The document stored under ``name``, whatever generation it was computed at."""
    return session.scalar(
        select(MirrorDigest).where(MirrorDigest.company_id == company_id, MirrorDigest.name == name)
    )


def store_digest(
    session: Session,
    company_id: int,
    name: str,
    key: str,
    document: dict[str, Any],
    *,
    at: int | None = None,
) -> None:
    """Keep ``document`` for generation ``at`` (default: the current one) and ``key``.

    A later writer simply replaces it.
    """
    insert = _dialect_insert(session.get_bind().dialect.name)
    at = generation(session, company_id) if at is None else at
    values = {"generation": at, "key": key, "document": document}
    session.execute(
        insert(MirrorDigest)
        .values(company_id=company_id, name=name, **values)
        .on_conflict_do_update(index_elements=["company_id", "name"], set_=values)
    )


def record_request(
    session: Session,
    *,
    company_id: int,
    at: dt.datetime,
    method: str,
    path_template: str,
    status: int | None,
    duration_ms: int | None = None,
    error_kind: str | None = None,
    purpose: str | None = None,
) -> None:
    """Append one Bokio call to the company's request ledger."""
    session.add(
        RequestLedger(
            company_id=company_id,
            at=at,
            method=method,
            path_template=path_template,
            status=status,
            duration_ms=duration_ms,
            error_kind=error_kind,
            purpose=purpose,
        )
    )


def requests_between(session: Session, company_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """How many Bokio calls the company made in ``[start, end)``."""
    count = session.scalar(
        select(func.count())
        .select_from(RequestLedger)
        .where(RequestLedger.company_id == company_id, RequestLedger.at >= start, RequestLedger.at < end)
    )
    return int(count or 0)
