"""The matcher: pure proposals of bank lines → invoice allocations (design §4)."""

from __future__ import annotations

from syncd.match.engine import propose
from syncd.match.explain import explain
from syncd.match.rules import MatchMemory, MatchRules, PayerAlias, rules_from_mapping

__all__ = ["MatchMemory", "MatchRules", "PayerAlias", "explain", "propose", "rules_from_mapping"]
