"""Budget-aware incremental mirror of Bokio (issue 4).

Public API: :class:`Puller` (``pull``, ``refresh_open_invoices``, ``refresh_invoices``,
``mark_dirty``, ``full_sweep_due``, ``pull_all``), :func:`pull_company`, :func:`mark_dirty`
(for a caller's open transaction), :class:`PullConfig`, :class:`PullReport`.
"""

from __future__ import annotations

from syncd.pull.puller import Puller, pull_company
from syncd.pull.report import STREAMS, PlannedCall, PullReport, RowCounts
from syncd.pull.run import PullConfig, PullProgress
from syncd.pull.store import mark_dirty

__all__ = [
    "STREAMS",
    "PlannedCall",
    "PullConfig",
    "PullProgress",
    "PullReport",
    "Puller",
    "RowCounts",
    "mark_dirty",
    "pull_company",
]
