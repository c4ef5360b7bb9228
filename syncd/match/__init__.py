"""The matcher: pure proposals of bank lines → invoice allocations (design §4).

Start-up: the engine and the rules are imported from their submodules on first use (PEP 562),
so a module that needs only :mod:`syncd.match.plan` (``syncd review show``) does not load the
engine. ``explain`` is imported at once: it is light, and a lazy name equal to its submodule's
would be shadowed by the submodule as soon as anything imported it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from syncd.match.explain import explain  # eager: the submodule has the function's name

if TYPE_CHECKING:
    from syncd.match.engine import propose
    from syncd.match.rules import MatchMemory, MatchRules, PayerAlias, rules_from_mapping

_LAZY = {
    "propose": "syncd.match.engine",
    "MatchMemory": "syncd.match.rules",
    "MatchRules": "syncd.match.rules",
    "PayerAlias": "syncd.match.rules",
    "rules_from_mapping": "syncd.match.rules",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule on first use (and keep it here)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = ["MatchMemory", "MatchRules", "PayerAlias", "explain", "propose", "rules_from_mapping"]
