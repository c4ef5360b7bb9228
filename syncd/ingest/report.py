"""What an import did, for people (CLI lines, ``.error.txt``) and machines (``--json``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from syncd.bankfiles import Problem

_HINTS = (
    ("unrecognised file format", "if it is a bank CSV export without a preset, import it with --format"),
    ("needs a csv_mapping", "configure a column mapping for this CSV layout"),
    ("over the limit", "split the file, or raise the size limit if it is genuine"),
    ("truncated", "download the file again from the bank; it was cut short"),
    ("sum to", "the totals do not add up: download the file again, or ask the bank"),
    ("deposit says", "the totals do not add up: download the file again, or ask the bank"),
    ("test file", "this is a bank test file; import the production file instead"),
    ("unsafe XML", "the file contains a DTD or entities, which banks never send; do not trust it"),
    ("database refused", "two items in the file share an id, or a value is out of range; ask the bank"),
)


class ImportStatus(enum.StrEnum):
    """What happened to a file; FAILED (inbox only) means an internal error left it for the next scan."""

    IMPORTED = "imported"
    DUPLICATE_FILE = "duplicate_file"
    QUARANTINED = "quarantined"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    """The outcome of importing one file (under ``dry_run``: what the import would do)."""

    file: str
    format: str | None
    status: ImportStatus
    added: int = 0
    already_known: int = 0
    possible_duplicates: int = 0
    linked_batches: int = 0
    payouts: int = 0
    payouts_known: int = 0
    charges: int = 0
    problems: tuple[Problem, ...] = ()
    error: str | None = None
    error_location: str | None = None
    hint: str | None = None
    content_hash: str = ""
    bank_file_id: int | None = None
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (problems as objects, status by value)."""
        return {
            "file": self.file,
            "format": self.format,
            "status": self.status.value,
            "added": self.added,
            "already_known": self.already_known,
            "possible_duplicates": self.possible_duplicates,
            "linked_batches": self.linked_batches,
            "payouts": self.payouts,
            "payouts_known": self.payouts_known,
            "charges": self.charges,
            "problems": [problem_json(p) for p in self.problems],
            "error": self.error,
            "error_location": self.error_location,
            "hint": self.hint,
            "content_hash": self.content_hash,
            "bank_file_id": self.bank_file_id,
            "dry_run": self.dry_run,
        }


def hint_for(reason: str) -> str | None:
    """How to fix a refusal, when it is obvious from the reason."""
    return next((hint for needle, hint in _HINTS if needle in reason), None)


def problem_json(problem: Problem) -> dict[str, str]:
    """A parser problem as JSON."""
    return {"location": problem.location, "message": problem.message, "severity": problem.severity.value}
