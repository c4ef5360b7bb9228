"""Imports every table module so ``Base.metadata`` is complete (Alembic, ``db check``)."""

from __future__ import annotations

from syncd.mirror import tables as mirror_tables

__all__ = ["mirror_tables"]
