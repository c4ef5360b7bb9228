"""Strict mode: every request body and response checked against the spec; mismatch = loud 500.

Only strict mode imports this module and, through it, the OpenAPI validator (the ``contract``
extra): the plain sandbox and ``syncd demo`` run on syncd's own dependencies.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from syncd.errors import ConfigError
from syncd.sandbox.errors import ApiError
from syncd.sandbox.response import SandboxResponse, error_response

CONTRACT_MODULES = ("yaml", "jsonschema", "openapi_schema_validator")


def require_validator() -> None:
    """Fail at start, not on the first request, when strict mode's validator is not installed."""
    missing = [name for name in CONTRACT_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"the sandbox's strict mode validates against Bokio's OpenAPI and needs {', '.join(missing)}: "
            "install syncd with its contract extra (pip install 'syncd[contract]') or drop --strict",
            key="strict",
        )


def check_request(
    violations: list[str], method: str, template: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """Raise a 500 ``sandbox-contract-violation`` if the client's request breaks the spec.

    Every violation is also appended to ``violations`` (the sandbox's record of them).
    """
    from syncd.sandbox import contract

    problems = contract.validate_request(
        method, template, body, headers.get("content-type", "application/json")
    )
    if problems:
        message = f"request {method} {template} violates Bokio's OpenAPI: " + "; ".join(problems)
        violations.append(message)
        raise ApiError(500, "sandbox-contract-violation", message)


def check_response(
    violations: list[str], method: str, template: str, response: SandboxResponse
) -> SandboxResponse:
    """Replace a spec-violating response by a 500 naming every problem (the sandbox's own bug)."""
    from syncd.sandbox import contract

    problems = contract.validate_response(method, template, response.status, response.body)
    if not problems:
        return response
    message = f"response {response.status} to {method} {template} violates Bokio's OpenAPI: " + "; ".join(
        problems
    )
    violations.append(message)
    return error_response(ApiError(500, "sandbox-contract-violation", message))
