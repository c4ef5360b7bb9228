"""Writing parsed bank data: file rows, transactions, payouts. Flushes, never commits.

Which transactions are new is decided by :mod:`syncd.ingest.identity` against the company's earlier
rows: on PostgreSQL set-based (each batch is copied into a staging table, its COPY text written
straight from the parsed transactions, and the database names the few lines that could be the
same money as an earlier row; only those are decided in Python), on
SQLite by a pre-select per batch. New rows go in with ``INSERT … ON CONFLICT DO NOTHING …
RETURNING`` on a key built from their bank references, so a concurrent import of the same
transactions (another replica, an admin rerun) is harmless: whoever commits second finds them known.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, or_, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from syncd import jsonutil
from syncd.bankfiles import model
from syncd.bankfiles.camt_entry import LOCAL_BATCH
from syncd.bankfiles.model import Fingerprinter
from syncd.ingest import identity
from syncd.ingest.copy import NULL, Staging, copy_text, escape, python_defaults
from syncd.ingest.identity import Verdict
from syncd.ingest.tables import (
    MATCHABLE_IDENTITIES,
    POSSIBLE_DUPLICATE,
    UNIQUE,
    BankDelivery,
    BankFile,
    BankTransaction,
    PspCharge,
    PspPayout,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Inserted:
    """Outcome of one insert: ids of new rows by natural key, and how many were known already."""

    ids: dict[str, int]
    known: int
    held: int = 0


def content_hash(data: bytes) -> str:
    """The identity of a file's bytes (the same file delivered twice is a duplicate)."""
    return hashlib.sha256(data).hexdigest()


def _insert(session: Session, table: type[Any] | Table) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # only here: the dialect costs ≈0.04 s to import

        return postgresql.insert(table)
    return sqlite.insert(table)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


def find_file(session: Session, company_id: int, digest: str) -> BankFile | None:
    """The file row for these bytes, if they were seen before (imported or quarantined)."""
    return session.scalar(
        select(BankFile).where(BankFile.company_id == company_id, BankFile.content_hash == digest)
    )


def claim_file(session: Session, *, company_id: int, digest: str, values: dict[str, Any]) -> int | None:
    """Insert the file row as imported; None when another import of these bytes got there first."""
    statement = (
        _insert(session, BankFile)
        .values(company_id=company_id, content_hash=digest, **values)
        .on_conflict_do_nothing(index_elements=["company_id", "content_hash"])
        .returning(BankFile.id)
    )
    file_id: int | None = session.scalar(statement)
    return file_id


def references_json(tx: model.BankTransaction) -> dict[str, Any]:
    """Everything about a transaction's identity and references that has no column of its own."""
    refs = [
        {
            "value": r.value,
            "kind": r.kind.value,
            "valid": r.valid,
            "amount": None if r.amount is None else str(r.amount),
            "scheme": r.scheme,
        }
        for r in tx.references
    ]
    ids = {
        "acct_svcr_ref": tx.acct_svcr_ref,
        "entry_ref": tx.entry_ref,
        "tx_id": tx.tx_id,
        "instr_id": tx.instr_id,
        "bank_serial": tx.bank_serial,
        "bank_tx_code": tx.bank_tx_code,
    }
    return {
        "items": refs,
        "tokens": list(tx.tokens),
        "ids": {key: value for key, value in ids.items() if value},
        "batch_count": tx.batch_count,
        "balance_after": None if tx.balance_after is None else str(tx.balance_after),
    }


def transaction_values(
    tx: model.BankTransaction, *, company_id: int, bank_file_id: int, file_digest: str = ""
) -> dict[str, Any]:
    """The ``bank_transactions`` row for a parsed transaction (identity columns left at their defaults).

    A batch key that is only meaningful inside its file (no bank reference) is qualified with the
    file's digest, so it never ties this file's deposit to another file's.
    """
    batch_key = _file_batch_key(tx.batch_key, file_digest)
    return {
        "company_id": company_id,
        "bank_file_id": bank_file_id,
        "fingerprint": tx.fingerprint,
        "account": tx.account,
        "booking_date": tx.booking_date,
        "value_date": tx.value_date,
        "amount": tx.amount,
        "currency": tx.currency,
        "direction": tx.direction.value,
        "status": tx.status.value,
        "is_reversal": tx.is_reversal,
        "is_batch": tx.is_batch,
        "batch_key": batch_key,
        "parent_id": None,
        "deposit_total": tx.deposit_total,
        "references": references_json(tx),
        "free_text": tx.free_text,
        "payer_name": tx.payer_name,
        "payer_address": tx.payer_address,
        "payer_bankgiro": tx.payer_bankgiro,
        "payer_account": tx.payer_account,
        "payer_org_no": tx.payer_org_no,
        "bank_ref": _bank_ref(tx),
        "end_to_end_id": _real(tx.end_to_end_id),
        "charges": tx.charges,
        "psp_payout_id": None,
        "source_location": tx.source_location,
        "statement_id": tx.statement_id,
        "return_reason": tx.return_reason,
        "identity_state": UNIQUE,
        "identity_note": "",
        "duplicate_of_id": None,
    }


_COLUMNS = (  # transaction_values' keys, in its order: the COPY columns
    "company_id",
    "bank_file_id",
    "fingerprint",
    "account",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "direction",
    "status",
    "is_reversal",
    "is_batch",
    "batch_key",
    "parent_id",
    "deposit_total",
    "references",
    "free_text",
    "payer_name",
    "payer_address",
    "payer_bankgiro",
    "payer_account",
    "payer_org_no",
    "bank_ref",
    "end_to_end_id",
    "charges",
    "psp_payout_id",
    "source_location",
    "statement_id",
    "return_reason",
    "identity_state",
    "identity_note",
    "duplicate_of_id",
)


def _file_batch_key(batch_key: str | None, file_digest: str) -> str | None:
    if batch_key and LOCAL_BATCH in batch_key:
        return f"{batch_key}@{file_digest[:16]}"
    return batch_key


def _copy_line(  # noqa: PLR0917 - private; one row's parts
    tx: model.BankTransaction, key: str, head: str, tail: str, file_digest: str, index: int
) -> str:
    """The COPY text of :func:`transaction_values` for ``tx`` (``head``: the company and file ids,
    ``tail``: the defaults of the other columns), written directly: the import's hottest row code.
    """
    batch_key = _file_batch_key(tx.batch_key, file_digest)
    booking, value, total, charges = tx.booking_date, tx.value_date, tx.deposit_total, tx.charges
    return (
        "\t".join(
            (
                head,
                escape(key),
                escape(tx.account),
                NULL if booking is None else str(booking),
                NULL if value is None else str(value),
                _money(tx.amount),
                escape(tx.currency),
                tx.direction.value,
                tx.status.value,
                "t" if tx.is_reversal else "f",
                "t" if tx.is_batch else "f",
                NULL if batch_key is None else escape(batch_key),
                NULL,
                NULL if total is None else _money(total),
                escape(jsonutil.dumps_plain(references_json(tx))),
                escape(tx.free_text),
                escape(tx.payer_name),
                escape(tx.payer_address),
                escape(tx.payer_bankgiro),
                escape(tx.payer_account),
                escape(tx.payer_org_no),
                escape(_bank_ref(tx)),
                escape(_real(tx.end_to_end_id)),
                NULL if charges is None else _money(charges),
                NULL,
                escape(tx.source_location),
                escape(tx.statement_id),
                escape(tx.return_reason),
                UNIQUE,
                "",
                NULL,
                tail,
                str(index),
            )
        )
        + "\n"
    )


def _money(value: Decimal) -> str:
    """A money value as COPY text; like the Money column type, anything but a Decimal is refused."""
    if value.__class__ is not Decimal:
        raise TypeError(f"money columns take Decimal, got {type(value).__name__}")
    return str(value)


def _real(reference: str) -> str:
    return "" if identity.is_placeholder(reference) else reference


def _bank_ref(tx: model.BankTransaction) -> str:
    """The bank's own reference for the row (never ``NtryRef``: that numbers entries per message)."""
    return _real(tx.acct_svcr_ref) or _real(tx.bank_serial) or _real(tx.tx_id)


def fingerprinted(
    transactions: Iterable[model.BankTransaction], stamp: Fingerprinter | None = None
) -> list[model.BankTransaction]:
    """Transactions with fingerprints (parsers set them; a hand-built result may not).

    Pass the same ``stamp`` for every batch of one file, so occurrence indexes run across batches.
    """
    stamp = stamp or Fingerprinter()
    return [tx if tx.fingerprint else stamp(tx) for tx in transactions]


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where the transactions being inserted come from."""

    company_id: int
    bank_file_id: int
    file_digest: str
    source_format: str


def insert_transactions(
    session: Session, delivery: Delivery, transactions: Sequence[model.BankTransaction]
) -> Inserted:
    """Store one file's transactions (or a batch of them) as :mod:`syncd.ingest.identity` decides.

    A transaction already known from another file is recorded as a delivery of it and fills in what
    the earlier delivery lacked; an uncertain one is stored held as a possible duplicate; the rest
    are new. ``ids`` maps the parser's fingerprints of stored rows (new or held) to their ids.

    On PostgreSQL the batch is copied into a staging table first and the database names the few
    lines that could be the same money as a stored row (:func:`_staged_candidates`); only those
    are decided in Python. Elsewhere the earlier rows on the batch's days are loaded and compared.
    """
    if not transactions:
        return Inserted({}, 0)
    if session.get_bind().dialect.name == "postgresql":
        return _insert_staged(session, delivery, transactions)
    lines = [identity.line_of(tx, delivery.source_format) for tx in transactions]
    keys = [_stored_key(delivery, tx, line.bank_refs) for tx, line in zip(transactions, lines, strict=True)]
    rows = [_new_row(delivery, tx, key) for tx, key in zip(transactions, keys, strict=True)]
    rows_by_id = _candidates(session, delivery, transactions)
    candidates = {row_id: line for row_id, (_, line) in rows_by_id.items()}
    resolutions = identity.resolve(lines, candidates)
    decided = _decide(session, delivery, transactions, dict(enumerate(rows)), resolutions, rows_by_id)
    keep = [dict(row, **decided.changes.get(i, {})) for i, row in enumerate(rows) if i not in decided.known]
    stored = _insert_new(session, keep) if keep else []
    session.flush()
    return _inserted(transactions, keys, stored, decided)


def _new_row(delivery: Delivery, tx: model.BankTransaction, key: str) -> dict[str, Any]:
    values = transaction_values(
        tx,
        company_id=delivery.company_id,
        bank_file_id=delivery.bank_file_id,
        file_digest=delivery.file_digest,
    )
    values["fingerprint"] = key
    return values


@dataclass(frozen=True, slots=True)
class _Decided:
    """What identity made of a batch's lines: known ones (by index) and changes to held ones."""

    known: frozenset[int]
    changes: dict[int, dict[str, Any]]


def _decide(  # noqa: PLR0917 - private; the batch's parts travel together
    session: Session,
    delivery: Delivery,
    transactions: Sequence[model.BankTransaction],
    rows: Mapping[int, Mapping[str, Any]],
    resolutions: Sequence[identity.Resolution],
    rows_by_id: Mapping[int, tuple[BankTransaction, identity.Line]],
) -> _Decided:
    """Record the deliveries of known lines; the held lines' new identity columns, by batch index.

    ``rows`` are the values of the lines ``resolutions`` are for (in that order), by batch index.
    """
    known: set[int] = set()
    changes: dict[int, dict[str, Any]] = {}
    for index, resolution in zip(rows, resolutions, strict=True):
        row = rows[index]
        if resolution.verdict is Verdict.SAME and resolution.match is not None:
            add_delivery(
                session,
                rows_by_id[resolution.match][0],
                bank_file_id=delivery.bank_file_id,
                location=row["source_location"],
                evidence=resolution.reason,
                values=row,
            )
            known.add(index)
        elif resolution.verdict is Verdict.POSSIBLE:
            changes[index] = {
                "identity_state": POSSIBLE_DUPLICATE,
                "duplicate_of_id": resolution.match,
                "identity_note": resolution.reason,
                "fingerprint": _delivery_key(delivery, transactions[index]),
            }
    return _Decided(frozenset(known), changes)


def _inserted(
    transactions: Sequence[model.BankTransaction],
    keys: Sequence[str],
    stored: Sequence[tuple[int, str]],
    decided: _Decided,
) -> Inserted:
    """Ids by the parser's fingerprint; a conflict means a concurrent import stored it first: known."""
    fingerprints: dict[str, str] = {}
    for index, (tx, key) in enumerate(zip(transactions, keys, strict=True)):
        if index not in decided.known:
            change = decided.changes.get(index)
            fingerprints[key if change is None else change["fingerprint"]] = tx.fingerprint
    ids = {fingerprints[key]: row_id for row_id, key in stored}
    return Inserted(ids, len(transactions) - len(ids), held=len(decided.changes))


def _insert_staged(
    session: Session, delivery: Delivery, transactions: Sequence[model.BankTransaction]
) -> Inserted:
    """The PostgreSQL path: COPY, one set-based candidate query, decisions for its hits only, insert.

    Only the hits (most batches have none) get an identity line and row values in Python; every
    line gets its stored key and its COPY text.
    """
    table = BankTransaction.__table__
    assert isinstance(table, Table)  # noqa: S101 - a declarative model's table
    session.flush()  # deliveries recorded for an earlier batch must be visible to the database
    keys = [
        _stored_key(delivery, tx, identity.bank_references(identity.references_of(tx))) for tx in transactions
    ]
    defaults = python_defaults(table, _COLUMNS)
    head = f"{delivery.company_id}\t{delivery.bank_file_id}"
    tail = "\t".join(map(copy_text, defaults.values()))
    digest = delivery.file_digest
    text = "".join(
        _copy_line(tx, key, head, tail, digest, index)
        for index, (tx, key) in enumerate(zip(transactions, keys, strict=True))
    )
    staging = Staging(session, table, [*_COLUMNS, *defaults], text)
    hits = _staged_candidates(session, staging, delivery)
    decided = _Decided(frozenset(), {})
    if hits:
        rows = {i: _new_row(delivery, transactions[i], keys[i]) for i in sorted(hits)}
        rows_by_id = _rows(session, {row_id for ids in hits.values() for row_id in ids})
        candidates = {row_id: line for row_id, (_, line) in rows_by_id.items()}
        lines = [identity.line_of(transactions[i], delivery.source_format) for i in rows]
        resolutions = identity.resolve(lines, candidates)
        decided = _decide(session, delivery, transactions, rows, resolutions, rows_by_id)
        staging.drop(sorted(decided.known))
        staging.change(decided.changes)
        session.flush()
    stored = [(row_id, key) for row_id, key in staging.insert(("company_id", "fingerprint"))]
    return _inserted(transactions, keys, stored, decided)


# The stored rows that could be the same money as a staged one are those the other path loads:
# rows of other files booked on one of the batch's days (booking or value dates), or not booked
# yet, and still matchable. The import keeps them in a temporary table of its transaction,
# fetched day by day through the (company_id, booking_date) index the first time a batch names
# the day, so a later batch reads neither the table again nor this file's own rows: the cost
# follows the other files' rows on the file's days, not the size of the table.
_EARLIER = """
CREATE TEMP TABLE IF NOT EXISTS {earlier} (
    id bigint, booking_date date, amount numeric, direction text, currency text, is_batch boolean
) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS {days} (day date) ON COMMIT DROP
"""
_FETCH = """
WITH new AS (
    SELECT day FROM (
        SELECT booking_date AS day FROM {staging} UNION SELECT value_date FROM {staging}
        UNION SELECT NULL::date
    ) named EXCEPT SELECT day FROM {days}
), added AS (INSERT INTO {days} SELECT day FROM new RETURNING day)
INSERT INTO {earlier}
SELECT t.id, t.booking_date, t.amount, t.direction, upper(t.currency), t.is_batch
  FROM added CROSS JOIN LATERAL (
    SELECT * FROM bank_transactions t
     WHERE t.company_id = %(company)s AND t.booking_date = added.day
    UNION ALL
    SELECT * FROM bank_transactions t
     WHERE added.day IS NULL AND t.company_id = %(company)s AND t.booking_date IS NULL
  ) t
 WHERE t.bank_file_id <> %(file)s AND t.identity_state = ANY(%(states)s)
"""
# A staged line and an earlier row are candidates when direction, amount, currency and kind agree
# and their booking dates do not differ (the identity rules' first test; they decide the rest).
_CANDIDATES = """
SELECT s.syncd_ord, e.id FROM {staging} s JOIN {earlier} e
  ON e.amount = s.amount AND e.direction = s.direction AND e.currency = upper(s.currency)
 AND e.is_batch = s.is_batch
 AND (e.booking_date = s.booking_date OR e.booking_date IS NULL OR s.booking_date IS NULL)
"""


def _staged_candidates(session: Session, staging: Staging, delivery: Delivery) -> dict[int, list[int]]:
    """Batch index → ids of stored rows that could be the same money (most lines have none)."""
    names = {
        "earlier": f"syncd_earlier_{delivery.bank_file_id}",
        "days": f"syncd_earlier_days_{delivery.bank_file_id}",
        "staging": "{staging}",
    }
    params = {
        "company": delivery.company_id,
        "file": delivery.bank_file_id,
        "states": list(MATCHABLE_IDENTITIES),
    }
    for statement in _EARLIER.format(**names).split(";"):
        staging.query(statement)
    staging.query(_FETCH.format(**names), params)
    hits: dict[int, list[int]] = {}
    for index, row_id in staging.query(_CANDIDATES.format(**names)):
        hits.setdefault(index, []).append(row_id)
    return hits


def _rows(session: Session, ids: set[int]) -> dict[int, tuple[BankTransaction, identity.Line]]:
    """Stored rows by id, each with its identity view."""
    found: dict[int, tuple[BankTransaction, identity.Line]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        query = (
            select(BankTransaction, BankFile.format)
            .join(BankFile, BankFile.id == BankTransaction.bank_file_id)
            .where(BankTransaction.id.in_(ordered[start : start + CHUNK]))
        )
        for row, fmt in session.execute(query):
            found[row.id] = (row, line_of_row(row, fmt or ""))
    return found


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert ``rows`` unless their key is taken; ``(id, fingerprint)`` of the rows inserted (SQLite).

    A Core insert on the table, not the ORM entity: the ORM's bulk path splits rows into small
    batches whenever their None-ness differs; Core's insertmanyvalues sends many per statement.
    """
    table = BankTransaction.__table__
    assert isinstance(table, Table)  # noqa: S101 - a declarative model's table
    statement = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["company_id", "fingerprint"])
        .returning(table.c.id, table.c.fingerprint)
    )
    result = [(row_id, stored) for row_id, stored in session.execute(statement, rows)]
    session.flush()
    return result


def _stored_key(delivery: Delivery, tx: model.BankTransaction, bank_refs: Mapping[str, str]) -> str:
    """The unique key of a new row: its bank references when it has any, else this delivery.

    Built on bank references (``bank_refs``: its identity line's), it lets the database refuse a
    second copy stored by a concurrent import; without them, identity was decided above and the key
    only has to be unique. The parts are the identity line's (:meth:`identity.Line.build`).
    """
    if not bank_refs:
        return _delivery_key(delivery, tx)
    parts = [
        "v2",
        identity.normal(tx.account),
        tx.direction.value,
        format(tx.amount.normalize(), "f"),
        tx.currency.upper(),
        tx.booking_date.isoformat() if tx.booking_date else "",
        "batch" if tx.is_batch else "",
        *(f"{kind}={value}" for kind, value in sorted(bank_refs.items())),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _delivery_key(delivery: Delivery, tx: model.BankTransaction) -> str:
    return "d" + hashlib.sha256(f"v2\x1f{delivery.file_digest}\x1f{tx.fingerprint}".encode()).hexdigest()[:39]


def _candidates(
    session: Session, delivery: Delivery, transactions: Sequence[model.BankTransaction]
) -> dict[int, tuple[BankTransaction, identity.Line]]:
    """Earlier rows of other files that could be the same money (same dates, or not yet booked)."""
    days = {day for tx in transactions for day in (tx.booking_date, tx.value_date) if day is not None}
    amounts = {tx.amount for tx in transactions}
    found: dict[int, tuple[BankTransaction, identity.Line]] = {}
    day_list = sorted(days)
    for start in range(0, max(len(day_list), 1), CHUNK):
        on_days = BankTransaction.booking_date.in_(day_list[start : start + CHUNK])
        query = (
            select(BankTransaction, BankFile.format)
            .join(BankFile, BankFile.id == BankTransaction.bank_file_id)
            .where(
                BankTransaction.company_id == delivery.company_id,
                BankTransaction.bank_file_id != delivery.bank_file_id,
                BankTransaction.identity_state.in_(MATCHABLE_IDENTITIES),
                or_(on_days, BankTransaction.booking_date.is_(None)),
            )
        )
        for row, fmt in session.execute(query):
            if row.amount in amounts:
                found[row.id] = (row, line_of_row(row, fmt or ""))
    return found


def line_of_row(row: BankTransaction, source_format: str) -> identity.Line:
    """The identity view of a stored row (what :func:`identity.line_of` gives for a parsed one)."""
    ids: dict[str, Any] = row.references.get("ids", {})
    payer_refs = [str(item["value"]) for item in row.references.get("items", [])]
    balance = row.references.get("balance_after")
    return identity.Line.build(
        direction=row.direction,
        amount=row.amount,
        currency=row.currency,
        booking_date=row.booking_date,
        is_batch=row.is_batch,
        account=row.account,
        source_format=source_format,
        references={
            "acct_svcr_ref": str(ids.get("acct_svcr_ref", "")),
            "tx_id": str(ids.get("tx_id", "")),
            "end_to_end_id": row.end_to_end_id,
            "bank_serial": str(ids.get("bank_serial", "")),
        },
        payer_references=payer_refs,
        payer_account=row.payer_account,
        payer_bankgiro=row.payer_bankgiro,
        statement_id=row.statement_id,
        balance_after=None if balance is None else Decimal(str(balance)),
        content=identity.content_of(
            payer_name=row.payer_name,
            free_text=row.free_text,
            value_date=row.value_date,
            references=payer_refs,
        ),
    )


_FILLABLE = (
    "payer_name",
    "payer_address",
    "payer_account",
    "payer_bankgiro",
    "payer_org_no",
    "free_text",
    "end_to_end_id",
    "bank_ref",
)


def fill_in(row: BankTransaction, values: Mapping[str, Any]) -> list[str]:
    """Add to ``row`` what another delivery of it (``values``: its row values) knows; what was filled.

    A pending line that is now booked becomes booked; references, payer and text the first
    delivery did not carry (a camt.053 entry without details, then the camt.054) are added.
    Nothing already known is overwritten.
    """
    enriched: list[str] = []
    if row.status != model.Status.BOOKED.value and values["status"] == model.Status.BOOKED.value:
        row.status, row.booking_date = values["status"], values["booking_date"]
        row.value_date = row.value_date or values["value_date"]
        enriched.append("status")
    for name in _FILLABLE:
        if values.get(name) and not getattr(row, name):
            setattr(row, name, values[name])
            enriched.append(name)
    incoming: dict[str, Any] = values["references"]
    current = dict(row.references)
    if incoming.get("items") and not current.get("items"):
        current["items"], current["tokens"] = incoming["items"], incoming.get("tokens", [])
        enriched.append("references")
    elif incoming.get("tokens") and not current.get("tokens"):
        current["tokens"] = incoming["tokens"]
        enriched.append("tokens")
    known_ids = current.get("ids", {})
    missing_ids = {k: v for k, v in incoming.get("ids", {}).items() if k not in known_ids}
    if missing_ids:
        current["ids"] = {**known_ids, **missing_ids}
    row.references = current
    if row.charges is None and values.get("charges") is not None:
        row.charges = values["charges"]
    return enriched


def add_delivery(
    session: Session,
    row: BankTransaction,
    *,
    bank_file_id: int,
    location: str,
    evidence: str,
    values: Mapping[str, Any],
) -> None:
    """Record that ``row`` was delivered again (and why it is the same), filling in what it lacked."""
    enriched = fill_in(row, values)
    session.add(
        BankDelivery(
            company_id=row.company_id,
            bank_transaction_id=row.id,
            bank_file_id=bank_file_id,
            source_location=location,
            evidence=evidence,
            enriched=",".join(enriched),
        )
    )


def insert_payouts(
    session: Session, *, company_id: int, bank_file_id: int, payouts: Sequence[model.PspPayout]
) -> Inserted:
    """Insert payouts not imported before (by provider and payout id), each with its charges."""
    known = {
        (provider, payout_id)
        for provider, payout_id in session.execute(
            select(PspPayout.provider, PspPayout.payout_id).where(
                PspPayout.company_id == company_id,
                PspPayout.payout_id.in_({payout.payout_id for payout in payouts}),
            )
        )
    }
    ids: dict[str, int] = {}
    for payout in payouts:
        if (payout.provider, payout.payout_id) in known:
            continue
        payout_row_id = session.scalar(
            _insert(session, PspPayout)
            .values(
                company_id=company_id,
                bank_file_id=bank_file_id,
                provider=payout.provider,
                payout_id=payout.payout_id,
                payout_date=payout.payout_date,
                currency=payout.currency,
                net=payout.net,
                gross=payout.gross,
                fees=payout.fees,
            )
            .on_conflict_do_nothing(index_elements=["company_id", "provider", "payout_id"])
            .returning(PspPayout.id)
        )
        if payout_row_id is None:
            continue  # a concurrent import inserted it (with its charges) first
        known.add((payout.provider, payout.payout_id))
        ids[f"{payout.provider}:{payout.payout_id}"] = payout_row_id
        session.add_all(
            PspCharge(
                payout_id=payout_row_id,
                charge_id=charge.charge_id,
                kind=charge.kind,
                gross=charge.gross,
                fee=charge.fee,
                net=charge.net,
                currency=charge.currency,
                invoice_reference=charge.invoice_reference,
                customer_name=charge.customer_name,
                created=charge.created,
            )
            for charge in payout.charges
        )
    session.flush()
    return Inserted(ids, len(payouts) - len(ids))
