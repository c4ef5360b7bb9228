"""Finding a duplicate that landed anyway, and repairing it through the outbox (design §2.3).

The send protocol (:mod:`syncd.outbox.resolve`) re-sends a lost write only after a settle window
and a read-back that found nothing. If Bokio applies a write later still, both copies land. So
every pull that re-reads an invoice's payments and settlements (:mod:`syncd.pull.invoices`)
compares them with what the outbox expects, here, in the pull's own transaction.

A live payment (settlement) on the invoice is a **duplicate** of one syncd created when

- it is identical to it: same date, amount and account (settlements: type, date, amount and VAT
  scheme) -- everything syncd sent;
- no command owns it (it is no command's result, no undo's target, not already a known duplicate);
- it was not on the invoice when syncd first sent (it is not in the command's ``first_send``
  ids -- the mirror's ids at that moment; Bokio's objects carry no creation time);
- the original, the command's own object, is still there beside it.

Invoices with a command ``sending`` or ``unknown`` are skipped: a read-back in progress may
adopt the object as that command's own.

What happens to it:

- **not recorded** (no ``journalEntryRef``): a ``delete_*`` command, pending, sent by the next
  push like an undo's delete. Nothing in the books points at it, and syncd records only the
  objects it owns, so the copy is never the one recorded.
- **recorded** (someone booked it): deleting it reverses a journal entry, which is for a person
  to decide. The same delete is written ``failed`` with code ``duplicate-recorded`` and a message
  saying how to proceed: ``syncd outbox retry ID`` deletes it, ``syncd outbox cancel ID`` keeps it.

Either way the command's idempotency key (``duplicate:<company>:<kind>:<id>``) makes detection
idempotent across pulls; the commands carry ``duplicate_of`` in their payload and have no
allocation. :func:`counts` feeds ``syncd status`` and the ``syncd_outbox_duplicates`` metric. A
repair is re-checked when it is claimed: if a command has meanwhile adopted the object, the
repair is cancelled (:func:`syncd.outbox.store.claim`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.logging import get_logger
from syncd.mirror.tables import InvoicePayment, InvoiceSettlement
from syncd.outbox import payloads, store
from syncd.outbox.kinds import IN_FLIGHT, WRITE_KINDS, CommandKind, CommandState
from syncd.outbox.tables import OutboxCommand

log = get_logger(__name__)

KEY_PREFIX = "duplicate:"
STATUSES = ("repairing", "deleted", "review", "kept")
_STATUS_OF_STATE = {
    "pending": "repairing",
    "sending": "repairing",
    "unknown": "repairing",
    "done": "deleted",
    "failed": "review",
    "cancelled": "kept",
}


@dataclass(frozen=True)
class Duplicate:
    """One copy found: what it is, whose copy, whether someone recorded it, and the repair command."""

    what: str  # "payment" | "settlement"
    bokio_id: str
    invoice_id: str
    duplicate_of: str
    recorded: bool
    command_id: int


def repair_key(company_pk: int, what: str, bokio_id: str) -> str:
    return f"{KEY_PREFIX}{company_pk}:{what}:{bokio_id}"


def _payment_matches(row: InvoicePayment, payload: dict[str, Any]) -> bool:
    write = payloads.payment_write(payload)
    return (
        row.date == write.date
        and row.sum_base_currency == write.sum_base_currency
        and (row.bookkeeping_account is None or row.bookkeeping_account == write.bookkeeping_account_number)
    )


def _settlement_matches(row: InvoiceSettlement, payload: dict[str, Any]) -> bool:
    write = payloads.settlement_write(payload)
    return (
        row.type == write.type.value
        and row.date == write.date
        and row.sum_base_currency == write.sum_base_currency
        and (write.vat_scheme is None or row.vat_scheme == write.vat_scheme.value)
    )


@dataclass(frozen=True)
class _Spec:
    what: str
    create_kind: str
    delete_kind: str
    result_key: str


_SPECS = (
    _Spec("payment", CommandKind.CREATE_PAYMENT, CommandKind.DELETE_PAYMENT, "payment_id"),
    _Spec("settlement", CommandKind.CREATE_SETTLEMENT, CommandKind.DELETE_SETTLEMENT, "settlement_id"),
)
Row = InvoicePayment | InvoiceSettlement


def _live(session: Session, spec: _Spec, company_pk: int, invoice_id: str) -> list[Row]:
    if spec.what == "payment":
        return list(
            session.scalars(
                select(InvoicePayment).where(
                    InvoicePayment.company_id == company_pk,
                    InvoicePayment.invoice_bokio_id == invoice_id,
                    InvoicePayment.deleted_at.is_(None),
                )
            )
        )
    return list(
        session.scalars(
            select(InvoiceSettlement).where(
                InvoiceSettlement.company_id == company_pk,
                InvoiceSettlement.invoice_bokio_id == invoice_id,
                InvoiceSettlement.deleted_at.is_(None),
            )
        )
    )


def _matches(row: Row, payload: dict[str, Any]) -> bool:
    if isinstance(row, InvoicePayment):
        return _payment_matches(row, payload)
    return _settlement_matches(row, payload)


def detect(
    session: Session, company_pk: int, invoice_ids: Iterable[str], *, now: dt.datetime
) -> list[Duplicate]:
    """Compare the mirror's (just pulled) objects of these invoices with the outbox; queue repairs.

    Runs in the caller's transaction, after the invoices' payments and settlements were stored.
    Costs no Bokio request; invoices syncd never wrote to cost one indexed query in all.
    """
    wanted = sorted(set(invoice_ids))
    if not wanted:
        return []
    written = set(
        session.scalars(
            select(OutboxCommand.invoice_bokio_id).where(
                OutboxCommand.company_id == company_pk,
                OutboxCommand.invoice_bokio_id.in_(wanted),
                OutboxCommand.kind.in_(WRITE_KINDS),
                OutboxCommand.state == CommandState.DONE,
            )
        )
    )
    found: list[Duplicate] = []
    for invoice_id in sorted(i for i in written if i):
        found.extend(_detect_invoice(session, company_pk, invoice_id, now))
    return found


def _detect_invoice(session: Session, company_pk: int, invoice_id: str, now: dt.datetime) -> list[Duplicate]:
    commands = list(
        session.scalars(
            select(OutboxCommand)
            .where(OutboxCommand.company_id == company_pk, OutboxCommand.invoice_bokio_id == invoice_id)
            .order_by(OutboxCommand.id)
        )
    )
    if any(c.state in IN_FLIGHT for c in commands):
        return []  # a read-back in progress may adopt what looks like a copy
    owned = store.owned_ids(session, company_pk, invoice_id, with_duplicates=True)
    found: list[Duplicate] = []
    for spec in _SPECS:
        rows = _live(session, spec, company_pk, invoice_id)
        live = {row.bokio_id for row in rows}
        taken = set(owned[spec.result_key + "s"])
        for command in commands:
            original = str((command.result or {}).get(spec.result_key) or "")
            if command.kind != spec.create_kind or command.state != CommandState.DONE or original not in live:
                continue
            before = command.before or {}
            first = set(before.get("first_send", before.get(spec.result_key + "s", [])))
            for row in rows:
                if row.bokio_id in taken or row.bokio_id in first or not _matches(row, command.payload):
                    continue
                taken.add(row.bokio_id)
                found.append(_queue_repair(session, company_pk, invoice_id, spec, row, original, now))
    return found


def _queue_repair(  # noqa: PLR0917 - one call site, all parts of one repair
    session: Session,
    company_pk: int,
    invoice_id: str,
    spec: _Spec,
    row: Row,
    original: str,
    now: dt.datetime,
) -> Duplicate:
    what = spec.what
    key = repair_key(company_pk, what, row.bokio_id)
    existing = session.scalar(select(OutboxCommand).where(OutboxCommand.idempotency_key == key))
    recorded = row.journal_entry_id is not None
    if existing is not None:  # a repair that was cancelled (kept): never proposed again
        return Duplicate(what, row.bokio_id, invoice_id, original, recorded, existing.id)
    command = OutboxCommand(
        company_id=company_pk,
        allocation_id=None,
        invoice_bokio_id=invoice_id,
        seq=0,
        kind=spec.delete_kind,
        payload={
            f"{what}_id": row.bokio_id,
            payloads.DUPLICATE_OF: original,
            "recorded": recorded,
            "journal_entry_id": row.journal_entry_id,
        },
        state=CommandState.FAILED if recorded else "pending",
        idempotency_key=key,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(command)
    session.flush()
    if recorded:
        command.error = {
            "code": "duplicate-recorded",
            "message": (
                f"{what} {row.bokio_id} on invoice {invoice_id} duplicates syncd's {what} {original} "
                f"(same date, amount and account) and was recorded (journal entry "
                f"{row.journal_entry_id}); check it in Bokio, then `syncd outbox retry {command.id}` "
                f"deletes it (reversing that entry) or `syncd outbox cancel {command.id}` keeps it"
            ),
        }
    log.warning(
        "outbox.duplicate_found",
        what=what,
        bokio_id=row.bokio_id,
        invoice=invoice_id,
        duplicate_of=original,
        recorded=recorded,
        command_id=command.id,
    )
    return Duplicate(what, row.bokio_id, invoice_id, original, recorded, command.id)


def is_repair(command: OutboxCommand) -> bool:
    """Whether the command deletes a duplicate (rather than undoing an allocation)."""
    return command.idempotency_key.startswith(KEY_PREFIX)


def counts(session: Session, company_pk: int | None = None) -> dict[int, dict[str, int]]:
    """Duplicates found per company, by status: ``repairing``, ``deleted``, ``review`` (a person
    decides), ``kept`` (a person cancelled the delete). Every status is present, zeros included."""
    query = select(OutboxCommand.company_id, OutboxCommand.state).where(
        OutboxCommand.idempotency_key.startswith(KEY_PREFIX)
    )
    if company_pk is not None:
        query = query.where(OutboxCommand.company_id == company_pk)
    result: dict[int, dict[str, int]] = {}
    if company_pk is not None:
        result[company_pk] = dict.fromkeys(STATUSES, 0)
    for pk, state in session.execute(query):
        status = _STATUS_OF_STATE.get(state, "repairing")
        bucket = result.setdefault(pk, dict.fromkeys(STATUSES, 0))
        bucket[status] += 1
    return result
