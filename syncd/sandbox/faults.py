"""Scriptable faults: for the next N requests matching (method, path pattern), misbehave.

Kinds:

- ``status``: answer ``status`` (5xx by default) without touching state; 429/503 carry ``Retry-After``.
- ``rate_limit``: a 429 ``rate-limit-exceeded`` with ``Bokio-RateLimit-RetryAfter``.
- ``latency``: sleep ``seconds`` (while counted in flight), then handle normally.
- ``hang``: the client should see a timeout; with ``apply=True`` the request is applied first.
- ``drop``: commit then drop -- the write is applied, the client gets a transport error.

Patterns are :mod:`fnmatch` globs matched against the path after ``/v1`` (e.g.
``/companies/*/invoices/*/payments``) *or* the route template (``…/{invoiceId}/payments``).
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

FaultKind = Literal["status", "rate_limit", "latency", "hang", "drop"]
KINDS: tuple[str, ...] = ("status", "rate_limit", "latency", "hang", "drop")


@dataclass
class Fault:
    """One scripted misbehaviour; ``times`` counts down as matching requests consume it."""

    kind: FaultKind
    path: str = "*"
    method: str | None = None
    times: int = 1
    status: int = 503
    retry_after: float = 1.0
    seconds: float = 0.0
    apply: bool = False

    def matches(self, method: str, path: str, template: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(template, self.path)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; float knobs become Decimal (the sandbox never renders floats)."""
        return {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build from the admin route's JSON; unknown keys or kinds raise ValueError."""
        if data.get("kind") not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        floats = {k: float(v) for k, v in data.items() if k in ("retry_after", "seconds")}
        return cls(**{**data, **floats})


class FaultPlan:
    """Ordered, thread-safe list of faults; the first match is consumed."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def inject(self, kind: FaultKind, path: str = "*", **options: Any) -> Fault:
        """Shorthand: ``plan.inject("drop", "/companies/*/invoices/*/payments", method="POST")``."""
        return self.add(Fault(kind=kind, path=path, **options))

    def take(self, method: str, path: str, template: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path, template):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
