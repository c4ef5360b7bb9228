"""Import one bank file atomically: all of it in one transaction, or none of it and a quarantine row.

The order is what makes it safe: the bytes are hashed (the same file twice is a duplicate, nothing
added), parsed outside any transaction, then written in one transaction — the file row,
transactions new to the company (by fingerprint), PSP payouts new to it (by provider and id), and
batch links. A file that cannot be read, has an ERROR problem, or that the database refuses half
way is rolled back whole; then, in a transaction of its own, a ``bank_files`` row with status
``quarantined`` records why, so the reason is queryable. Moving the file is the caller's business
and happens only after the commit (:mod:`syncd.ingest.inbox`).

A file given as a path is the exception to "parsed outside any transaction" (every format but
BgMax, whose files are small): it is hashed in a first pass and then parsed as a stream inside the
transaction — camt, bank CSV and PSP reports alike — its transactions or payouts inserted in
batches as they come, so a 200 MB statement or report is never held in memory. The guarantees are
the same: a parse error or an ERROR problem anywhere in it, even after many batches, rolls the
whole file back. A PSP report streams on the assumption that each payout's rows are together
(PayPal: in time order); one that is not is read whole instead when it is at most
:data:`UNORDERED_MAX_BYTES`, and quarantined with that reason when larger. While one batch is
written, a thread parses the next ones (:mod:`syncd.ingest.readahead`), with the same guarantees.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from syncd.bankfiles import (
    PRESETS,
    BankTransaction,
    CsvMapping,
    FileFormat,
    ParseResult,
    Problem,
    PspPayout,
    PspStream,
    Severity,
    Stream,
    UnorderedReport,
    identify,
    iter_chunks,
    open_stream,
    parse,
)
from syncd.bankfiles.detect import HEAD_BYTES
from syncd.bankfiles.model import Fingerprinter
from syncd.errors import ParseError
from syncd.ingest import accounts, linking, reversals, store
from syncd.ingest.readahead import read_ahead
from syncd.ingest.report import ImportReport, ImportStatus, hint_for, problem_json
from syncd.ingest.tables import BankFile
from syncd.mirror.repo import ensure_company
from syncd.mirror.tables import Company

BATCH_SIZE = 2000  # transactions (or PSP charges) per insert when a file is streamed
UNORDERED_MAX_BYTES = 32 * 1024 * 1024  # a PSP report out of payout order is read whole up to this
_STREAMED = frozenset(FileFormat) - {FileFormat.BGMAX}
PROGRESS_LOG_BYTES = 8 * 1024 * 1024
"""From this size on, a streamed file logs its progress at info after every batch (else at debug)."""
T = TypeVar("T")

log = structlog.get_logger("syncd.ingest")


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where a streamed file's import is: told after every batch (log line, terminal bar)."""

    filename: str
    bytes_read: int
    size: int
    records: int
    """Transactions (or PSP payouts) parsed so far."""


ImportProgressHook = Callable[[ImportProgress], None]

__all__ = [
    "ImportProgress",
    "ImportReport",
    "ImportStatus",
    "ensure_company_id",
    "import_file",
    "import_parsed",
]


@dataclass(frozen=True, slots=True)
class _Received:
    """The file as received: whose, which bytes, under what name."""

    company_bokio_id: str
    digest: str
    filename: str
    size: int
    bank_accounts: tuple[str, ...] = ()  # the company's configured accounts (else learned ones)
    bookings: reversals.Bookings | None = None  # which lines syncd booked (allocations), for reversals


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
    batch_size: int = BATCH_SIZE,
    bank_accounts: Sequence[str] = (),
    stripe_reference_keys: Sequence[str] | None = None,
    on_progress: ImportProgressHook | None = None,
    bookings: reversals.Bookings | None = None,
) -> ImportReport:
    """Read, parse and import one file; see the module docstring for the guarantees.

    A file given as a path is streamed (hashed in a first pass, then parsed and inserted in
    batches of ``batch_size`` inside the one transaction), so a 200 MB file never sits in memory.
    ``stripe_reference_keys``: the Stripe report columns holding the Bokio invoice number (the
    company's ``[companies.matching] stripe_reference_keys``; None: the usual ones).
    ``on_progress`` is told after every batch of a streamed file (a terminal's progress bar).
    ``bookings`` says which bank lines syncd booked in Bokio (the allocations' port), so a plain
    debit that mirrors one can be linked as its reversal; without it only the bank's own reversal
    and return markers are linked.
    """
    name = filename or (source.name if isinstance(source, Path) else "upload")
    if isinstance(source, Path) and source.stat().st_size > max_bytes:
        size = source.stat().st_size
        received = _Received(company_bokio_id, _hash_file(source), name, size, tuple(bank_accounts), bookings)
        too_big = f"file is {size} bytes, over the limit of {max_bytes}"
        error = ParseError(too_big, location=f"byte {max_bytes}")
        return _quarantine(sessions, received, None, error, dry_run=dry_run)
    streamed = _stream_format(source, name, fmt, csv_mapping) if isinstance(source, Path) else None
    if isinstance(source, Path) and streamed is not None:
        size = source.stat().st_size
        received = _Received(company_bokio_id, _hash_file(source), name, size, tuple(bank_accounts), bookings)
        options = _StreamOptions(max_bytes, csv_mapping, stripe_reference_keys, batch_size, on_progress)
        try:
            return _import_stream(
                sessions, received, source, streamed, options, dry_run=dry_run, allow_test=allow_test
            )
        except UnorderedReport as exc:
            if received.size > UNORDERED_MAX_BYTES:
                return _quarantine(sessions, received, streamed.value, exc, dry_run=dry_run)
            # small enough to read whole, where any order is fine
    data = source.read_bytes() if isinstance(source, Path) else source
    received = _Received(
        company_bokio_id, store.content_hash(data), name, len(data), tuple(bank_accounts), bookings
    )
    seen = _already_imported(sessions, received, dry_run=dry_run)
    if seen is not None:
        return seen
    try:
        result = parse(
            data,
            name,
            fmt=fmt,
            csv_mapping=csv_mapping,
            max_bytes=max_bytes,
            stripe_reference_keys=stripe_reference_keys,
        )
    except ParseError as exc:
        return _quarantine(sessions, received, None, exc, dry_run=dry_run)
    return import_parsed(
        sessions,
        company_bokio_id,
        result,
        content=data,
        filename=name,
        dry_run=dry_run,
        allow_test=allow_test,
        bank_accounts=bank_accounts,
        bookings=bookings,
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
    bank_accounts: Sequence[str] = (),
    bookings: reversals.Bookings | None = None,
) -> ImportReport:
    """Import an already parsed file (``content`` is its bytes, for the duplicate check).

    Public so that a caller holding a :class:`ParseResult` (a test with a deliberately broken
    item) gets the same atomicity as :func:`import_file`.
    """
    digest = store.content_hash(content)
    received = _Received(company_bokio_id, digest, filename, len(content), tuple(bank_accounts), bookings)

    def write(session: Session, company_id: int) -> ImportReport | _Refusal:
        return _write(session, company_id, received, result, allow_test=allow_test)

    return _atomically(sessions, received, write, lambda: result, dry_run=dry_run)


@dataclass(frozen=True, slots=True)
class _StreamOptions:
    max_bytes: int
    csv_mapping: CsvMapping | None
    stripe_reference_keys: Sequence[str] | None
    batch_size: int
    on_progress: ImportProgressHook | None = None


def _import_stream(
    sessions: sessionmaker[Session],
    received: _Received,
    path: Path,
    fmt: FileFormat,
    options: _StreamOptions,
    *,
    dry_run: bool,
    allow_test: bool,
) -> ImportReport:
    """Import a file without holding it: parsed from chunks, inserted batch by batch.

    ``fmt`` (from the caller or the file's head) names the file in a duplicate report; the file row
    gets the parsed format once the stream has been read. Raises :class:`UnorderedReport` (after
    rolling back) for a PSP report that is not in the order streaming needs.
    """
    seen = _already_imported(sessions, received, dry_run=dry_run)
    if seen is not None:
        return seen
    with path.open("rb") as handle:
        stream = open_stream(
            iter_chunks(handle),
            fmt,
            source=received.filename,
            max_bytes=options.max_bytes,
            csv_mapping=options.csv_mapping,
            stripe_reference_keys=options.stripe_reference_keys,
        )

        def write(session: Session, company_id: int) -> ImportReport | _Refusal:
            opened = _open_file(session, company_id, received, fmt, None)
            if not isinstance(opened, int):
                return opened
            delivery = store.Delivery(company_id, opened, received.digest, fmt.value)
            inserter = _Inserter(session, delivery)
            progress = _Progress(received, handle.tell, options.on_progress)
            _stream_into(stream, inserter, options.batch_size, progress)
            result = stream.result()
            refusal = _refusal_of(result, allow_test)
            if refusal is not None:
                return refusal
            return _finish(session, received, result, inserter)

        return _atomically(sessions, received, write, stream.result, dry_run=dry_run, reraise=UnorderedReport)


@dataclass
class _Progress:
    """Tells the log (info for a big file) and the caller's hook after each batch."""

    received: _Received
    position: Callable[[], int]
    hook: ImportProgressHook | None
    records: int = 0

    def batch(self, count: int) -> None:
        self.records += count
        event = ImportProgress(
            self.received.filename, min(self.position(), self.received.size), self.received.size, self.records
        )
        level = log.info if event.size >= PROGRESS_LOG_BYTES else log.debug
        level(
            "import.progress",
            company=self.received.company_bokio_id,
            file=event.filename,
            bytes_read=event.bytes_read,
            size=event.size,
            records=event.records,
        )
        if self.hook is not None:
            self.hook(event)


def _stream_into(stream: Stream, inserter: _Inserter, batch_size: int, progress: _Progress) -> None:
    """Insert what ``stream`` yields in batches; after the first ERROR problem only parse on.

    Parsing on after a refusal gives the complete problem list for the quarantine note; inserting
    on would be wasted (the transaction is rolled back). The next batches are parsed in a thread
    while this one is written (:mod:`syncd.ingest.readahead`); each comes with the number of
    problems logged by its end, so the thread running ahead never changes which batches go in.
    """
    if isinstance(stream, PspStream):
        _write_batches(stream, _payout_batches(stream, batch_size), inserter.insert_payouts, progress)
        return
    stamp = Fingerprinter()  # one for the whole file: occurrence indexes must not restart per batch

    def insert(batch: list[BankTransaction]) -> None:
        inserter.insert(store.fingerprinted(batch, stamp))

    _write_batches(stream, _batches(stream, batch_size), insert, progress)


def _write_batches(
    stream: Stream, batches: Iterable[list[T]], write: Callable[[list[T]], None], progress: _Progress
) -> None:
    """``write`` each batch, read ahead in a thread, until the first ERROR problem."""
    problems = stream.problems.items
    checked, refused = 0, False
    with closing(read_ahead(_marked(batches, problems))) as marked:
        for batch, logged in marked:
            refused = refused or any(p.severity is Severity.ERROR for p in problems[checked:logged])
            checked = logged
            if not refused:
                write(batch)
            progress.batch(len(batch))


def _marked(batches: Iterable[list[T]], problems: Sequence[Problem]) -> Iterator[tuple[list[T], int]]:
    """Each batch with how many problems were logged by its end (counted in the parser's thread)."""
    for batch in batches:
        yield batch, len(problems)


def _payout_batches(payouts: Iterable[PspPayout], size: int) -> Iterator[list[PspPayout]]:
    """Payouts in batches of about ``size`` charges (a payout is never split)."""
    batch: list[PspPayout] = []
    charges = 0
    for payout in payouts:
        batch.append(payout)
        charges += len(payout.charges) + 1
        if charges >= size:
            yield batch
            batch, charges = [], 0
    if batch:
        yield batch


def _atomically(
    sessions: sessionmaker[Session],
    received: _Received,
    write: Callable[[Session, int], ImportReport | _Refusal],
    parsed: Callable[[], ParseResult],
    *,
    dry_run: bool,
    reraise: type[ParseError] | None = None,
) -> ImportReport:
    """Run ``write`` in one transaction: commit an import, roll back anything else and quarantine.

    ``parsed`` gives the parse result so far (format and problems for a quarantine row); a
    ParseError raised by ``write`` (a streamed parse failing half way) rolls back everything too,
    and is quarantined unless it is a ``reraise``, which propagates after the rollback.
    """
    company_bokio_id = received.company_bokio_id
    company_id = None if dry_run else ensure_company_id(sessions, company_bokio_id)
    outcome: ImportReport | _Refusal | ParseError
    with sessions() as session:
        transaction = session.begin()
        try:
            company_id = company_id or ensure_company(session, company_bokio_id).id
            outcome = write(session, company_id)
            if isinstance(outcome, ImportReport) and outcome.status is ImportStatus.IMPORTED:
                owned = accounts.check_owned(
                    session, company_id, parsed(), outcome, configured=received.bank_accounts
                )  # a company owns its files: one for another account is refused (issue 12)
                outcome = owned if isinstance(owned, ImportReport) else _Refusal(owned)
        except ParseError as exc:
            transaction.rollback()
            if reraise is not None and isinstance(exc, reraise):
                raise
            outcome = exc
        except (IntegrityError, DataError) as exc:
            transaction.rollback()
            reason = f"database refused the file's data: {exc.orig}".strip()
            outcome = _Refusal(reason, None, parsed().problems)
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
    if isinstance(outcome, ParseError):  # as for a file that cannot be parsed at all: no format
        return _quarantine(sessions, received, None, outcome, dry_run=dry_run)
    error = ParseError(outcome.reason, location=outcome.location)
    fmt = parsed().format.value
    return _quarantine(sessions, received, fmt, error, problems=outcome.problems, dry_run=dry_run)


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
    """Everything an import of a parsed file writes, on one transaction the caller commits or rolls back."""
    opened = _open_file(session, company_id, received, result.format, _refusal_of(result, allow_test))
    if not isinstance(opened, int):
        return opened
    inserter = _Inserter(session, store.Delivery(company_id, opened, received.digest, result.format.value))
    inserter.insert(store.fingerprinted(result.transactions))
    return _finish(session, received, result, inserter)


def _file_values(received: _Received, fmt: FileFormat) -> dict[str, Any]:
    size = received.size
    return {"filename": received.filename, "format": fmt.value, "size_bytes": size, "status": "imported"}


def _open_file(
    session: Session, company_id: int, received: _Received, fmt: FileFormat, refusal: _Refusal | None
) -> int | ImportReport | _Refusal:
    """The file row's id to import into, or why not: already imported (a duplicate) or ``refusal``."""
    existing = store.find_file(session, company_id, received.digest)
    duplicate = ImportReport(
        file=received.filename,
        format=fmt.value,
        status=ImportStatus.DUPLICATE_FILE,
        content_hash=received.digest,
        bank_file_id=existing.id if existing else None,
    )
    if existing is not None and existing.status == ImportStatus.IMPORTED:
        return duplicate
    if refusal is not None:
        return refusal
    if existing is not None:
        return existing.id  # a quarantined file that now imports: the row is reused
    values = {**_file_values(received, fmt), "info": {}}
    file_id = store.claim_file(session, company_id=company_id, digest=received.digest, values=values)
    return duplicate if file_id is None else file_id  # None: a concurrent import committed first


@dataclass(slots=True)
class _Inserter:
    """Inserts one file's transactions, in one batch or many; keeps counts and batch booking dates only."""

    session: Session
    delivery: store.Delivery
    added: int = 0
    known: int = 0
    held: int = 0
    batch_dates: set[date] = field(default_factory=set)
    payouts_added: int = 0
    payouts_known: int = 0
    charges: int = 0

    @property
    def company_id(self) -> int:
        return self.delivery.company_id

    @property
    def file_id(self) -> int:
        return self.delivery.bank_file_id

    def insert(self, transactions: Sequence[BankTransaction]) -> None:
        inserted = store.insert_transactions(self.session, self.delivery, transactions)
        self.added += len(inserted.ids) - inserted.held
        self.held += inserted.held
        self.known += inserted.known
        self.batch_dates.update(
            tx.booking_date
            for tx in transactions
            if tx.fingerprint in inserted.ids and tx.booking_date and (tx.is_batch or tx.batch_key)
        )

    def insert_payouts(self, payouts: Sequence[PspPayout]) -> None:
        if not payouts:
            return
        inserted = store.insert_payouts(
            self.session, company_id=self.company_id, bank_file_id=self.file_id, payouts=payouts
        )
        self.payouts_added += len(inserted.ids)
        self.payouts_known += inserted.known
        self.charges += sum(len(p.charges) for p in payouts if f"{p.provider}:{p.payout_id}" in inserted.ids)


def _finish(session: Session, received: _Received, result: ParseResult, inserter: _Inserter) -> ImportReport:
    """After the transactions: payouts, batch links and the file row's counts and info."""
    company_id, file_id = inserter.company_id, inserter.file_id
    inserter.insert_payouts(result.payouts)  # a file read whole; a streamed one inserted them already
    plan = linking.link_batches(session, company_id, inserter.batch_dates)
    reversed_pairs = reversals.link_reversals(session, company_id, file_id, bookings=received.bookings)
    problems = result.problems + tuple(
        Problem(received.filename, "", message, Severity.WARNING) for message in plan.ambiguous
    )
    row = session.get_one(BankFile, file_id)
    for key, value in _file_values(received, result.format).items():
        setattr(row, key, value)
    row.error = None
    row.transactions_added = inserter.added + inserter.held
    row.transactions_known = inserter.known
    row.info = {
        "format_version": result.format_version,
        "payouts_added": inserter.payouts_added,
        "payouts_known": inserter.payouts_known,
        "possible_duplicates": inserter.held,
        "reversals": [{"line": line, "reverses": original} for line, original in reversed_pairs],
        "links": [{"batch_id": link.batch_id, "evidence": list(link.evidence)} for link in plan.links],
        "problems": [problem_json(p) for p in problems],
    }
    session.flush()
    return ImportReport(
        file=received.filename,
        format=result.format.value,
        status=ImportStatus.IMPORTED,
        added=inserter.added,
        already_known=inserter.known,
        possible_duplicates=inserter.held,
        linked_batches=len(plan.links),
        payouts=inserter.payouts_added,
        payouts_known=inserter.payouts_known,
        charges=inserter.charges,
        problems=problems,
        content_hash=received.digest,
        bank_file_id=file_id,
    )


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _stream_format(
    path: Path, filename: str, fmt: FileFormat | None, csv_mapping: CsvMapping | None
) -> FileFormat | None:
    """The format to stream ``path`` as, or None to read it whole (BgMax, or not recognised).

    Mirrors :func:`syncd.bankfiles.parse`: a CSV mapping wins unless ``fmt`` names another format.
    """
    if csv_mapping is not None and fmt in {None, FileFormat.CSV_CUSTOM, csv_mapping.format}:
        return csv_mapping.format
    if fmt is None:
        with path.open("rb") as handle:
            fmt = identify(handle.read(HEAD_BYTES), filename)
    if fmt is None or fmt not in _STREAMED or (fmt is FileFormat.CSV_CUSTOM and fmt not in PRESETS):
        return None
    return fmt


def _already_imported(
    sessions: sessionmaker[Session], received: _Received, *, dry_run: bool
) -> ImportReport | None:
    """The duplicate report when these bytes were imported for the company already (a cheap early exit)."""
    seen = _imported_file(sessions, received.company_bokio_id, received.digest)
    if seen is None:
        return None
    return ImportReport(
        file=received.filename,
        format=seen[1],
        status=ImportStatus.DUPLICATE_FILE,
        content_hash=received.digest,
        bank_file_id=seen[0],
        dry_run=dry_run,
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
