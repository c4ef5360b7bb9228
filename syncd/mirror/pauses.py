"""Company pauses: why syncd stopped calling Bokio for a company, until when, and how it ends.

A pause has a kind, a reason (Bokio's answer) and an until-time, stored on ``companies``:

- ``auth``: 401, or a 403 for a missing scope on a write; the token must be fixed. Every pull
  tick re-checks it with one cheap, budget-counted call (company information), so a fixed token
  resumes at the next tick without anyone touching the database;
- ``quota``: 403 quota-exceeded; until Bokio's ``Retry-After`` (else an hour);
- ``rate``: 429s the client could not wait out; until ``Retry-After``;
- ``plan``: the price plan lacks a feature a write needs (tagging has its own switch instead);
- ``bokio_down``: Bokio answered 5xx or not at all to a pull; a short pause, then retried.

A pause whose until-time has passed ends by itself; ``syncd companies resume ID`` ends one at once.
Pull and outbox both read and set pauses, so they live below both, in the mirror (the
``companies`` table); making the commands a pause parked due again is the outbox's
(:mod:`syncd.outbox.wake`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syncd.bokio.errors import (
    AuthError,
    BokioError,
    ForbiddenError,
    PricePlanRequiredError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from syncd.logging import get_logger
from syncd.mirror.tables import Company

log = get_logger(__name__)

DEFAULT_PAUSE = dt.timedelta(hours=1)
DOWN_PAUSE = dt.timedelta(minutes=5)
RATE_PAUSE = dt.timedelta(minutes=1)


class PauseKind(StrEnum):
    """Why a company is paused; each kind has its own fix."""

    AUTH = "auth"
    QUOTA = "quota"
    RATE = "rate"
    PLAN = "plan"
    BOKIO_DOWN = "bokio_down"


FIXES: dict[PauseKind, str] = {
    PauseKind.AUTH: "fix the token (or its scopes) in the configuration; the next pull re-checks it "
    "and resumes, or run `syncd companies resume {company}`",
    PauseKind.QUOTA: "wait for Bokio's quota to reset (the pause ends by itself), or raise the "
    "integration's quota with Bokio",
    PauseKind.RATE: "nothing: the pause ends by itself; if it recurs, lower [daemon] workers",
    PauseKind.PLAN: "upgrade the company's Bokio price plan, then run `syncd companies resume {company}`",
    PauseKind.BOKIO_DOWN: "nothing: syncd retries when the pause ends; "
    "check Bokio's status page if it recurs",
}


@dataclass(frozen=True, slots=True)
class Pause:
    """One company's pause as stored."""

    kind: PauseKind
    reason: str
    until: dt.datetime
    since: dt.datetime | None = None

    def describe(self) -> str:
        return f"paused ({self.kind.value}) until {self.until.isoformat()}: {self.reason}"

    def fix(self, company: str) -> str:
        return FIXES[self.kind].format(company=company)

    def to_json(self, company: str) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "reason": self.reason,
            "until": self.until.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "fix": self.fix(company),
        }


def pause_for(exc: BokioError, now: dt.datetime) -> Pause | None:  # noqa: PLR0911 - a flat table
    """The pause a Bokio error means for the whole company, or None when it concerns one request."""
    if isinstance(exc, QuotaExceededError):
        wait = dt.timedelta(seconds=exc.retry_after) if exc.retry_after else DEFAULT_PAUSE
        return Pause(PauseKind.QUOTA, f"quota exceeded: {exc}", now + wait, now)
    if isinstance(exc, AuthError):
        return Pause(PauseKind.AUTH, f"token refused: {exc}", now + DEFAULT_PAUSE, now)
    if isinstance(exc, PricePlanRequiredError):
        return Pause(PauseKind.PLAN, f"price plan lacks a feature: {exc}", now + DEFAULT_PAUSE, now)
    if isinstance(exc, ForbiddenError):
        return Pause(PauseKind.AUTH, f"token lacks a scope: {exc}", now + DEFAULT_PAUSE, now)
    if isinstance(exc, RateLimitedError):
        wait = dt.timedelta(seconds=exc.retry_after) if exc.retry_after else RATE_PAUSE
        return Pause(PauseKind.RATE, f"rate limited: {exc}", now + wait, now)
    if isinstance(exc, ServerError | TransportError):
        return Pause(PauseKind.BOKIO_DOWN, f"Bokio unavailable: {exc}", now + DOWN_PAUSE, now)
    return None


def current(company: Company | None, now: dt.datetime) -> Pause | None:
    """The company's pause in force at ``now`` (an expired one is no pause)."""
    if company is None or company.paused_until is None or company.paused_until <= now:
        return None
    return Pause(
        _kind(company.pause_kind), company.pause_reason or "", company.paused_until, company.paused_at
    )


def _kind(stored: str | None) -> PauseKind:
    """A stored kind (older rows may have none, or one this version does not know: quota)."""
    try:
        return PauseKind(stored or PauseKind.QUOTA)
    except ValueError:
        return PauseKind.QUOTA


def lookup(session: Session, bokio_id: str, now: dt.datetime) -> Pause | None:
    """The pause in force for a company by its Bokio id."""
    return current(session.scalar(select(Company).where(Company.bokio_company_id == bokio_id)), now)


def set_pause(session: Session, company_pk: int, pause: Pause, *, company: str = "") -> None:
    """Store a pause (replacing any other) and say so in the log."""
    session.execute(
        update(Company)
        .where(Company.id == company_pk)
        .values(
            paused_until=pause.until,
            pause_reason=pause.reason[:500],
            pause_kind=pause.kind.value,
            paused_at=pause.since,
        )
    )
    log.warning(
        "company.paused",
        company=company or company_pk,
        kind=pause.kind.value,
        until=pause.until.isoformat(),
        reason=pause.reason,
    )


def clear(session: Session, company_pk: int, *, company: str = "", why: str = "") -> Pause | None:
    """End the company's pause; returns the pause that was stored (expired or not), else None.

    Whoever clears a pause early also makes the commands it parked due
    (:func:`syncd.outbox.wake.wake_parked`); the mirror knows nothing of the outbox.
    """
    row = session.get(Company, company_pk)
    if row is None or row.paused_until is None:
        return None
    ended = Pause(_kind(row.pause_kind), row.pause_reason or "", row.paused_until, row.paused_at)
    row.paused_until, row.pause_reason, row.pause_kind, row.paused_at = None, None, None, None
    log.info("company.resumed", company=company or company_pk, kind=ended.kind.value, why=why)
    return ended
