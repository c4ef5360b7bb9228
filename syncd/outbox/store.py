"""Claiming outbox commands safely, and recovering the ones a dead process left ``sending``.

A command is runnable when it is ``pending`` (send it) or ``unknown`` (read back first), its
``next_attempt_at`` has come, its company is not paused, every lower ``seq`` of its allocation
is ``done``, and no other command on the same invoice is ``sending`` or ``unknown`` (one write
in flight per invoice keeps the read-back after a lost answer unambiguous, design §2.3).

Claiming marks the row ``sending`` and commits *before* anything is sent (style §11/12).

- PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows no other worker holds; the
  "one per invoice" rule spans rows, so it is guarded by a transaction-scoped advisory lock on
  (company, invoice) taken *before* a fresh re-check of the invoice's other commands. A worker
  that loses the race either cannot take the lock or sees the winner's committed ``sending``.
- SQLite: one process (the daemon refuses a second). The claim transaction starts with a no-op
  UPDATE, which takes SQLite's write lock first, so an admin command in another process waits
  instead of interleaving; threads of one process are serialised by a lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select, text, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from syncd.mirror.tables import Company, InvoicePayment, InvoiceSettlement
from syncd.outbox import enqueue as k
from syncd.outbox.tables import OutboxCommand

RUNNABLE = ("pending", "unknown")
IN_FLIGHT = ("sending", "unknown")
_SQLITE_CLAIM = threading.Lock()


def worker_id() -> str:
    """``host:pid:random`` — the host and pid let a restart on the same host spot dead claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claimed:
    """A command claimed for one attempt, with what the pusher needs without another query.

    ``mode`` is ``send`` (it was pending) or ``resolve`` (its outcome is unknown: read back).
    ``refs`` are the results of the allocation's earlier commands by seq; ``known`` holds every
    payment/settlement id on the invoice that syncd can account for (``before`` + every result).
    """

    id: int
    company_id: int
    allocation_id: int | None
    invoice_id: str
    seq: int
    kind: str
    payload: dict[str, Any]
    mode: str
    attempts: int
    before: dict[str, Any]
    refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    known: dict[str, frozenset[str]] = field(default_factory=dict)


@functools.cache
def _candidates(per_company: bool) -> Any:
    """The runnable-commands query, built once (bound ``now``/``company_id``) so it compiles once."""
    now: Any = bindparam("now")
    earlier = aliased(OutboxCommand)
    other = aliased(OutboxCommand)
    predecessor_open = exists().where(
        earlier.allocation_id == OutboxCommand.allocation_id,
        earlier.seq < OutboxCommand.seq,
        earlier.state != "done",
    )
    invoice_busy = exists().where(
        other.company_id == OutboxCommand.company_id,
        other.invoice_bokio_id == OutboxCommand.invoice_bokio_id,
        other.state.in_(IN_FLIGHT),
        other.id != OutboxCommand.id,
    )
    paused = exists().where(
        Company.id == OutboxCommand.company_id,
        Company.paused_until.is_not(None),
        Company.paused_until > now,
    )
    conditions = [
        OutboxCommand.state.in_(RUNNABLE),
        OutboxCommand.next_attempt_at <= now,
        ~paused,
        ~invoice_busy,
        or_(OutboxCommand.allocation_id.is_(None), ~predecessor_open),
    ]
    if per_company:
        conditions.append(OutboxCommand.company_id == bindparam("company_id"))
    return (
        select(OutboxCommand)
        .where(and_(*conditions))
        .order_by(OutboxCommand.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=OutboxCommand)
    )


def _invoice_lock_key(company_id: int, invoice_id: str) -> int:
    digest = hashlib.sha256(f"syncd:outbox:{company_id}:{invoice_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _invoice_free(session: Session, command: OutboxCommand) -> bool:
    """Fresh re-check (a new statement sees commits made since the candidate query)."""
    busy = session.scalar(
        select(OutboxCommand.id)
        .where(
            OutboxCommand.company_id == command.company_id,
            OutboxCommand.invoice_bokio_id == command.invoice_bokio_id,
            OutboxCommand.state.in_(IN_FLIGHT),
            OutboxCommand.id != command.id,
        )
        .limit(1)
    )
    return busy is None


def claim(
    sessions: sessionmaker[Session],
    *,
    worker: str,
    now: dt.datetime,
    company_id: int | None = None,
    limit: int = 1,
) -> list[Claimed]:
    """Claim up to ``limit`` runnable commands (each on a different invoice) and commit."""
    dialect = sessions.kw["bind"].dialect.name if "bind" in sessions.kw else "sqlite"
    guard = _SQLITE_CLAIM if dialect == "sqlite" else threading.Lock()
    with guard, sessions.begin() as session:
        if dialect == "sqlite":
            session.execute(text("UPDATE outbox_commands SET id = id WHERE 0"))  # write lock first
        params: dict[str, Any] = {"now": now, "limit": limit * 4}
        if company_id is not None:
            params["company_id"] = company_id
        candidates = session.scalars(_candidates(company_id is not None), params).all()
        claimed: list[Claimed] = []
        invoices: set[tuple[int, str | None]] = set()
        for command in candidates:
            if len(claimed) >= limit:
                break
            key = (command.company_id, command.invoice_bokio_id)
            if key in invoices:
                continue
            if dialect == "postgresql" and command.invoice_bokio_id:
                got = session.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"),
                    {"key": _invoice_lock_key(command.company_id, command.invoice_bokio_id)},
                )
                if not got or not _invoice_free(session, command):
                    continue
            invoices.add(key)
            claimed.append(_mark_sending(session, command, worker, now))
    return claimed


def _mark_sending(session: Session, command: OutboxCommand, worker: str, now: dt.datetime) -> Claimed:
    mode = "resolve" if command.state == "unknown" else "send"
    invoice = command.invoice_bokio_id or ""
    before = dict(command.before or {})
    if mode == "send":
        command.attempts += 1
        if command.kind in k.WRITE_KINDS:
            before = _before_from_mirror(session, command, before)
    command.state = "sending"
    command.claimed_by = worker
    command.claimed_at = now
    command.before = before
    command.updated_at = now
    refs: dict[int, dict[str, Any]] = {}
    if command.allocation_id is not None:
        rows = session.execute(
            select(OutboxCommand.seq, OutboxCommand.result).where(
                OutboxCommand.allocation_id == command.allocation_id, OutboxCommand.seq < command.seq
            )
        )
        refs = {seq: dict(result or {}) for seq, result in rows}
    known = _known_ids(session, command.company_id, invoice, before) if mode == "resolve" else {}
    session.flush()
    return Claimed(
        id=command.id,
        company_id=command.company_id,
        allocation_id=command.allocation_id,
        invoice_id=invoice,
        seq=command.seq,
        kind=command.kind,
        payload=dict(command.payload),
        mode=mode,
        attempts=command.attempts,
        before=before,
        refs=refs,
        known=known,
    )


def _before_from_mirror(session: Session, command: OutboxCommand, before: dict[str, Any]) -> dict[str, Any]:
    """The invoice's ids the mirror knows (a DB read, no Bokio call), merged with any earlier set."""
    model = InvoicePayment if command.kind == k.CREATE_PAYMENT else InvoiceSettlement
    key = "payment_ids" if command.kind == k.CREATE_PAYMENT else "settlement_ids"
    ids = set(
        session.scalars(
            select(model.bokio_id).where(
                model.company_id == command.company_id,
                model.invoice_bokio_id == command.invoice_bokio_id,
                model.deleted_at.is_(None),
            )
        )
    )
    ids.update(before.get(key, []))
    source = before.get("source", "mirror")
    return {"source": source, key: sorted(ids)}


def _known_ids(
    session: Session, company_id: int, invoice_id: str, before: dict[str, Any]
) -> dict[str, frozenset[str]]:
    """Every id on the invoice syncd can account for: the before-set and all commands' results."""
    payments = set(before.get("payment_ids", []))
    settlements = set(before.get("settlement_ids", []))
    results = session.scalars(
        select(OutboxCommand.result).where(
            OutboxCommand.company_id == company_id,
            OutboxCommand.invoice_bokio_id == invoice_id,
            OutboxCommand.result.is_not(None),
        )
    )
    for result in results:
        if result.get("payment_id"):
            payments.add(str(result["payment_id"]))
        if result.get("settlement_id"):
            settlements.add(str(result["settlement_id"]))
    return {"payment_ids": frozenset(payments), "settlement_ids": frozenset(settlements)}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_here(claimed_by: str | None, host: str) -> bool:
    parts = (claimed_by or "").split(":")
    if len(parts) < 2 or parts[0] != host or not parts[1].isdigit():
        return False
    return int(parts[1]) != os.getpid() and not _pid_alive(int(parts[1]))


def recover_stale(
    sessions: sessionmaker[Session],
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    company_id: int | None = None,
) -> int:
    """Turn ``sending`` rows of dead workers into ``unknown`` (resolved by reading, never resent).

    A row is stale when its claim is older than ``lease`` (longer than any request may take),
    or when it was claimed on this host by a process that no longer exists — so a restart after
    a crash need not wait out the lease.
    """
    host = socket.gethostname()
    with sessions.begin() as session:
        query = select(OutboxCommand).where(OutboxCommand.state == "sending")
        if company_id is not None:
            query = query.where(OutboxCommand.company_id == company_id)
        stale = [
            row
            for row in session.scalars(query.with_for_update(skip_locked=True))
            if row.claimed_at is None or row.claimed_at < now - lease or _dead_here(row.claimed_by, host)
        ]
        for row in stale:
            row.state = "unknown"
            row.next_attempt_at = now
            row.error = {"message": f"worker {row.claimed_by} stopped while this command was in flight"}
            row.updated_at = now
        return len(stale)


def counts(session: Session, company_id: int | None = None) -> dict[str, int]:
    """Commands per state (for status, metrics and tests)."""
    query = select(OutboxCommand.state)
    if company_id is not None:
        query = query.where(OutboxCommand.company_id == company_id)
    found: dict[str, int] = {}
    for state in session.scalars(query):
        found[state] = found.get(state, 0) + 1
    return found


def next_wakeup(session: Session, now: dt.datetime, company_id: int | None = None) -> dt.datetime | None:
    """When something waiting may become runnable: the next due time or pause end after ``now``."""
    query = select(OutboxCommand.next_attempt_at).where(
        OutboxCommand.state.in_(RUNNABLE), OutboxCommand.next_attempt_at > now
    )
    pauses = select(Company.paused_until).where(Company.paused_until > now)
    if company_id is not None:
        query = query.where(OutboxCommand.company_id == company_id)
        pauses = pauses.where(Company.id == company_id)
    waiting = [t for t in session.scalars(query) if t is not None]
    if not waiting:
        return None
    waiting.extend(t for t in session.scalars(pauses) if t is not None)
    return min(waiting)


def cancel_successors(session: Session, allocation_id: int, after_seq: int, now: dt.datetime) -> int:
    """Cancel the allocation's later pending commands (they depend on one that will not run)."""
    result = session.execute(
        update(OutboxCommand)
        .where(
            OutboxCommand.allocation_id == allocation_id,
            OutboxCommand.seq > after_seq,
            OutboxCommand.state == "pending",
        )
        .values(state="cancelled", updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
