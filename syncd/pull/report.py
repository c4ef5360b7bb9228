"""What a pull did (or, for a dry run, would do), per stream."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from syncd.mirror.repo import UpsertCounts

STREAMS = ("company", "accounts", "fiscal_years", "tag_groups", "customers", "invoices", "credit_notes")
"""Streams in pull order; payments and settlements are children of ``invoices``."""

REFERENCE_STREAMS = frozenset({"company", "accounts", "fiscal_years", "tag_groups"})
"""Rarely-changing data: pulled on full sweeps or when never pulled, else no budget spent."""


@dataclass
class RowCounts:
    """Rows written per outcome for one stream."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, counts: UpsertCounts, deleted: int = 0) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.deleted += deleted

    @property
    def written(self) -> int:
        return self.inserted + self.updated + self.deleted


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """A dry run's estimate: ``count`` calls of ``method path`` and why."""

    stream: str
    method: str
    path: str
    count: int
    why: str

    def describe(self) -> str:
        return f"{self.method} {self.path} ~{self.count} request(s): {self.why}"


@dataclass
class PullReport:
    """Requests made and rows touched per stream, problems, and whether the company is paused."""

    company: str
    full: bool = False
    dry_run: bool = False
    requests: dict[str, int] = field(default_factory=dict)
    rows: dict[str, RowCounts] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    paused_until: dt.datetime | None = None
    pause_kind: str | None = None
    """Why the company is paused (``syncd.mirror.pauses.PauseKind``), when it is."""
    resumed: str | None = None
    """Set when this pull found a pause over (the token works again) and went on."""
    skipped: str | None = None
    planned: list[PlannedCall] = field(default_factory=list)
    capped: bool = False
    """The pull stopped at its request cap (a first pull spread over days); the next one resumes."""
    first_pull: str | None = None
    """A spread first pull's progress: ``first pull in progress: N of about M requests done``."""

    @property
    def paused(self) -> bool:
        return self.paused_until is not None

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def rows_for(self, stream: str) -> RowCounts:
        return self.rows.setdefault(stream, RowCounts())

    def count_request(self, stream: str) -> None:
        self.requests[stream] = self.requests.get(stream, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "full": self.full,
            "dry_run": self.dry_run,
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "rows": {
                name: {
                    "inserted": c.inserted,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "deleted": c.deleted,
                }
                for name, c in self.rows.items()
            },
            "problems": list(self.problems),
            "paused": self.paused,
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
            "pause_kind": self.pause_kind,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "capped": self.capped,
            "first_pull": self.first_pull,
            "planned": [
                {"stream": p.stream, "method": p.method, "path": p.path, "count": p.count, "why": p.why}
                for p in self.planned
            ],
            "planned_total": sum(p.count for p in self.planned),
        }
