"""Writing parsed bank data: file rows, transactions, payouts. Flushes, never commits.

Deduplication is a pre-select (cheap, and it gives the "already known" count) followed by
``INSERT … ON CONFLICT DO NOTHING … RETURNING``, so a concurrent import of the same transactions
(another replica, an admin rerun) is harmless: whoever commits second just finds them known.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.bankfiles import model
from syncd.bankfiles.model import Fingerprinter
from syncd.ingest.tables import BankFile, BankTransaction, PspCharge, PspPayout

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Inserted:
    """Outcome of one insert: ids of new rows by natural key, and how many were known already."""

    ids: dict[str, int]
    known: int


def content_hash(data: bytes) -> str:
    """The identity of a file's bytes (the same file delivered twice is a duplicate)."""
    return hashlib.sha256(data).hexdigest()


def _insert(session: Session, table: type[Any] | Table) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
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


def transaction_values(tx: model.BankTransaction, *, company_id: int, bank_file_id: int) -> dict[str, Any]:
    """The ``bank_transactions`` row for a parsed transaction."""
    e2e = "" if tx.end_to_end_id.upper() == "NOTPROVIDED" else tx.end_to_end_id
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
        "batch_key": tx.batch_key,
        "parent_id": None,
        "deposit_total": tx.deposit_total,
        "references": references_json(tx),
        "free_text": tx.free_text,
        "payer_name": tx.payer_name,
        "payer_address": tx.payer_address,
        "payer_bankgiro": tx.payer_bankgiro,
        "payer_account": tx.payer_account,
        "payer_org_no": tx.payer_org_no,
        "bank_ref": tx.acct_svcr_ref or tx.bank_serial or tx.tx_id or tx.entry_ref,
        "end_to_end_id": e2e,
        "charges": tx.charges,
        "psp_payout_id": None,
        "source_location": tx.source_location,
    }


def fingerprinted(
    transactions: Iterable[model.BankTransaction], stamp: Fingerprinter | None = None
) -> list[model.BankTransaction]:
    """Transactions with fingerprints (parsers set them; a hand-built result may not).

    Pass the same ``stamp`` for every batch of one file, so occurrence indexes run across batches.
    """
    stamp = stamp or Fingerprinter()
    return [tx if tx.fingerprint else stamp(tx) for tx in transactions]


def insert_transactions(
    session: Session, *, company_id: int, bank_file_id: int, transactions: Sequence[model.BankTransaction]
) -> Inserted:
    """Insert the transactions the company does not have yet (by fingerprint)."""
    by_fingerprint = {tx.fingerprint: tx for tx in transactions}
    known: set[str] = set()
    for chunk in _chunks(list(by_fingerprint)):
        known.update(
            session.scalars(
                select(BankTransaction.fingerprint).where(
                    BankTransaction.company_id == company_id, BankTransaction.fingerprint.in_(chunk)
                )
            )
        )
    rows = [
        transaction_values(tx, company_id=company_id, bank_file_id=bank_file_id)
        for fingerprint, tx in by_fingerprint.items()
        if fingerprint not in known
    ]
    ids: dict[str, int] = {}
    if rows:
        # A Core insert on the table, not the ORM entity: the ORM's bulk path splits rows into
        # small batches whenever their None-ness differs (~6 rows per statement on PostgreSQL),
        # Core's insertmanyvalues sends up to a thousand per statement.
        table = BankTransaction.__table__
        assert isinstance(table, Table)  # noqa: S101 - a declarative model's table
        statement = (
            _insert(session, table)
            .on_conflict_do_nothing(index_elements=["company_id", "fingerprint"])
            .returning(table.c.id, table.c.fingerprint)
        )
        ids = {fp: row_id for row_id, fp in session.execute(statement, rows)}
    session.flush()
    return Inserted(ids, len(transactions) - len(ids))


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
