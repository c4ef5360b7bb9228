"""Where a request enters: ``/_sandbox`` paths go to the admin routes, everything else to Bokio's API.

Both adapters (the in-process :mod:`.transport` and the HTTP :mod:`.server`) call :func:`answer`,
so :mod:`.core` never needs to know the admin routes that sit above it.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncd.sandbox.admin import handle_admin
from syncd.sandbox.core import Sandbox
from syncd.sandbox.response import SandboxResponse

ADMIN_PREFIX = "/_sandbox"


def answer(
    sandbox: Sandbox,
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> SandboxResponse:
    """Answer one request as Bokio (or, under ``/_sandbox``, as the sandbox's admin) would."""
    if path.startswith(ADMIN_PREFIX):
        return handle_admin(sandbox, method.upper(), path, dict(query or {}), body)
    return sandbox.handle(method, path, query, headers, body)
