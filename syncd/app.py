"""Composition root: builds the engine, sessions and clients from settings. No business logic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from syncd.db import make_engine, session_factory, utcnow
from syncd.errors import ConfigError
from syncd.settings import CompanySettings, Settings

if TYPE_CHECKING:  # imported where used: a command that never calls Bokio starts without them
    import httpx

    from syncd.bokio import Auth, BokioClient, OAuthClient, RateLimiter, RequestRecord
    from syncd.pull import PullConfig, Puller, PullProgress
    from syncd.tokenstore import FileTokenStore


@dataclass
class App:
    """What a command or the daemon needs, built once from :class:`Settings`.

    ``transport`` and ``clock`` are injection points: tests pass the sandbox's in-process
    transport and its manual clock instead of the network and the wall clock.
    """

    settings: Settings
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], dt.datetime] = utcnow
    engine: Engine = field(init=False)
    sessions: sessionmaker[Any] = field(init=False)
    _http: httpx.Client | None = field(init=False, default=None)
    request_observer: Callable[[RequestRecord], None] | None = None
    """Sees every Bokio request of every client (the daemon's Prometheus metrics)."""
    _limiters: dict[str, RateLimiter] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Each stage holds two connections at once (its (company, stage) advisory lock and its
        # work), plus the heartbeat's: SQLAlchemy's default 5 made a replica with 4 workers open
        # and close PostgreSQL connections all day (one per 11 job runs in the fleet benchmark).
        pool_size = 2 * self.settings.daemon.workers + 2
        self.engine = make_engine(self.settings.database_url.get_secret_value(), pool_size=pool_size)
        self.sessions = session_factory(self.engine)

    @property
    def database_url(self) -> str:
        return self.settings.database_url.get_secret_value()

    @property
    def http(self) -> httpx.Client:
        """The one ``httpx.Client`` of the process (connection pool shared by every company)."""
        if self._http is None:
            from syncd.bokio import build_http_client

            bokio = self.settings.bokio
            self._http = build_http_client(
                self.transport, connect_s=bokio.connect_timeout_s, read_s=bokio.read_timeout_s
            )
        return self._http

    def bokio_client(
        self, company: CompanySettings, *, on_request: Callable[[RequestRecord], None] | None = None
    ) -> BokioClient:
        """A client for one company; companies sharing a token share its rate limiter.

        Bokio counts its 200-per-minute limit per token, so the limiter is keyed by token.
        """
        from syncd.bokio import BokioClient, OAuthCompanyAuth, PrivateTokenAuth, RateLimiter

        auth: Auth
        if company.auth == "oauth":
            auth = OAuthCompanyAuth(
                self.oauth_client(), self.token_store(), key=str(company.id), now=self.clock
            )
            limiter_key = f"oauth:{company.id}"
        elif company.token is not None:
            auth = PrivateTokenAuth(company.token)
            limiter_key = company.token.get_secret_value()
        else:
            raise ConfigError(f"company {company.id} has no Bokio token", key="companies.token")
        limiter = self._limiters.get(limiter_key)
        if limiter is None:
            limiter = RateLimiter(max_requests=self.settings.bokio.rate_limit_per_minute)
            self._limiters[limiter_key] = limiter
        return BokioClient(
            self.http,
            base_url=self.settings.bokio.base_url,
            company_id=str(company.id),
            auth=auth,
            limiter=limiter,
            on_request=self._observed(on_request),
            deadline_s=self.settings.bokio.deadline_s,
            now=self.clock,
        )

    def puller(
        self, config: PullConfig | None = None, *, on_progress: Callable[[PullProgress], None] | None = None
    ) -> Puller:
        """The puller wired to these sessions, clients, settings (``[pull]``, ``[budget]``) and clock."""
        from syncd.pull import PullConfig, Puller

        return Puller(
            self.sessions,
            self.bokio_client,
            config=config or PullConfig.from_settings(self.settings),
            monthly_quota=self.settings.budget.monthly_quota,
            companies=self.settings.companies,
            clock=self.clock,
            on_progress=on_progress,
        )

    def oauth_client(self) -> OAuthClient:
        """The public integration's OAuth client (``[bokio] oauth_*`` settings)."""
        from syncd.bokio import OAuthClient

        bokio = self.settings.bokio
        if not (bokio.oauth_client_id and bokio.oauth_client_secret and bokio.oauth_redirect_uri):
            raise ConfigError(
                "OAuth companies need bokio.oauth_client_id, oauth_client_secret(_file), oauth_redirect_uri",
                key="bokio.oauth_client_id",
            )
        return OAuthClient(
            self.http,
            client_id=bokio.oauth_client_id,
            client_secret=bokio.oauth_client_secret,
            redirect_uri=bokio.oauth_redirect_uri,
            base_url=bokio.general_base_url,
            now=self.clock,
        )

    def token_store(self) -> FileTokenStore:
        """Where OAuth tokens live (``state_dir/oauth``)."""
        from syncd.tokenstore import FileTokenStore

        return FileTokenStore(self.settings.state_dir / "oauth")

    def _observed(
        self, hook: Callable[[RequestRecord], None] | None
    ) -> Callable[[RequestRecord], None] | None:
        observer = self.request_observer
        if observer is None or hook is None:
            return hook or observer

        def both(record: RequestRecord) -> None:
            hook(record)
            observer(record)

        return both

    def close(self) -> None:
        """Release pooled connections."""
        if self._http is not None:
            self._http.close()
            self._http = None
        self.engine.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
