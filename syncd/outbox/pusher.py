"""The pusher: claim a command, send it (or read back an unknown one), record the outcome.

One command is one unit of work in three steps, each with its own transaction boundary:

1. :func:`~syncd.outbox.store.claim` marks it ``sending`` and commits (nothing sent yet);
2. the HTTP call(s), outside any transaction, turned into an :class:`~syncd.outbox.apply.Outcome`;
3. :func:`~syncd.outbox.apply.apply_outcome` stores Bokio's ids, the allocation and the mirror in
   one transaction. Only after that commit: one ``GET`` of the invoice when its allocation's last
   command is done, because ``paidAmount``/``status`` are the one thing no write response tells.

A crash between 1 and 3 leaves ``sending``; :meth:`Pusher.recover` turns it into ``unknown``,
which is resolved by reading (:mod:`syncd.outbox.resolve`), never by sending again blindly, and
not before the settle window from its send has passed. If step 3 fails (the database
connection was lost after Bokio answered), the claim is released at once as ``unknown`` under
the same rule -- or, when even that cannot be written, abandoned so this process's next
:meth:`Pusher.recover` releases it without waiting for the lease.

Errors, by what to do (style §6): 429s (rate or concurrency; the client already waited them out
a few times), a 5xx on a read, or a request that never left → ``pending`` with backoff and
jitter; quota 403 → pause the company (kind ``quota``) until ``Retry-After``, 401 or a missing
scope → an ``auth`` pause (see :mod:`syncd.mirror.pauses`); a lost answer → ``unknown``,
read back once the settle window from its send has passed;
Bokio's refusals (400/404) → ``failed`` with its error verbatim; any 403 on tagging (no Tags
in the price plan, no tag scope) → tagging off for the company and the tag command done as
skipped, never a pause.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from syncd.bokio import (
    AuthError,
    BadRequestError,
    BokioClient,
    ForbiddenError,
    JournalEntryTagsWrite,
    MalformedRecordError,
    NotFoundError,
    OutcomeUnknownError,
    PricePlanRequiredError,
    QuotaExceededError,
    RateLimitedError,
    TagWeight,
)
from syncd.bokio.errors import BokioError
from syncd.db import utcnow
from syncd.errors import FatalError, RetriableError, UncertainError
from syncd.logging import get_logger
from syncd.mirror import pauses, repo
from syncd.mirror.pauses import PauseKind
from syncd.mirror.tables import Invoice
from syncd.outbox import payloads, store, tagging
from syncd.outbox.apply import Applied, Outcome, apply_outcome, error_body
from syncd.outbox.kinds import DELETE_KINDS, RECORD_KINDS, CommandKind
from syncd.outbox.owner import CommandOwner
from syncd.outbox.progress import PushProgress, PushProgressHook
from syncd.outbox.resolve import resolve
from syncd.outbox.store import Claimed

log = get_logger(__name__)


@dataclass(frozen=True)
class PushPolicy:
    """Timing knobs; the defaults suit Bokio, tests shrink them."""

    settle_window_s: float = 900.0  # a lost write is read back (and re-sent) only this long after its send
    call_deadline_s: float = 120.0  # the client's deadline for one call (bokio.deadline_s)
    lease_margin_s: float = 30.0  # a claim's lease: call_deadline_s per call it may make, plus this
    base_backoff_s: float = 2.0
    max_backoff_s: float = 300.0
    lease_s: float = 300.0  # fallback lease for rows claimed before leases were kept
    default_pause_s: float = 3600.0  # quota/token pause when Bokio gives no Retry-After
    refresh_invoices: bool = False  # GET the invoice after each group (else paidAmount/status are derived)

    @property
    def settle(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settle_window_s)

    @property
    def lease(self) -> store.Lease:
        return store.Lease(call_deadline_s=self.call_deadline_s, margin_s=self.lease_margin_s)


PROGRESS_EVERY = 25
"""A drain logs a progress line at info after every this many commands."""


@dataclass
class PushReport:
    """What a drain did, by outcome kind."""

    handled: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    refreshed: int = 0

    def add(self, kind: str) -> None:
        self.handled += 1
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1


class Pusher:
    """Pushes one company's outbox through one :class:`BokioClient`.

    ``owner`` is told what became of each command (:class:`~syncd.outbox.owner.CommandOwner`).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: BokioClient,
        *,
        company_id: int,
        owner: CommandOwner,
        worker: str | None = None,
        policy: PushPolicy | None = None,
        now: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
        before_send: Callable[[Claimed], None] | None = None,
        batch: int = 1,
        progress_every: int = PROGRESS_EVERY,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.company_id = company_id
        self.owner = owner
        self.worker = worker or store.worker_id()
        self.policy = policy or PushPolicy()
        self.now = now
        self.rng = rng or random.Random()
        self.before_send = before_send
        self.progress_every = max(1, progress_every)
        self.batch = batch  # claims per transaction; each claimed command is still sent and applied alone

    def recover(self) -> int:
        """Call once at start: ``sending`` rows of gone workers become ``unknown`` (settled first)."""
        return store.recover_stale(
            self.sessions,
            now=self.now(),
            settle=self.policy.settle,
            lease=dt.timedelta(seconds=self.policy.lease_s),
            company_id=self.company_id,
        )

    def run_once(
        self, report: PushReport | None = None, *, on_progress: PushProgressHook | None = None
    ) -> int:
        """Claim up to ``batch`` commands (different invoices) and handle them; returns how many.

        ``on_progress`` is told after each command (with ``report``'s count so far).
        """
        claimed = store.claim(
            self.sessions,
            worker=self.worker,
            now=self.now(),
            company_id=self.company_id,
            limit=self.batch,
            lease=self.policy.lease,
        )
        for index, command in enumerate(claimed):
            try:
                outcome = self.execute(command)
            except BaseException:
                self._give_back(claimed[index:], sent=[command], reason="the pusher stopped mid-attempt")
                raise
            try:
                applied = self._record(command, outcome)
            except BaseException as exc:
                reason = f"its outcome could not be recorded ({type(exc).__name__}); read back to find out"
                self._give_back(claimed[index:], sent=[command], reason=reason)
                raise
            if outcome.kind in ("failed", "pause", "unknown"):
                log.warning(
                    "outbox.command_" + outcome.kind,
                    command_id=command.id,
                    kind=command.kind,
                    invoice=command.invoice_id,
                    error=(outcome.error or {}).get("message"),
                )
            if report is not None:
                report.add(outcome.kind)
            if on_progress is not None:
                handled = report.handled if report is not None else index + 1
                on_progress(
                    PushProgress(
                        self.company_id, handled, command.id, command.kind, command.invoice_id, outcome.kind
                    )
                )
            if applied.group_finished and self.policy.refresh_invoices:
                refreshed = self.refresh_invoice(applied.invoice_id)
                if report is not None:
                    report.refreshed += int(refreshed)
        return len(claimed)

    def _record(self, command: Claimed, outcome: Outcome) -> Applied:
        with self.sessions.begin() as session:
            return apply_outcome(session, command, outcome, self.now(), owner=self.owner, worker=self.worker)

    def _give_back(self, claims: list[Claimed], *, sent: list[Claimed], reason: str) -> None:
        """Release claims at once: the one in flight as ``unknown`` (settled), the rest unsent.

        If the database cannot take even that, the claims are abandoned: this process's next
        :meth:`recover` releases them, and a restart does anyway (the pid is gone).
        """
        for claim in claims:
            went_out = claim in sent
            try:
                store.release(
                    self.sessions,
                    claim,
                    worker=self.worker,
                    now=self.now(),
                    settle=self.policy.settle,
                    sent=went_out,
                    reason=reason if went_out else "released unsent: an earlier command's attempt failed",
                )
            except Exception:
                store.abandon(self.worker, claim.id)
                log.warning("outbox.claim_abandoned", command_id=claim.id, reason=reason, exc_info=True)

    def drain(
        self,
        *,
        stop: Callable[[], bool] = lambda: False,
        max_commands: int | None = None,
        on_progress: PushProgressHook | None = None,
    ) -> PushReport:
        """Handle runnable commands until none is left (or ``stop()``); waiting ones stay for later.

        Every ``progress_every`` commands a progress line goes to the log at info (a long drain,
        such as after retrying many failed commands, says how far it is); ``on_progress`` (a
        terminal's progress bar) is told after every command.
        """
        report = PushReport()
        while not stop() and (max_commands is None or report.handled < max_commands):
            before = report.handled
            if self.run_once(report, on_progress=on_progress) == 0:
                break
            if report.handled // self.progress_every > before // self.progress_every:
                log.info(
                    "outbox.progress", company_id=self.company_id, handled=report.handled, **report.outcomes
                )
        if report.handled >= self.progress_every:
            log.info("outbox.drained", company_id=self.company_id, handled=report.handled, **report.outcomes)
        return report

    # ----- one attempt ---------------------------------------------------------------------------
    def execute(self, claimed: Claimed) -> Outcome:
        """Send (or read back) and classify; never raises for a Bokio error."""
        if self.before_send is not None:
            self.before_send(claimed)
        try:
            if claimed.mode == "resolve":
                return self._resolve(claimed)
            return self._send(claimed)
        except BokioError as exc:
            return self._classify(claimed, exc)

    def _resolve(self, claimed: Claimed) -> Outcome:
        """Read back; "not applied" counts only if the read began after the settle window."""
        read_at = self.now()
        outcome = resolve(self.client, claimed)
        settles_at = claimed.settles_at(self.policy.settle)
        if outcome.kind != "resend" or settles_at is None or read_at >= settles_at:
            return outcome
        message = (
            f"read back at {read_at.isoformat()}: nothing yet, but the request sent at "
            f"{claimed.last_sent_at.isoformat() if claimed.last_sent_at else '?'} may still land; "
            f"reading again from {settles_at.isoformat()}"
        )
        return Outcome("unknown", error={"message": message}, not_before=settles_at)

    def _classify(self, claimed: Claimed, exc: BokioError) -> Outcome:
        """By family first (:mod:`syncd.errors`; the families are disjoint, so the order of these
        checks cannot turn an uncertain outcome into a re-send), then by what Bokio said."""
        if isinstance(exc, UncertainError):
            return self._uncertain(claimed, exc)
        if isinstance(exc, MalformedRecordError):  # a 2xx we cannot read: it happened, ids unknown
            return Outcome("unknown", error=error_body(exc), delay_s=0.0)
        if isinstance(exc, RetriableError):
            return self._retriable(claimed, exc)
        if isinstance(exc, FatalError):
            return self._refused(claimed, exc)
        return Outcome("failed", error=error_body(exc))  # unforeseen: a person decides

    def _uncertain(self, claimed: Claimed, exc: BokioError) -> Outcome:
        """It may have happened: read back, after the settle window from its send."""
        settles_at = claimed.settles_at(self.policy.settle)
        if settles_at is None:  # idempotent (tags): read back after a short backoff
            return Outcome("unknown", error=error_body(exc), delay_s=self._backoff(claimed.attempts))
        return Outcome("unknown", error=error_body(exc), not_before=settles_at)

    def _retriable(self, claimed: Claimed, exc: BokioError) -> Outcome:
        """Nothing happened at Bokio: wait (the company for a quota, this command otherwise)."""
        if isinstance(exc, QuotaExceededError):
            wait = exc.retry_after if exc.retry_after is not None else self.policy.default_pause_s
            return self._pause(exc, PauseKind.QUOTA, wait)
        delay = self._backoff(claimed.attempts)
        if isinstance(exc, RateLimitedError):
            delay = max(exc.retry_after or 0.0, delay) + self.rng.uniform(0, 1)
        return Outcome("retry", error=error_body(exc), delay_s=delay)

    def _refused(self, claimed: Claimed, exc: BokioError) -> Outcome:
        """Bokio said no: to the token (pause), to tagging (off), or to this command (a person)."""
        if isinstance(exc, ForbiddenError) and claimed.kind == CommandKind.TAG_JOURNAL_ENTRIES:
            return self._tagging_refused(exc)
        if isinstance(exc, PricePlanRequiredError):
            return self._pause(exc, PauseKind.PLAN, self.policy.default_pause_s)
        if isinstance(exc, AuthError | ForbiddenError):  # the token, not this command
            return self._pause(exc, PauseKind.AUTH, self.policy.default_pause_s)
        if isinstance(exc, NotFoundError) and claimed.kind in DELETE_KINDS:
            return _already_deleted(claimed)
        if isinstance(exc, BadRequestError) and (
            claimed.kind in RECORD_KINDS or claimed.kind == CommandKind.RECORD_INVOICE
        ):
            return self._already_recorded(claimed, exc)
        return Outcome("failed", error=error_body(exc))

    def _tagging_refused(self, exc: ForbiddenError) -> Outcome:
        """Tags are extra: a plan without Tags or a token without the tag scope turns tagging off
        for the company (doctor shows it), never pauses it; the payments are booked either way."""
        if isinstance(exc, PricePlanRequiredError):
            reason = f"price plan lacks {exc.required_feature or 'Tags'}: {exc}"
        else:
            reason = f"the token may not tag journal entries (403): {exc}"
        tagging.disable(self.sessions, self.company_id, reason, self.now())
        return Outcome("done", result={"skipped": reason})

    def _pause(self, exc: BokioError, kind: PauseKind, seconds: float) -> Outcome:
        """The whole company waits; the command goes back to ``pending`` untouched."""
        hint = pauses.FIXES[kind].format(company=self.client.company_id)
        found = pauses.pause_for(exc, self.now())
        reason = found.reason if found is not None and found.kind is kind else str(exc)
        return Outcome(
            "pause",
            error=error_body(exc, hint=hint, pause_reason=reason),
            pause_until=self.now() + dt.timedelta(seconds=seconds),
            pause_kind=kind.value,
        )

    def _already_recorded(self, claimed: Claimed, exc: BokioError) -> Outcome:
        """Bokio refuses to record twice: after an earlier attempt whose answer was lost (it may
        have landed late) or, for an invoice, after a person recorded it since the last pull, one
        read tells whether the object is recorded -- then this is done."""
        if claimed.attempts > 1 or claimed.kind == CommandKind.RECORD_INVOICE:
            try:
                outcome = resolve(self.client, claimed)
            except BokioError:
                outcome = None
            if outcome is not None and outcome.kind == "done":
                return outcome
        return Outcome("failed", error=error_body(exc))

    def _backoff(self, attempts: int) -> float:
        """Exponential with jitter in [half, full], so retries of many commands spread out."""
        ceiling = min(self.policy.max_backoff_s, self.policy.base_backoff_s * 2.0 ** max(attempts - 1, 0))
        return float(ceiling * self.rng.uniform(0.5, 1.0))

    def _send(self, claimed: Claimed) -> Outcome:
        """One request for the command's kind (:data:`_SENDERS`)."""
        try:
            send = _SENDERS[CommandKind(claimed.kind)]
        except ValueError:
            return Outcome("failed", error={"message": f"unknown command kind {claimed.kind!r}"})
        return send(self, claimed)

    def _record_invoice(self, claimed: Claimed) -> Outcome:
        invoice = self.client.record_invoice(claimed.invoice_id)
        entry = invoice.journal_entry_ref.id if invoice.journal_entry_ref else None
        result = {"invoice_id": claimed.invoice_id, "journal_entry_id": entry}
        return Outcome("done", result=result, invoice_entry=entry)

    def _create_payment(self, claimed: Claimed) -> Outcome:
        payment = self.client.create_payment(claimed.invoice_id, payloads.payment_write(claimed.payload))
        return Outcome("done", result={"payment_id": payment.id}, payments=(payment,))

    def _record_payment(self, claimed: Claimed) -> Outcome:
        payment_id = str(claimed.refs[int(claimed.payload["payment_seq"])]["payment_id"])
        payment = self.client.record_payment(claimed.invoice_id, payment_id)
        entry = payment.journal_entry_ref.id if payment.journal_entry_ref else None
        result = {"payment_id": payment_id, "journal_entry_id": entry}
        return Outcome("done", result=result, payments=(payment,))

    def _create_settlement(self, claimed: Claimed) -> Outcome:
        write = payloads.settlement_write(claimed.payload)
        settlement = self.client.create_settlement(claimed.invoice_id, write)
        return Outcome("done", result={"settlement_id": settlement.id}, settlements=(settlement,))

    def _record_settlement(self, claimed: Claimed) -> Outcome:
        settlement_id = str(claimed.refs[int(claimed.payload["settlement_seq"])]["settlement_id"])
        settlement = self.client.record_settlement(claimed.invoice_id, settlement_id)
        entry = settlement.journal_entry_ref.id if settlement.journal_entry_ref else None
        result = {"settlement_id": settlement_id, "journal_entry_id": entry}
        return Outcome("done", result=result, settlements=(settlement,))

    def _delete(self, claimed: Claimed) -> Outcome:
        what, bokio_id = payloads.deleted_target(claimed.kind, claimed.payload)
        if what == "payment":
            self.client.delete_payment(claimed.invoice_id, bokio_id)
        else:
            self.client.delete_settlement(claimed.invoice_id, bokio_id)
        return _already_deleted(claimed)

    def _tag(self, claimed: Claimed) -> Outcome:
        entries = [
            str(claimed.refs[int(seq)]["journal_entry_id"])
            for seq in claimed.payload.get("record_seqs", [])
            if claimed.refs.get(int(seq), {}).get("journal_entry_id")
        ]
        try:
            state = tagging.ensure_tag(self.sessions, self.client, self.company_id)
        except OutcomeUnknownError as exc:  # set-up reads before it creates: just try again
            return Outcome("retry", error=error_body(exc), delay_s=self._backoff(claimed.attempts))
        if state.tag_id is None:
            return Outcome("done", result={"skipped": state.disabled_reason or "tagging is off"})
        body = JournalEntryTagsWrite(tags=(TagWeight(state.tag_id),))
        for entry in entries:
            self.client.set_journal_entry_tags(entry, body)
        return Outcome("done", result={"journal_entry_ids": entries, "tag_id": state.tag_id})

    # ----- after the last command ----------------------------------------------------------------
    def refresh_invoice(self, invoice_id: str) -> bool:
        """Mirror the invoice's new paidAmount/status (best effort: the poller catches up on failure)."""
        try:
            invoice = self.client.get_invoice(invoice_id)
        except BokioError as exc:
            log.info("outbox.invoice_refresh_skipped", invoice=invoice_id, error=str(exc))
            return False
        with self.sessions.begin() as session:
            repo.upsert(session, Invoice, self.company_id, [invoice])
        return True


def _already_deleted(claimed: Claimed) -> Outcome:
    what, bokio_id = payloads.deleted_target(claimed.kind, claimed.payload)
    return Outcome("done", result={"deleted": bokio_id}, deleted=((what, bokio_id),))


_SENDERS: dict[CommandKind, Callable[[Pusher, Claimed], Outcome]] = {
    CommandKind.RECORD_INVOICE: Pusher._record_invoice,
    CommandKind.CREATE_PAYMENT: Pusher._create_payment,
    CommandKind.RECORD_PAYMENT: Pusher._record_payment,
    CommandKind.CREATE_SETTLEMENT: Pusher._create_settlement,
    CommandKind.RECORD_SETTLEMENT: Pusher._record_settlement,
    CommandKind.TAG_JOURNAL_ENTRIES: Pusher._tag,
    CommandKind.DELETE_PAYMENT: Pusher._delete,
    CommandKind.DELETE_SETTLEMENT: Pusher._delete,
}
"""How each kind of command is sent: one request (tagging may first set up syncd's tag)."""
