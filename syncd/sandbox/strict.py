"""Strict mode: every request body and response checked against the spec; mismatch = loud 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from syncd.sandbox import contract
from syncd.sandbox.errors import ApiError

if TYPE_CHECKING:
    from syncd.sandbox.core import Sandbox, SandboxResponse


def check_request(
    sandbox: Sandbox, method: str, template: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """Raise a 500 ``sandbox-contract-violation`` if the client's request breaks the spec."""
    problems = contract.validate_request(
        method, template, body, headers.get("content-type", "application/json")
    )
    if problems:
        message = f"request {method} {template} violates Bokio's OpenAPI: " + "; ".join(problems)
        sandbox.contract_violations.append(message)
        raise ApiError(500, "sandbox-contract-violation", message)


def check_response(
    sandbox: Sandbox, method: str, template: str, response: SandboxResponse
) -> SandboxResponse:
    """Replace a spec-violating response by a 500 naming every problem (the sandbox's own bug)."""
    problems = contract.validate_response(method, template, response.status, response.body)
    if not problems:
        return response
    message = f"response {response.status} to {method} {template} violates Bokio's OpenAPI: " + "; ".join(
        problems
    )
    sandbox.contract_violations.append(message)
    from syncd.sandbox.core import Sandbox as _Sandbox

    return _Sandbox._error(ApiError(500, "sandbox-contract-violation", message))
