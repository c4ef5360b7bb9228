"""Scriptable faults: for the next N requests matching (method, path pattern), misbehave.

Kinds:

- ``status``: answer ``status`` (5xx by default) without touching state; 429/503 carry ``Retry-After``.
- ``rate_limit``: a 429 ``rate-limit-exceeded`` with ``Bokio-RateLimit-RetryAfter``.
- ``latency``: sleep ``seconds`` (while counted in flight), then handle normally.
- ``hang``: the client should see a timeout; with ``apply=True`` the request is applied first.
- ``drop``: commit then drop -- the write is applied, the client gets a transport error.

``skip=N`` lets the first N matching requests through untouched ("hold the 5th write").

Gates: "Bokio is still processing", deterministically
------------------------------------------------------
A fault with ``gate="name"`` holds its request at the gate :meth:`FaultPlan.gate` returns, still
counted in flight (so a second write to the same path gets Bokio's concurrency 429), until the
test opens it. ``Gate.held`` is set when a request reaches the gate and ``Gate.done`` once it was
applied, so a test waits for events instead of racing a sleep:

- ``latency`` + gate: the handling thread waits for the gate, then applies and answers. Over
  HTTP the client may long have timed out or died: the write still lands, later.
- ``hang`` + gate: the client sees a timeout at once (in-process: ``ReadTimeout``; over HTTP
  the server stays silent and closes without an answer), and the write is applied when the
  gate opens, by the thread that opens it. Works in-process without threads.

A gate nobody opens lets a waiting thread go after ``seconds`` (or :data:`GATE_LIMIT_S`); a
parked ``hang`` write is then still applied when the gate opens, and dropped by ``clear()``.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

FaultKind = Literal["status", "rate_limit", "latency", "hang", "drop"]
KINDS: tuple[str, ...] = ("status", "rate_limit", "latency", "hang", "drop")
GATE_LIMIT_S = 300.0


class Gate:
    """Where gated requests wait; ``open()`` releases them and runs the writes parked here."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.held = threading.Event()
        self.done = threading.Event()
        self._open = threading.Event()
        self._parked: list[tuple[Callable[[], None], Callable[[], None]]] = []
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    def arrive(self) -> None:
        """A request reached the gate."""
        self.held.set()

    def wait(self, limit_s: float) -> bool:
        """Block until the gate opens (True) or ``limit_s`` passed (False)."""
        return self._open.wait(limit_s)

    def park(self, apply: Callable[[], None], abandon: Callable[[], None]) -> None:
        """Run ``apply`` when the gate opens (at once if it is open already); ``abandon`` if the
        gate is discarded first."""
        with self._lock:
            if not self._open.is_set():
                self._parked.append((apply, abandon))
                return
        apply()

    def open(self) -> None:
        """Let held requests go; parked writes are applied now, in this thread."""
        with self._lock:
            self._open.set()
            parked, self._parked = self._parked, []
        for apply, _ in parked:
            apply()

    def discard(self) -> None:
        """Drop parked writes (never applied) and release waiting threads (faults cleared)."""
        with self._lock:
            parked, self._parked = self._parked, []
            self._open.set()
        for _, abandon in parked:
            abandon()

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            parked = len(self._parked)
        return {
            "name": self.name,
            "held": self.held.is_set(),
            "open": self.is_open,
            "done": self.done.is_set(),
            "parked": parked,
        }


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
    gate: str | None = None
    skip: int = 0

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
        ints = {k: int(v) for k, v in data.items() if k in ("times", "status", "skip")}
        return cls(**{**data, **floats, **ints})


class FaultPlan:
    """Ordered, thread-safe list of faults; the first match is consumed."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._gates: dict[str, Gate] = {}
        self._lock = threading.Lock()

    def gate(self, name: str) -> Gate:
        """The gate called ``name`` (created on first use, by the test or by a request)."""
        with self._lock:
            gate = self._gates.get(name)
            if gate is None:
                gate = self._gates[name] = Gate(name)
            return gate

    def gates(self) -> list[Gate]:
        with self._lock:
            return list(self._gates.values())

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
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Forget every fault and gate; threads waiting at a gate are let go, parked writes dropped."""
        with self._lock:
            self._faults.clear()
            gates, self._gates = list(self._gates.values()), {}
        for gate in gates:
            gate.discard()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
