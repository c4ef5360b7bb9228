"""Budget-aware incremental pull of Bokio into the mirror (issue 4): what to read, and when.

Owns the streams and their cursors and scans (:mod:`~syncd.pull.cursors`, :mod:`~syncd.pull.run`),
the invoice stream's change detection (:mod:`~syncd.pull.invoices`), dry-run estimates, spreading a
first pull over days, and the poll schedule. The mirror's tables, mapping, derived amounts, dirty
marks and company pauses are :mod:`syncd.mirror`'s. Built by the composition root
(``App.puller``); imports nothing above it.

Public API: :class:`Puller` (``pull``, ``pull_within_share``, ``sweep``, ``refresh_open_invoices``,
``refresh_invoices``, ``mark_dirty``, ``full_sweep_due``, ``pull_all``), :class:`PullConfig`,
:class:`PullReport`.
"""

from __future__ import annotations

from syncd.pull.puller import ClientFactory, Puller
from syncd.pull.report import STREAMS, PlannedCall, PullReport, RowCounts
from syncd.pull.run import PullConfig, PullProgress

__all__ = [
    "STREAMS",
    "ClientFactory",
    "PlannedCall",
    "PullConfig",
    "PullProgress",
    "PullReport",
    "Puller",
    "RowCounts",
]
