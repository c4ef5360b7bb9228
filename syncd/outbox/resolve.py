"""Resolving ``unknown`` commands: read back from Bokio, never re-send blindly, never too early.

The send protocol (design §2.3)
-------------------------------
Bokio has no idempotency keys and payments carry no reference, and a slow Bokio may apply a
write long after the client gave up. So "exactly once" rests on four rules:

1. **The send time is persisted before every write.** The claim that marks a command
   ``sending`` also writes ``first_sent_at`` (once) and ``last_sent_at``, and commits, before the
   request leaves (:mod:`syncd.outbox.store`).
2. **An unknown outcome waits out the settle window.** A timeout, a dropped connection, a 5xx to
   a write, or a worker that died while ``sending`` (crash recovery, a lost database connection)
   all make the command ``unknown``, due no earlier than ``last_sent_at + settle_window_s``
   (``[bokio] settle_window_s``, default 15 minutes, validated to exceed the client's deadline
   for one call). Every request syncd sends has either been answered or abandoned by then, and
   Bokio has had that long to apply it.
3. **A re-send needs a read-back that began after the window and found nothing.** The pusher
   checks the moment the read began against the window (:meth:`Pusher._resolve
   <syncd.outbox.pusher.Pusher._resolve>`): a read that found nothing earlier -- an admin's
   ``outbox retry``, an unreadable 2xx that is read back at once -- leaves the command
   ``unknown`` until the window has passed.
4. **The read-back matches on everything syncd sent** -- payments on date, amount in SEK
   and bookkeeping account (when Bokio shows it); settlements on type, date, amount in SEK
   and VAT scheme -- and ignores every object syncd can already account
   for: ``before`` (the ids the mirror knew when the command was claimed, or the list the last
   read-back saw), the object of *any* command on the invoice (so another allocation's payment
   of the same amount and date is never taken for ours), and every object syncd has judged a
   duplicate.

Then: exactly one candidate → adopt its id, ``done``. None → provably not applied: back to
``pending`` with ``before`` replaced by the list just read, and sent again. More than one, but
no more than the command was sent (a re-send, and the first send landed after all) → they are
copies of syncd's own request: adopt the first, ``done``; the next pull's duplicate detector
deletes the others. More than the command was sent → someone else wrote the same thing too:
``failed`` with a message for a person; never guessed, never deleted.

Why the ``before`` snapshot is taken lazily: reading the list before every create would cost one
extra GET per write on the fault-free path -- a third more requests against a quota of 5,000 a
month. The claim takes the mirror's ids instead (a database read, free), and Bokio's list is read
only after a lost answer. The fault-free path makes exactly one request per command.

syncd keeps at most one command in flight per invoice (the claim enforces it, ``unknown``
included), so no other syncd write can land on that invoice between our send and our read.

What remains, stated honestly, and what catches it
--------------------------------------------------
- Bokio applying a write later than the settle window: the read-back finds nothing, syncd sends
  again and both land. :mod:`syncd.outbox.duplicates` compares every pulled invoice syncd wrote
  to with what the outbox expects and deletes such a copy through the outbox (it is never
  recorded: syncd records only its own object), or flags it for a person if someone recorded it.
  A command that resolved after an unknown outcome marks its invoice for the next pull.
- A *person* registering a payment identical in date, amount and account on the same invoice,
  after the mirror last read it and before our read-back, while our own request was lost unapplied:
  we adopt theirs, and the amount is booked once instead of twice -- the invoice is still right,
  the ids point at the person's row. If both landed we see two candidates and stop for a person.

Other kinds
-----------
- ``record_payment`` / ``record_settlement``: GET the object; ``journalEntryRef`` set means the
  record happened (done, with its journal entry id); unset means send it again (after the
  window). Recording twice is refused by Bokio (400), so even a wrong guess could not double-book.
- ``tag_journal_entries``: ``PUT …/journal-entries/{id}/tags`` *replaces* the entry's tags
  (reference §13: "replaces all tags"; both arrays empty removes all), so sending the same body
  again leaves the same state: idempotent, no settle window, no read, straight back to ``pending``.
- ``delete_*`` (undo, duplicate repair): GET the object; 404 means the delete happened, present
  means send it again (after the window); a second delete of a gone object is a 404, taken as done.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from syncd.bokio import BokioClient, NotFoundError
from syncd.bokio.models import InvoicePayment, InvoiceSettlement
from syncd.outbox import payloads
from syncd.outbox.apply import Outcome
from syncd.outbox.kinds import DELETE_KINDS, CommandKind
from syncd.outbox.store import Claimed


def payment_matches(row: InvoicePayment, payload: dict[str, Any]) -> bool:
    """Same date, amount and (when Bokio shows it) account as the request."""
    write = payloads.payment_write(payload)
    return (
        row.date == write.date
        and row.sum_base_currency == write.sum_base_currency
        and (
            row.bookkeeping_account_number is None
            or row.bookkeeping_account_number == write.bookkeeping_account_number
        )
    )


def settlement_matches(row: InvoiceSettlement, payload: dict[str, Any]) -> bool:
    """Same type, date, amount and VAT scheme as the request."""
    details = row.details
    write = payloads.settlement_write(payload)
    return (
        str(row.type) == write.type.value
        and details.date == write.date
        and details.sum_base_currency == write.sum_base_currency
        and (write.vat_scheme is None or str(details.vat_scheme) == write.vat_scheme.value)
    )


def _adopt(claimed: Claimed, rows: Iterable[Any], known_key: str, result_key: str, matches: Any) -> Outcome:
    listed = list(rows)
    known = claimed.known.get(known_key, frozenset())
    candidates = [row for row in listed if row.id not in known and matches(row, claimed.payload)]
    if len(candidates) == 1 or 1 < len(candidates) <= claimed.attempts:
        row = candidates[0]
        mirror = (row,)
        is_payment = result_key == "payment_id"
        note = "adopted after read-back"
        if len(candidates) > 1:
            note += f"; {len(candidates) - 1} more copy(ies) of its own sends left to the duplicate detector"
        return Outcome(
            "done",
            result={result_key: row.id, "resolved": note},
            payments=mirror if is_payment else (),
            settlements=() if is_payment else mirror,
        )
    if not candidates:
        before = {"source": "bokio", known_key: sorted(row.id for row in listed)}
        return Outcome("resend", before=before, error={"message": "read back: not applied; sending again"})
    ids = ", ".join(row.id for row in candidates)
    message = (
        f"outcome unknown and {len(candidates)} rows on invoice {claimed.invoice_id} match what was sent "
        f"({ids}); check in Bokio which one is this allocation's, delete any duplicate, then "
        f"`syncd outbox retry {claimed.id}` or cancel it"
    )
    return Outcome("failed", error={"message": message, "code": "ambiguous-read-back", "candidates": ids})


def resolve(client: BokioClient, claimed: Claimed) -> Outcome:  # noqa: PLR0911 - one branch per kind
    """Decide an unknown command by reading Bokio (raises Bokio errors for the caller to classify)."""
    invoice = claimed.invoice_id
    if claimed.kind == CommandKind.CREATE_PAYMENT:
        return _adopt(claimed, client.iter_payments(invoice), "payment_ids", "payment_id", payment_matches)
    if claimed.kind == CommandKind.CREATE_SETTLEMENT:
        return _adopt(
            claimed, client.iter_settlements(invoice), "settlement_ids", "settlement_id", settlement_matches
        )
    if claimed.kind == CommandKind.RECORD_INVOICE:
        return _resolve_invoice_record(client, claimed)
    if claimed.kind == CommandKind.RECORD_PAYMENT:
        payment_id = str(claimed.refs[int(claimed.payload["payment_seq"])]["payment_id"])
        payment = client.get_payment(invoice, payment_id)
        if payment.journal_entry_ref is None:
            return Outcome("resend", error={"message": "read back: not recorded yet; sending again"})
        return Outcome(
            "done",
            result={"payment_id": payment_id, "journal_entry_id": payment.journal_entry_ref.id},
            payments=(payment,),
        )
    if claimed.kind == CommandKind.RECORD_SETTLEMENT:
        settlement_id = str(claimed.refs[int(claimed.payload["settlement_seq"])]["settlement_id"])
        settlement = client.get_settlement(invoice, settlement_id)
        if settlement.journal_entry_ref is None:
            return Outcome("resend", error={"message": "read back: not recorded yet; sending again"})
        return Outcome(
            "done",
            result={"settlement_id": settlement_id, "journal_entry_id": settlement.journal_entry_ref.id},
            settlements=(settlement,),
        )
    if claimed.kind in DELETE_KINDS:
        return _resolve_delete(client, claimed)
    # tags: PUT replaces the whole set, so sending the same body again is harmless
    return Outcome("resend", error={"message": "tag write is idempotent; sending again"})


def _resolve_invoice_record(client: BokioClient, claimed: Claimed) -> Outcome:
    entry = client.get_invoice(claimed.invoice_id).journal_entry_ref
    if entry is None:
        return Outcome("resend", error={"message": "read back: invoice not recorded yet; sending again"})
    result = {"invoice_id": claimed.invoice_id, "journal_entry_id": entry.id}
    return Outcome("done", result=result, invoice_entry=entry.id)


def _resolve_delete(client: BokioClient, claimed: Claimed) -> Outcome:
    try:
        if claimed.kind == CommandKind.DELETE_PAYMENT:
            client.get_payment(claimed.invoice_id, str(claimed.payload["payment_id"]))
        else:
            client.get_settlement(claimed.invoice_id, str(claimed.payload["settlement_id"]))
    except NotFoundError:
        what = "payment" if claimed.kind == CommandKind.DELETE_PAYMENT else "settlement"
        bokio_id = str(claimed.payload[f"{what}_id"])
        return Outcome("done", result={"deleted": bokio_id}, deleted=((what, bokio_id),))
    return Outcome("resend", error={"message": "read back: still there; deleting again"})
