"""Bokio API client: the only code in syncd that knows Bokio's wire format.

Build one :class:`RateLimiter` per token and one ``httpx.Client`` per process
(:func:`build_http_client`), then a :class:`BokioClient` per company.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.bokio.auth import (
        Auth,
        AuthorizationRequest,
        ClientCredentialsAuth,
        InMemoryTokenStore,
        OAuthClient,
        OAuthCompanyAuth,
        PrivateTokenAuth,
        TokenSet,
        TokenStore,
    )
    from syncd.bokio.client import BokioClient, BokioGeneralClient
    from syncd.bokio.engine import RequestRecord, RetryPolicy, build_http_client
    from syncd.bokio.errors import (
        AuthError,
        BadRequestError,
        BokioError,
        ConcurrencyLimitError,
        FieldError,
        ForbiddenError,
        MalformedRecordError,
        NotFoundError,
        OAuthError,
        OperationNotAllowedError,
        OutcomeUnknownError,
        PaginationLoopError,
        PricePlanRequiredError,
        ProtocolError,
        QuotaExceededError,
        RateLimitedError,
        ServerError,
        TransportError,
        ValidationError,
    )
    from syncd.bokio.pagination import Page, PageNumberPaginator
    from syncd.bokio.query import F, Query, invoice_dated_from, modified_since, status_is_one_of
    from syncd.bokio.ratelimit import RateLimiter, RateLimitSnapshot
    from syncd.bokio.writes import JournalEntryTagsWrite, PaymentWrite, SettlementWrite, TagWeight

_EXPORTS = {
    "Auth": "syncd.bokio.auth",
    "AuthError": "syncd.bokio.errors",
    "AuthorizationRequest": "syncd.bokio.auth",
    "BadRequestError": "syncd.bokio.errors",
    "BokioClient": "syncd.bokio.client",
    "BokioError": "syncd.bokio.errors",
    "BokioGeneralClient": "syncd.bokio.client",
    "ClientCredentialsAuth": "syncd.bokio.auth",
    "ConcurrencyLimitError": "syncd.bokio.errors",
    "F": "syncd.bokio.query",
    "FieldError": "syncd.bokio.errors",
    "ForbiddenError": "syncd.bokio.errors",
    "InMemoryTokenStore": "syncd.bokio.auth",
    "JournalEntryTagsWrite": "syncd.bokio.writes",
    "MalformedRecordError": "syncd.bokio.errors",
    "NotFoundError": "syncd.bokio.errors",
    "OAuthClient": "syncd.bokio.auth",
    "OAuthCompanyAuth": "syncd.bokio.auth",
    "OAuthError": "syncd.bokio.errors",
    "OperationNotAllowedError": "syncd.bokio.errors",
    "OutcomeUnknownError": "syncd.bokio.errors",
    "Page": "syncd.bokio.pagination",
    "PageNumberPaginator": "syncd.bokio.pagination",
    "PaginationLoopError": "syncd.bokio.errors",
    "PaymentWrite": "syncd.bokio.writes",
    "PricePlanRequiredError": "syncd.bokio.errors",
    "PrivateTokenAuth": "syncd.bokio.auth",
    "ProtocolError": "syncd.bokio.errors",
    "Query": "syncd.bokio.query",
    "QuotaExceededError": "syncd.bokio.errors",
    "RateLimitSnapshot": "syncd.bokio.ratelimit",
    "RateLimitedError": "syncd.bokio.errors",
    "RateLimiter": "syncd.bokio.ratelimit",
    "RequestRecord": "syncd.bokio.engine",
    "RetryPolicy": "syncd.bokio.engine",
    "ServerError": "syncd.bokio.errors",
    "SettlementWrite": "syncd.bokio.writes",
    "TagWeight": "syncd.bokio.writes",
    "TokenSet": "syncd.bokio.auth",
    "TokenStore": "syncd.bokio.auth",
    "TransportError": "syncd.bokio.errors",
    "ValidationError": "syncd.bokio.errors",
    "build_http_client": "syncd.bokio.engine",
    "invoice_dated_from": "syncd.bokio.query",
    "modified_since": "syncd.bokio.query",
    "status_is_one_of": "syncd.bokio.query",
}
"""Where each public name lives: imported on first use, so importing a write type or an error
does not import the HTTP client (``syncd review`` starts without httpx)."""


__all__ = [
    "Auth",
    "AuthError",
    "AuthorizationRequest",
    "BadRequestError",
    "BokioClient",
    "BokioError",
    "BokioGeneralClient",
    "ClientCredentialsAuth",
    "ConcurrencyLimitError",
    "F",
    "FieldError",
    "ForbiddenError",
    "InMemoryTokenStore",
    "JournalEntryTagsWrite",
    "MalformedRecordError",
    "NotFoundError",
    "OAuthClient",
    "OAuthCompanyAuth",
    "OAuthError",
    "OperationNotAllowedError",
    "OutcomeUnknownError",
    "Page",
    "PageNumberPaginator",
    "PaginationLoopError",
    "PaymentWrite",
    "PricePlanRequiredError",
    "PrivateTokenAuth",
    "ProtocolError",
    "Query",
    "QuotaExceededError",
    "RateLimitSnapshot",
    "RateLimitedError",
    "RateLimiter",
    "RequestRecord",
    "RetryPolicy",
    "ServerError",
    "SettlementWrite",
    "TagWeight",
    "TokenSet",
    "TokenStore",
    "TransportError",
    "ValidationError",
    "build_http_client",
    "invoice_dated_from",
    "modified_since",
    "status_is_one_of",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
