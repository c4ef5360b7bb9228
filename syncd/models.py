"""Imports every table module so ``Base.metadata`` is complete (Alembic, ``db check``)."""

from __future__ import annotations

from syncd.allocations import tables as allocation_tables
from syncd.audit import tables as audit_tables
from syncd.calibration import tables as calibration_tables
from syncd.ingest import tables as ingest_tables
from syncd.mirror import tables as mirror_tables
from syncd.outbox import tables as outbox_tables

__all__ = [
    "allocation_tables",
    "audit_tables",
    "calibration_tables",
    "ingest_tables",
    "mirror_tables",
    "outbox_tables",
]
