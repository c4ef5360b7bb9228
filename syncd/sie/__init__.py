"""SIE 4, the Swedish accounting export: a pure reader (:mod:`.reader`) and a JSON view of it."""

from __future__ import annotations

from syncd.sie.reader import FiscalYearRange, Row, SieError, SieFile, Voucher, parse
from syncd.sie.render import render_json

__all__ = ["FiscalYearRange", "Row", "SieError", "SieFile", "Voucher", "parse", "render_json"]
