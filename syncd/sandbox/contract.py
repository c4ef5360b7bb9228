"""Validate requests and responses against Bokio's published OpenAPI 3.0.3 files.

The spec is located via ``SYNCD_BOKIO_OPENAPI`` (company file; the general file is looked up next
to it) or ``<repo>/../shared/reference/``. Request bodies are checked with readOnly properties
*allowed but not required* (clients PUT back what they GET); responses with OAS 3.0 read rules.
Formats are not enforced (the spec uses non-standard ones like ``country``, ``decimal``).

One spec bug is patched on load: settlement details declare ``discriminator.propertyName: reason``,
a property that never exists in the payload (reference §17); such discriminators are dropped and
the plain ``oneOf`` decides.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import validators
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

from syncd.sandbox import jsonutil

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
COMPANY_FILE = "bokio-openapi-company.yaml"
GENERAL_FILE = "bokio-openapi-general.yaml"

_WriteTolerant = validators.extend(  # type: ignore[no-untyped-call]  # OAS30WriteValidator is untyped
    OAS30WriteValidator, {"readOnly": lambda *_args: None}
)


def spec_paths() -> tuple[Path, Path]:
    """(company, general) spec file paths."""
    company = Path(os.environ.get("SYNCD_BOKIO_OPENAPI", REFERENCE / COMPANY_FILE))
    return company, company.with_name(GENERAL_FILE)


def spec_available() -> bool:
    return spec_paths()[0].is_file()


class ContractError(AssertionError):
    """A request or response does not match the published spec."""


@dataclass(frozen=True)
class Operation:
    """One spec operation with its components for ``$ref`` resolution."""

    template: str
    method: str
    spec: dict[str, Any]
    root: dict[str, Any]


def _drop_bogus_discriminators(node: Any) -> None:
    if isinstance(node, dict):
        disc = node.get("discriminator")
        if isinstance(disc, dict) and disc.get("propertyName") == "reason":
            del node["discriminator"]
        for value in node.values():
            _drop_bogus_discriminators(value)
    elif isinstance(node, list):
        for value in node:
            _drop_bogus_discriminators(value)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    _drop_bogus_discriminators(spec)
    return spec


def load_specs() -> list[dict[str, Any]]:
    """Both spec files, parsed and patched (cached)."""
    return [_load(str(p)) for p in spec_paths() if p.is_file()]


def operation(method: str, template: str) -> Operation | None:
    """The spec operation for a sandbox route template (relative to ``/v1``)."""
    for spec in load_specs():
        ops = spec.get("paths", {}).get(template)
        if ops and method.lower() in ops:
            return Operation(template, method.upper(), ops[method.lower()], spec)
    return None


def _schema(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "components": root.get("components", {})}


def _errors(validator_cls: Any, root: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    validator = validator_cls(_schema(root, schema))
    found = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        pointer = "#/" + "/".join(str(p) for p in error.absolute_path)
        found.append(f"{pointer}: {error.message[:300]}")
    return found


def _plain(body: bytes | Any) -> Any:
    if isinstance(body, bytes | str):
        return jsonutil.to_plain(jsonutil.loads(body)) if body else None
    return jsonutil.to_plain(body)


def validate_request(
    method: str, template: str, body: bytes | Any, content_type: str = "application/json"
) -> list[str]:
    """Problems with a request body (empty list = fine, or no schema to check)."""
    op = operation(method, template)
    if op is None:
        return [f"{method} {template} is not in the published spec"]
    content = op.spec.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    if media is None or "json" not in content_type:
        return []
    if not body and op.spec.get("requestBody", {}).get("required"):
        return ["request body is required"]
    try:
        instance = _plain(body)
    except ValueError as exc:
        return [f"request body is not JSON: {exc}"]
    return _errors(_WriteTolerant, op.root, media["schema"], instance)


def validate_response(method: str, template: str, status: int, body: bytes | Any) -> list[str]:
    """Problems with a response; undocumented statuses (401, 429, ...) are not checked."""
    op = operation(method, template)
    if op is None:
        return [f"{method} {template} is not in the published spec"]
    documented = op.spec.get("responses", {}).get(str(status))
    if documented is None:
        return [] if status in (401, 403, 429, 500, 502, 503, 504) else [f"status {status} is not documented"]
    content = documented.get("content", {})
    media = content.get("application/json")
    if media is None:
        if content:  # a file (application/octet-stream): the bytes have no schema to check
            return [] if body else ["the spec documents a file but the body is empty"]
        return ["a body was sent where the spec documents none"] if body else []
    try:
        instance = _plain(body)
    except ValueError as exc:
        return [f"response body is not JSON: {exc}"]
    return _errors(OAS30ReadValidator, op.root, media["schema"], instance)


def spec_templates() -> set[tuple[str, str]]:
    """Every (METHOD, template) in the loaded specs."""
    return {
        (method.upper(), path)
        for spec in load_specs()
        for path, ops in spec.get("paths", {}).items()
        for method in ops
        if re.fullmatch(r"get|put|post|delete|patch", method)
    }
