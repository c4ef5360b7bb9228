"""Import one bank file atomically: all of it in one transaction, or none of it and a quarantine row.

The order is what makes it safe: the bytes are hashed (the same file twice is a duplicate, nothing
added), parsed outside any transaction, then written in one transaction — the file row,
transactions new to the company (by fingerprint), PSP payouts new to it (by provider and id), and
batch links. A file that cannot be read, has an ERROR problem, or that the database refuses half
way is rolled back whole; then, in a transaction of its own, a ``bank_files`` row with status
``quarantined`` records why, so the reason is queryable. Moving the file is the caller's business
and happens only after the commit (:mod:`syncd.ingest.inbox`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from syncd.bankfiles import CsvMapping, FileFormat, ParseResult, Problem, Severity, parse
from syncd.errors import ParseError
from syncd.ingest import linking, store
from syncd.ingest.report import ImportReport, ImportStatus, hint_for, problem_json
from syncd.ingest.tables import BankFile
from syncd.mirror.repo import ensure_company
from syncd.mirror.tables import Company

__all__ = ["ImportReport", "ImportStatus", "ensure_company_id", "import_file", "import_parsed"]


@dataclass(frozen=True, slots=True)
class _Received:
    """The file as received: whose, which bytes, under what name."""

    company_bokio_id: str
    digest: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class _Refusal:
    """Why a file must be quarantined instead of imported."""

    reason: str
    location: str | None = None
    problems: tuple[Problem, ...] = field(default=())


def import_file(
    sessions: sessionmaker[Session],
    company_bokio_id: str,
    source: Path | bytes,
    filename: str | None = None,
    *,
    max_bytes: int,
    fmt: FileFormat | None = None,
    csv_mapping: CsvMapping | None = None,
    dry_run: bool = False,
    allow_test: bool = False,
) -> ImportReport:
    """Read, parse and import one file; see the module docstring for the guarantees."""
    name = filename or (source.name if isinstance(source, Path) else "upload")
    if isinstance(source, Path) and source.stat().st_size > max_bytes:
        size = source.stat().st_size
        received = _Received(company_bokio_id, _hash_file(source), name, size)
        too_big = f"file is {size} bytes, over the limit of {max_bytes}"
        error = ParseError(too_big, location=f"byte {max_bytes}")
        return _quarantine(sessions, received, None, error, dry_run=dry_run)
    data = source.read_bytes() if isinstance(source, Path) else source
    digest = store.content_hash(data)
    seen = _imported_file(sessions, company_bokio_id, digest)
    if seen is not None:
        return ImportReport(
            file=name,
            format=seen[1],
            status=ImportStatus.DUPLICATE_FILE,
            content_hash=digest,
            bank_file_id=seen[0],
            dry_run=dry_run,
        )
    try:
        result = parse(data, name, fmt=fmt, csv_mapping=csv_mapping, max_bytes=max_bytes)
    except ParseError as exc:
        received = _Received(company_bokio_id, digest, name, len(data))
        return _quarantine(sessions, received, None, exc, dry_run=dry_run)
    return import_parsed(
        sessions,
        company_bokio_id,
        result,
        content=data,
        filename=name,
        dry_run=dry_run,
        allow_test=allow_test,
    )


def import_parsed(
    sessions: sessionmaker[Session],
    company_bokio_id: str,
    result: ParseResult,
    *,
    content: bytes,
    filename: str,
    dry_run: bool = False,
    allow_test: bool = False,
) -> ImportReport:
    """Import an already parsed file (``content`` is its bytes, for the duplicate check).

    Public so that a caller holding a :class:`ParseResult` (a streamed camt parse, a test with a
    deliberately broken item) gets the same atomicity as :func:`import_file`.
    """
    received = _Received(company_bokio_id, store.content_hash(content), filename, len(content))
    company_id = None if dry_run else ensure_company_id(sessions, company_bokio_id)
    with sessions() as session:
        transaction = session.begin()
        try:
            company_id = company_id or ensure_company(session, company_bokio_id).id
            outcome = _write(session, company_id, received, result, allow_test=allow_test)
        except (IntegrityError, DataError) as exc:
            transaction.rollback()
            outcome = _Refusal(f"database refused the file's data: {exc.orig}".strip(), None, result.problems)
        except BaseException:
            transaction.rollback()
            raise
        else:
            keep = isinstance(outcome, ImportReport) and outcome.status is ImportStatus.IMPORTED
            if keep and not dry_run:
                transaction.commit()
            else:
                transaction.rollback()
    if isinstance(outcome, ImportReport):
        return dataclasses.replace(outcome, dry_run=dry_run)
    error = ParseError(outcome.reason, location=outcome.location)
    return _quarantine(
        sessions, received, result.format.value, error, problems=outcome.problems, dry_run=dry_run
    )


def _refusal_of(result: ParseResult, allow_test: bool) -> _Refusal | None:
    errors = result.errors
    if errors:
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        return _Refusal(errors[0].message + more, errors[0].location, result.problems)
    if result.is_test and not allow_test:
        return _Refusal("test file: the bank marked it as test data", None, result.problems)
    return None


def ensure_company_id(sessions: sessionmaker[Session], company_bokio_id: str) -> int:
    """The company's row id, created in a transaction of its own on first use (race-safe)."""
    with sessions.begin() as session:
        return ensure_company(session, company_bokio_id).id


def _write(
    session: Session, company_id: int, received: _Received, result: ParseResult, *, allow_test: bool
) -> ImportReport | _Refusal:
    """Everything an import writes, on one transaction the caller commits or rolls back."""
    digest, filename = received.digest, received.filename
    existing = store.find_file(session, company_id, digest)
    duplicate = ImportReport(
        file=filename,
        format=result.format.value,
        status=ImportStatus.DUPLICATE_FILE,
        content_hash=digest,
        bank_file_id=existing.id if existing else None,
    )
    if existing is not None and existing.status == ImportStatus.IMPORTED:
        return duplicate
    refusal = _refusal_of(result, allow_test)
    if refusal is not None:
        return refusal
    values = {
        "filename": filename,
        "format": result.format.value,
        "size_bytes": received.size,
        "status": "imported",
    }
    if existing is None:
        file_id = store.claim_file(
            session, company_id=company_id, digest=digest, values={**values, "info": {}}
        )
        if file_id is None:
            return duplicate  # a concurrent import of the same bytes committed first
    else:
        file_id = existing.id  # a quarantined file that now imports: the row is reused
    transactions = store.fingerprinted(result.transactions)
    inserted = store.insert_transactions(
        session, company_id=company_id, bank_file_id=file_id, transactions=transactions
    )
    payouts = store.insert_payouts(
        session, company_id=company_id, bank_file_id=file_id, payouts=result.payouts
    )
    batch_dates = [
        tx.booking_date
        for tx in transactions
        if tx.fingerprint in inserted.ids and tx.booking_date and (tx.is_batch or tx.batch_key)
    ]
    plan = linking.link_batches(session, company_id, batch_dates)
    problems = result.problems + tuple(
        Problem(filename, "", message, Severity.WARNING) for message in plan.ambiguous
    )
    charges = sum(len(p.charges) for p in result.payouts if f"{p.provider}:{p.payout_id}" in payouts.ids)
    row = session.get_one(BankFile, file_id)
    for key, value in values.items():
        setattr(row, key, value)
    row.error = None
    row.transactions_added = len(inserted.ids)
    row.transactions_known = inserted.known
    row.info = {
        "format_version": result.format_version,
        "payouts_added": len(payouts.ids),
        "payouts_known": payouts.known,
        "links": [{"batch_id": link.batch_id, "evidence": list(link.evidence)} for link in plan.links],
        "problems": [problem_json(p) for p in problems],
    }
    session.flush()
    return ImportReport(
        file=filename,
        format=result.format.value,
        status=ImportStatus.IMPORTED,
        added=len(inserted.ids),
        already_known=inserted.known,
        linked_batches=len(plan.links),
        payouts=len(payouts.ids),
        payouts_known=payouts.known,
        charges=charges,
        problems=problems,
        content_hash=digest,
        bank_file_id=file_id,
    )


def _imported_file(
    sessions: sessionmaker[Session], company_bokio_id: str, digest: str
) -> tuple[int, str | None] | None:
    """Id and format of an already imported file with these bytes (read only: a cheap early exit)."""
    with sessions() as session:
        row = session.execute(
            select(BankFile.id, BankFile.format)
            .join(Company, Company.id == BankFile.company_id)
            .where(
                Company.bokio_company_id == company_bokio_id,
                BankFile.content_hash == digest,
                BankFile.status == ImportStatus.IMPORTED.value,
            )
        ).first()
        return None if row is None else (row.id, row.format)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quarantine(
    sessions: sessionmaker[Session],
    received: _Received,
    fmt: str | None,
    error: ParseError,
    *,
    problems: tuple[Problem, ...] = (),
    dry_run: bool,
) -> ImportReport:
    """Record the refusal in a transaction of its own (the import's was rolled back)."""
    where = error.location or ""
    text = f"{where}: {error.reason}" if where else error.reason
    digest = received.digest
    report = ImportReport(
        file=received.filename,
        format=fmt,
        status=ImportStatus.QUARANTINED,
        problems=problems,
        error=error.reason,
        error_location=error.location,
        hint=hint_for(error.reason),
        content_hash=digest,
        dry_run=dry_run,
    )
    if dry_run:
        return report
    company_id = ensure_company_id(sessions, received.company_bokio_id)
    with sessions.begin() as session:
        values = {"filename": received.filename, "format": fmt, "size_bytes": received.size}
        if store.find_file(session, company_id, digest) is None:
            store.claim_file(
                session, company_id=company_id, digest=digest, values={**values, "status": "quarantined"}
            )
        row = store.find_file(session, company_id, digest)
        if row is None or row.status == ImportStatus.IMPORTED:  # imported meanwhile by another process
            file_id = row.id if row else None
            return dataclasses.replace(report, status=ImportStatus.DUPLICATE_FILE, bank_file_id=file_id)
        row.status, row.error, row.format, row.filename = "quarantined", text, fmt, received.filename
        row.info = {"problems": [problem_json(p) for p in problems]}
        file_id = row.id
    return dataclasses.replace(report, bank_file_id=file_id)
