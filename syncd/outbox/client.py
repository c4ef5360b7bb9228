"""Building a company's Bokio client for pushing, from plain parameters.

The composition root (``App.bokio_client``) builds clients from settings; this builds one from
plain parameters, for tests and benchmarks that have no settings.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from syncd.bokio import BokioClient, PrivateTokenAuth, RateLimiter, RequestRecord, RetryPolicy


def company_client(
    http: httpx.Client,
    *,
    base_url: str,
    token: SecretStr | str,
    company_id: str,
    limiter: RateLimiter | None = None,
    on_request: Callable[[RequestRecord], None] | None = None,
    retry: RetryPolicy | None = None,
    deadline_s: float = 120.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    rng: random.Random | None = None,
) -> BokioClient:
    """A :class:`BokioClient` for one company with a private-integration token.

    Share one ``limiter`` between every client on the same token (Bokio counts per token).
    """
    return BokioClient(
        http,
        base_url=base_url,
        company_id=company_id,
        auth=PrivateTokenAuth(token),
        limiter=limiter or RateLimiter(),
        on_request=on_request,
        retry=retry,
        deadline_s=deadline_s,
        now=now,
        rng=rng,
    )
