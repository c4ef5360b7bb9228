"""Bokio API client: the only code in syncd that knows Bokio's wire format.

Build one :class:`RateLimiter` per token and one ``httpx.Client`` per process
(:func:`build_http_client`), then a :class:`BokioClient` per company.
"""

from __future__ import annotations

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
