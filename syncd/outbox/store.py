"""Claiming outbox commands safely, and recovering the ones a dead process left ``sending``.

A command is runnable when it is ``pending`` (send it) or ``unknown`` (read back first), its
``next_attempt_at`` has come, its company is not paused, every lower ``seq`` of its allocation
is ``done``, and no other command on the same invoice is ``sending`` or ``unknown`` (one write
in flight per invoice keeps the read-back after a lost answer unambiguous, design §2.3).

Claiming marks the row ``sending`` and commits *before* anything is sent (style §11/12). The
same commit writes the send time (``first_sent_at`` once, ``last_sent_at`` every time) and the
claim's lease: ``lease_until`` = now + the client's deadline for every call the attempt may
make + a margin (:class:`Lease`), so a claim is never held longer than the work could take.

Recovery (:func:`recover_stale`) turns ``sending`` rows whose worker is gone -- lease passed,
a dead process on this host, or a claim this process gave up (:func:`abandon`, e.g. after the
database connection was lost between the Bokio call and recording its outcome) -- into
``unknown``, due no earlier than their last send + the settle window: the request may still be
in Bokio's hands, so nothing is read back (let alone re-sent) before it could have landed.

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
from syncd.outbox.kinds import DELETE_KINDS, IN_FLIGHT, RUNNABLE, WRITE_KINDS, CommandKind, CommandState
from syncd.outbox.payloads import DUPLICATE_OF
from syncd.outbox.tables import OutboxCommand

_SQLITE_CLAIM = threading.Lock()
_ABANDONED: set[tuple[str, int]] = set()  # (worker, command id) claims this process gave up
_ABANDONED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Lease:
    """How long one attempt may hold its claim: the client's deadline per call it may make + a margin."""

    call_deadline_s: float = 120.0
    margin_s: float = 30.0

    def for_command(self, kind: str, payload: dict[str, Any], mode: str) -> dt.timedelta:
        return dt.timedelta(
            seconds=expected_calls(kind, payload, mode) * self.call_deadline_s + self.margin_s
        )


def expected_calls(kind: str, payload: dict[str, Any], mode: str) -> int:
    """The most Bokio calls one attempt makes: a read-back may page, tagging may set up its tag first."""
    if mode == "resolve":
        return 2
    if kind == CommandKind.TAG_JOURNAL_ENTRIES:
        return 3 + len(payload.get("record_seqs", []))
    return 1


def needs_settling(kind: str) -> bool:
    """Whether an unknown outcome must wait out the settle window (a tag PUT is idempotent)."""
    return kind != CommandKind.TAG_JOURNAL_ENTRIES


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
    first_sent_at: dt.datetime | None = None
    last_sent_at: dt.datetime | None = None

    def settles_at(self, window: dt.timedelta) -> dt.datetime | None:
        """When a lost write of this command can no longer land (its last send + ``window``)."""
        if not needs_settling(self.kind) or self.last_sent_at is None:
            return None
        return self.last_sent_at + window


@functools.cache
def _candidates(per_company: bool) -> Any:
    """The runnable-commands query, built once (bound ``now``/``company_id``) so it compiles once."""
    now: Any = bindparam("now")
    earlier = aliased(OutboxCommand)
    other = aliased(OutboxCommand)
    predecessor_open = exists().where(
        earlier.allocation_id == OutboxCommand.allocation_id,
        earlier.seq < OutboxCommand.seq,
        earlier.state != CommandState.DONE,
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
    lease: Lease | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` runnable commands (each on a different invoice) and commit.

    A delete that repairs a duplicate is cancelled instead when its target has meanwhile become
    some command's own object (a read-back adopted it): it is no longer a duplicate.
    """
    lease = lease or Lease()
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
            if _repair_target_owned(session, command, now):
                continue
            invoices.add(key)
            claimed.append(_mark_sending(session, command, worker, now, lease))
    return claimed


def _repair_target_owned(session: Session, command: OutboxCommand, now: dt.datetime) -> bool:
    """Cancel a duplicate repair whose target a command now owns; True when it was cancelled."""
    if command.kind not in DELETE_KINDS or DUPLICATE_OF not in command.payload:
        return False
    what = "payment_id" if command.kind == CommandKind.DELETE_PAYMENT else "settlement_id"
    target = str(command.payload[what])
    owners = owned_ids(session, command.company_id, command.invoice_bokio_id or "")
    if target not in owners[what + "s"]:
        return False
    command.state = CommandState.CANCELLED
    command.updated_at = now
    command.error = {"message": f"{target} is no longer a duplicate: a command of syncd owns it now"}
    return True


def _mark_sending(
    session: Session, command: OutboxCommand, worker: str, now: dt.datetime, lease: Lease
) -> Claimed:
    mode = "resolve" if command.state == CommandState.UNKNOWN else "send"
    invoice = command.invoice_bokio_id or ""
    before = dict(command.before or {})
    if mode == "send":
        command.attempts += 1
        if command.kind in WRITE_KINDS:
            before = _before_from_mirror(session, command, before)
        command.first_sent_at = command.first_sent_at or now  # written before the request leaves
        command.last_sent_at = now
    elif command.last_sent_at is None:  # claimed before send times were kept
        command.last_sent_at = command.claimed_at or command.updated_at
    command.state = CommandState.SENDING
    command.claimed_by = worker
    command.claimed_at = now
    command.lease_until = now + lease.for_command(command.kind, command.payload, mode)
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
        first_sent_at=command.first_sent_at,
        last_sent_at=command.last_sent_at,
    )


def _before_from_mirror(session: Session, command: OutboxCommand, before: dict[str, Any]) -> dict[str, Any]:
    """The invoice's ids the mirror knows (a DB read, no Bokio call), merged with any earlier set.

    ``first_send`` keeps the set as it was at the first send, for the duplicate detector: an
    object already there then is not a copy of what syncd sent.
    """
    model = InvoicePayment if command.kind == CommandKind.CREATE_PAYMENT else InvoiceSettlement
    key = "payment_ids" if command.kind == CommandKind.CREATE_PAYMENT else "settlement_ids"
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
    first = before.get("first_send", sorted(ids))
    return {"source": source, key: sorted(ids), "first_send": first}


def _known_ids(
    session: Session, company_id: int, invoice_id: str, before: dict[str, Any]
) -> dict[str, frozenset[str]]:
    """Every id on the invoice syncd can account for: the before-set, every command's own object,
    and every object syncd has judged a duplicate (never adopted as anyone's)."""
    owned = owned_ids(session, company_id, invoice_id, with_duplicates=True)
    return {
        "payment_ids": frozenset(set(before.get("payment_ids", [])) | owned["payment_ids"]),
        "settlement_ids": frozenset(set(before.get("settlement_ids", [])) | owned["settlement_ids"]),
    }


def owned_ids(
    session: Session, company_id: int, invoice_id: str, *, with_duplicates: bool = False
) -> dict[str, frozenset[str]]:
    """Payment and settlement ids on the invoice that belong to a command (its result, or what an
    undo deletes); with ``with_duplicates``, also the targets of duplicate repairs not cancelled."""
    payments: set[str] = set()
    settlements: set[str] = set()
    rows = session.execute(
        select(OutboxCommand.kind, OutboxCommand.state, OutboxCommand.payload, OutboxCommand.result).where(
            OutboxCommand.company_id == company_id, OutboxCommand.invoice_bokio_id == invoice_id
        )
    )
    for kind, state, payload, stored in rows:
        result = stored or {}
        if result.get("payment_id"):
            payments.add(str(result["payment_id"]))
        if result.get("settlement_id"):
            settlements.add(str(result["settlement_id"]))
        if kind in DELETE_KINDS and state != CommandState.CANCELLED:
            repair = DUPLICATE_OF in (payload or {})
            if with_duplicates or not repair:
                target = payments if kind == CommandKind.DELETE_PAYMENT else settlements
                target.add(str(payload.get("payment_id") or payload.get("settlement_id")))
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


def abandon(worker: str, command_id: int) -> None:
    """This process gave up a claim it could not release (the database was away): the next
    :func:`recover_stale` in this process releases it at once instead of waiting for its lease."""
    with _ABANDONED_LOCK:
        _ABANDONED.add((worker, command_id))


def _abandoned(claimed_by: str | None, command_id: int) -> bool:
    with _ABANDONED_LOCK:
        return (claimed_by or "", command_id) in _ABANDONED


def _forget_abandoned(rows: list[OutboxCommand]) -> None:
    with _ABANDONED_LOCK:
        for row in rows:
            _ABANDONED.discard((row.claimed_by or "", row.id))


def settled_after(row: OutboxCommand, settle: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """The earliest moment an unknown command may be read back: its last send + the settle window."""
    sent = row.last_sent_at or row.claimed_at
    if sent is None or not needs_settling(row.kind):
        return now
    return max(now, sent + settle)


def _stale(row: OutboxCommand, now: dt.datetime, legacy_lease: dt.timedelta, host: str) -> bool:
    if row.lease_until is not None and row.lease_until < now:
        return True
    if row.lease_until is None and (row.claimed_at is None or row.claimed_at < now - legacy_lease):
        return True
    return _dead_here(row.claimed_by, host) or _abandoned(row.claimed_by, row.id)


def recover_stale(
    sessions: sessionmaker[Session],
    *,
    now: dt.datetime,
    settle: dt.timedelta,
    lease: dt.timedelta = dt.timedelta(seconds=300),
    company_id: int | None = None,
) -> int:
    """Turn ``sending`` rows of gone workers into ``unknown``, read back only once settled.

    A row is stale when its lease has passed (``lease`` is the fallback for rows claimed before
    leases were kept), when it was claimed on this host by a process that no longer exists, or
    when this process abandoned it -- so a restart after a crash need not wait out the lease.
    Its next attempt is no earlier than its last send + ``settle``: a request the dead worker
    sent may still be in Bokio's hands, and a read-back before it lands would prove nothing.
    """
    host = socket.gethostname()
    with sessions.begin() as session:
        query = select(OutboxCommand).where(OutboxCommand.state == CommandState.SENDING)
        if company_id is not None:
            query = query.where(OutboxCommand.company_id == company_id)
        stale = [
            row
            for row in session.scalars(query.with_for_update(skip_locked=True))
            if _stale(row, now, lease, host)
        ]
        for row in stale:
            row.state = CommandState.UNKNOWN
            row.next_attempt_at = settled_after(row, settle, now)
            row.error = {
                "message": f"worker {row.claimed_by} stopped while this command was in flight; "
                f"read back from {row.next_attempt_at.isoformat()}"
            }
            row.updated_at = now
        _forget_abandoned(stale)
        return len(stale)


def release(
    sessions: sessionmaker[Session],
    claimed: Claimed,
    *,
    worker: str,
    now: dt.datetime,
    settle: dt.timedelta,
    sent: bool,
    reason: str,
) -> bool:
    """Give a claim back at once: ``unknown`` (settled, read back) if its request may have gone
    out, else its previous state. A no-op if the row is no longer this worker's claim."""
    with sessions.begin() as session:
        row = session.get(OutboxCommand, claimed.id, with_for_update=True)
        if row is None or row.state != CommandState.SENDING or row.claimed_by != worker:
            return False
        if sent or claimed.mode == "resolve":
            row.state = CommandState.UNKNOWN
            row.next_attempt_at = settled_after(row, settle, now)
        else:
            row.state = CommandState.PENDING
            row.next_attempt_at = now
        row.claimed_by = None
        row.error = {"message": reason}
        row.updated_at = now
        return True


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
            OutboxCommand.state == CommandState.PENDING,
        )
        .values(state=CommandState.CANCELLED, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
