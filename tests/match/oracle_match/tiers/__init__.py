"""The matching tiers, strongest key first; each returns an Outcome or None to pass the line on."""

from __future__ import annotations

from collections.abc import Callable

from oracle_match.book import Book
from oracle_match.context import LineView, Outcome, RunContext

TierFn = Callable[[LineView, Book, RunContext], Outcome | None]
