"""A first pull (or full sweep) too big for one day, spread over days within the budget.

``syncd pull`` asks for ``--yes`` when a first pull is estimated above :data:`DAY_SHARE` of the
month's requests; the daemon cannot ask, so it spends at most that share a day on it. The pull
is resumable page by page, so each day's part stops cleanly at its cap and the next day's part
resumes the scans where they stopped. What was estimated, what is done and what today has spent
are kept in the ``invoices`` stream's cursor (``spread``), for the log and ``syncd status``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.mirror.syncstate import peek_state, set_cursor, state
from syncd.mirror.tables import Company

DAY_SHARE = 0.10
"""At most this share of the month's requests a day on a first pull (``syncd pull``'s ``--yes`` line)."""

ESTIMATE_RESERVE = 12
"""Requests kept back from a first pull's first day for the estimate made if it reaches its cap
(a few sampled pages of each listing: see :data:`syncd.pull.dryrun.SAMPLE_PAGES`)."""

STREAM = "invoices"
"""The stream whose cursor keeps the spread's record."""


@dataclass(frozen=True, slots=True)
class Spread:
    """A first pull under way: its estimate, the requests done, and today's share spent."""

    estimate: int
    done: int
    day: dt.date
    today: int
    full: bool = False

    def on(self, day: dt.date) -> Spread:
        """The record as of ``day`` (a new day starts with nothing spent)."""
        return self if day == self.day else replace(self, day=day, today=0)

    def spent(self, requests: int) -> Spread:
        return replace(self, done=self.done + requests, today=self.today + requests)

    def describe(self) -> str:
        kind = "full sweep" if self.full else "first pull"
        return f"{kind} in progress: {self.done} of about {self.estimate} requests done"

    def to_json(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "done": self.done,
            "day": self.day.isoformat(),
            "today": self.today,
            "full": self.full,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spread:
        return cls(
            estimate=int(data["estimate"]),
            done=int(data["done"]),
            day=dt.date.fromisoformat(str(data["day"])),
            today=int(data["today"]),
            full=bool(data.get("full", False)),
        )


def load(session: Session, bokio_company_id: str) -> Spread | None:
    """The company's spread first pull, if one is under way."""
    pk = session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_company_id))
    row = peek_state(session, pk, STREAM) if pk is not None else None
    data = (row.cursor or {}).get("spread") if row is not None else None
    return Spread.from_json(data) if data else None


def save(session: Session, company_pk: int, spread: Spread | None) -> None:
    """Keep (or, with None, forget) the record, in the caller's transaction."""
    set_cursor(state(session, company_pk, STREAM), spread=spread.to_json() if spread else None)
