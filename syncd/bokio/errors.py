"""Bokio errors, classified by what the caller should do.

Every class extends one family of :mod:`syncd.errors` (where the whole tree is drawn, once) and
:class:`BokioError`, which carries Bokio's fields (``code``, ``bokio_error_id``, field errors) for
logs and for the outbox's ``failed`` state. The families are disjoint: an outcome that may have
happened (:class:`OutcomeUnknownError`, an :class:`~syncd.errors.UncertainError`) is not a
retriable error, so no ``except RetriableError`` can ever re-send it.

403 is overloaded by Bokio: the body's ``code: quota-exceeded`` (or a ``Retry-After`` header on a
body-less 403) means quota, ``error: price_plan_feature_required`` means plan, anything else is
taken as a missing scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncd.errors import FatalError, RetriableError, SkippableError, SyncdError, UncertainError


@dataclass(frozen=True)
class FieldError:
    """One validation error; ``field`` is Bokio's JSON pointer, e.g. ``#/lineItems/0/taxRate``."""

    field: str
    message: str


@dataclass(frozen=True)
class ErrorContext:
    """Where an error happened; never contains a token."""

    company_id: str | None = None
    method: str | None = None
    path: str | None = None
    path_template: str | None = None
    status: int | None = None
    code: str | None = None
    bokio_error_id: str | None = None
    field_errors: tuple[FieldError, ...] = ()
    body: dict[str, Any] = field(default_factory=dict)


class BokioError(SyncdError):
    """Mixin-style base carrying :class:`ErrorContext` as attributes."""

    def __init__(
        self, message: str, *, context: ErrorContext | None = None, retry_after: float | None = None
    ) -> None:
        ctx = context or ErrorContext()
        self.context = ctx
        self.company_id = ctx.company_id
        self.method = ctx.method
        self.path = ctx.path
        self.path_template = ctx.path_template
        self.status = ctx.status
        self.code = ctx.code
        self.bokio_error_id = ctx.bokio_error_id
        self.field_errors = ctx.field_errors
        self.retry_after = retry_after
        where = " ".join(p for p in (ctx.method or "", ctx.path or "") if p)
        details = [f"status {ctx.status}" if ctx.status else "", ctx.code or ""]
        if ctx.bokio_error_id:
            details.append(f"bokioErrorId {ctx.bokio_error_id}")
        if ctx.company_id:
            details.append(f"company {ctx.company_id}")
        suffix = ", ".join(d for d in details if d)
        text = f"{where}: {message}" if where else message
        Exception.__init__(self, f"{text} ({suffix})" if suffix else text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class RateLimitedError(BokioError, RetriableError):
    """429 rate-limit-exceeded; Bokio rejected the request before acting, so resending is safe."""


class ConcurrencyLimitError(RateLimitedError):
    """429 concurrency-limit-exceeded; another write to the same (method, path) was in flight."""


class QuotaExceededError(BokioError, RetriableError):
    """403 quota-exceeded (monthly or failed-request quota); pause the company until ``retry_after``."""


class ServerError(BokioError, RetriableError):
    """5xx answer to a read; the read can be repeated."""


class TransportError(BokioError, RetriableError):
    """No usable answer to a read, or a write that provably never left this process."""


class OutcomeUnknownError(BokioError, UncertainError):
    """A write was sent but no trustworthy answer came back (timeout, reset, 5xx, deadline).

    Bokio may or may not have applied it. Resolve by reading the invoice's payments/settlements
    before anything is sent again; never resend blindly (Bokio has no idempotency keys).
    """


class AuthError(BokioError, FatalError):
    """401, or a token that cannot be obtained; fix or re-issue the token."""


class OAuthError(AuthError):
    """The OAuth server said no (``error`` / ``error_description``), or the callback ``state`` is wrong."""

    def __init__(
        self, message: str, *, error: str | None = None, context: ErrorContext | None = None
    ) -> None:
        self.error = error
        super().__init__(message, context=context)


class ForbiddenError(BokioError, FatalError):
    """403 that is not a quota: the token lacks the scope; grant it in Bokio."""


class PricePlanRequiredError(ForbiddenError):
    """403 ``price_plan_feature_required``; the company's plan lacks ``required_feature``."""

    @property
    def required_feature(self) -> str | None:
        details = self.context.body.get("details")
        if isinstance(details, dict):
            value = details.get("requiredFeature")
            return str(value) if value is not None else None
        return None


class NotFoundError(BokioError, FatalError):
    """404: the company or resource does not exist (or is not visible to this token)."""


class BadRequestError(BokioError, FatalError):
    """A 4xx Bokio will answer the same way every time; fix the request."""


class ValidationError(BadRequestError):
    """400 validation-error; ``field_errors`` hold every JSON pointer Bokio complained about."""


class OperationNotAllowedError(BadRequestError):
    """400 operation-not-allowed, e.g. editing a published invoice or deleting a non-draft."""


class ProtocolError(BokioError, FatalError):
    """Bokio answered something we cannot read (not JSON, wrong shape); likely schema drift."""


class PaginationLoopError(ProtocolError):
    """The same page came back twice; stopping instead of looping forever."""


class MalformedRecordError(BokioError, SkippableError):
    """One object failed to parse; the rest of the batch can go on."""

    def __init__(self, message: str, *, record: Any = None, context: ErrorContext | None = None) -> None:
        self.record = record
        super().__init__(message, context=context)


def _field_errors(body: dict[str, Any]) -> tuple[FieldError, ...]:
    raw = body.get("errors")
    if not isinstance(raw, list):
        return ()
    return tuple(
        FieldError(field=str(item.get("field", "")), message=str(item.get("message", "")))
        for item in raw
        if isinstance(item, dict)
    )


def _code(body: dict[str, Any]) -> str | None:
    """The machine code: flat ``code``, the plan error's ``error``, or the old nested envelope."""
    for candidate in (body.get("code"), body.get("error")):
        if isinstance(candidate, str):
            return candidate
        if isinstance(candidate, dict) and isinstance(candidate.get("code"), str):
            return str(candidate["code"])
    return None


def error_from_response(
    status: int,
    body: Any,
    *,
    retry_after: float | None,
    company_id: str | None,
    method: str,
    path: str,
    path_template: str,
) -> BokioError:
    """Map a non-2xx answer to the class that says what to do; works with or without a body."""
    body_dict: dict[str, Any] = body if isinstance(body, dict) else {}
    nested = body_dict.get("error")
    flat = nested if isinstance(nested, dict) else body_dict
    code = _code(body_dict)
    error_id = flat.get("bokioErrorId")
    message = flat.get("message")
    ctx = ErrorContext(
        company_id=company_id,
        method=method,
        path=path,
        path_template=path_template,
        status=status,
        code=code,
        bokio_error_id=str(error_id) if error_id is not None else None,
        field_errors=_field_errors(flat),
        body=body_dict,
    )
    text = str(message) if message else f"Bokio answered HTTP {status}"
    return _classify(status, code, text, ctx, retry_after)


def _classify(  # noqa: PLR0911 - a flat status/code table reads best as returns
    status: int, code: str | None, text: str, ctx: ErrorContext, retry_after: float | None
) -> BokioError:
    if status == 429:
        cls = ConcurrencyLimitError if code == "concurrency-limit-exceeded" else RateLimitedError
        return cls(text, context=ctx, retry_after=retry_after)
    if status == 401:
        return AuthError(f"{text}; check or re-issue the integration token", context=ctx)
    if status == 403:
        if code == "quota-exceeded" or (code is None and retry_after is not None):
            return QuotaExceededError(text, context=ctx, retry_after=retry_after)
        if code == "price_plan_feature_required":
            return PricePlanRequiredError(text, context=ctx)
        return ForbiddenError(f"{text}; the token probably lacks the scope for this operation", context=ctx)
    if status == 404:
        return NotFoundError(text, context=ctx)
    if status >= 500:
        return ServerError(text, context=ctx, retry_after=retry_after)
    if code == "validation-error" or ctx.field_errors:
        details = "; ".join(f"{fe.field}: {fe.message}" for fe in ctx.field_errors)
        return ValidationError(f"{text}: {details}" if details else text, context=ctx)
    if code == "operation-not-allowed":
        return OperationNotAllowedError(text, context=ctx)
    return BadRequestError(text, context=ctx)
