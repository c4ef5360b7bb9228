"""Bokio error bodies (reference §3.4) raised inside route handlers and rendered by the core."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    """One validation problem: ``field`` is a JSON pointer into the request body, ``#``-prefixed."""

    field: str
    message: str


@dataclass
class ApiError(Exception):
    """An error response with Bokio's body ``{code, message, bokioErrorId, errors}``.

    ``body=False`` renders no body at all (Bokio's 401, and optionally 403/429).
    """

    status: int
    code: str
    message: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bool = True
    raw_body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def to_body(self) -> dict[str, Any] | None:
        if self.raw_body is not None:
            return self.raw_body
        if not self.body:
            return None
        return {
            "code": self.code,
            "message": self.message,
            "bokioErrorId": str(uuid.uuid4()),
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }


def not_found(resource: str, value: str) -> ApiError:
    """404 with Bokio's message pattern."""
    return ApiError(404, "not-found", f"The requested resource {resource} with value {value} was not found")


def not_allowed(message: str) -> ApiError:
    """400 ``operation-not-allowed`` (draft-only guards and the like)."""
    return ApiError(400, "operation-not-allowed", message)


def validation(errors: list[FieldError], message: str | None = None) -> ApiError:
    """400 ``validation-error`` carrying every field error at once."""
    text = message or f"Validation failed with {len(errors)} error{'s' if len(errors) != 1 else ''}"
    return ApiError(400, "validation-error", text, errors=list(errors))


def cannot_act(resource: str, value: str) -> ApiError:
    """400 that Bokio returns from record endpoints on something not recordable."""
    return ApiError(400, "validation-error", f"Action cannot be performed on {resource} with value {value}")


def internal_error() -> ApiError:
    """500 ``internal-server-error``: what Bokio answers when its own code fails (reference §3.4)."""
    return ApiError(500, "internal-server-error", "An unexpected error occurred")


# The messages of the spec's 403 examples, per feature; another feature gets the Tags pattern.
FEATURE_MESSAGES = {
    "Tags": "This feature requires the Tags add-on",
    "PublicApi": "This feature requires Integrations (API) or a Plus plan",
}


def price_plan_required(feature: str = "Tags") -> ApiError:
    """403 with the price-plan body shape, which differs from apiError (reference §3.4)."""
    message = FEATURE_MESSAGES.get(feature, f"This feature requires the {feature} add-on")
    return ApiError(
        403,
        "price_plan_feature_required",
        message,
        raw_body={
            "error": "price_plan_feature_required",
            "message": message,
            "details": {
                "requiredFeature": feature,
                "availableIn": ["Plus", "Business"],
                "availableAsAddonIn": ["Premium"],
                "isAvailableInTrial": True,
                "isInTrial": False,
            },
        },
    )
