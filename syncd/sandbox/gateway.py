"""Where a request enters: ``/_sandbox`` paths go to the admin routes, everything else to Bokio's API.

Both adapters (the in-process :mod:`.transport` and the HTTP :mod:`.server`) call :func:`answer`,
so :mod:`.core` never needs to know the admin routes that sit above it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from syncd.sandbox.admin import handle_admin
from syncd.sandbox.core import Sandbox
from syncd.sandbox.errors import internal_error
from syncd.sandbox.response import SandboxResponse, error_response

_log = logging.getLogger(__name__)

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
    """Answer one request as Bokio (or, under ``/_sandbox``, as the sandbox's admin) would.

    Whatever fails outside a handler (which the core already answers with a 500) is a JSON 500
    in Bokio's error shape too: a client must never see a dropped connection it did not script.
    """
    try:
        if path.startswith(ADMIN_PREFIX):
            return handle_admin(sandbox, method.upper(), path, dict(query or {}), body)
        return sandbox.handle(method, path, query, headers, body)
    except Exception:  # noqa: BLE001 - logged, and answered as Bokio answers its own failures
        _log.exception("sandbox request %s %s failed", method, path)
        return error_response(internal_error())
