"""What the sandbox answers, and how a Bokio error becomes an answer (shared by core, admin, strict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncd.sandbox import jsonutil
from syncd.sandbox.errors import ApiError
from syncd.sandbox.faults import Gate


@dataclass
class SandboxResponse:
    """What the sandbox answers; ``fault`` is ``"drop"`` or ``"hang"`` for the adapter to act on.

    ``gate`` is set on a gated hang: an HTTP adapter keeps the connection silent until the
    gate's write was applied (or ``fault_seconds``), then closes it.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    fault_seconds: float = 0.0
    gate: Gate | None = None

    def json(self) -> Any:
        return jsonutil.loads(self.body) if self.body else None


def error_response(error: ApiError) -> SandboxResponse:
    """Bokio's error body (or none, as on its 401) with the error's headers."""
    body = error.to_body()
    headers = dict(error.headers)
    if body is not None:
        headers["Content-Type"] = "application/json; charset=utf-8"
    return SandboxResponse(error.status, headers, b"" if body is None else jsonutil.dumps(body))


def json_response(status: int, payload: Any) -> SandboxResponse:
    """A plain JSON answer (the admin routes)."""
    return SandboxResponse(status, {"Content-Type": "application/json"}, jsonutil.dumps(payload))
