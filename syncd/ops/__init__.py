"""Operating the daemon: health and readiness, metrics, systemd notify, shutdown and locks.

Nothing here knows Bokio or the matcher; the scheduler wires these primitives to its jobs.
"""

from __future__ import annotations
