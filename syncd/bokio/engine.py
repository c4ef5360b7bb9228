"""One request to Bokio, done safely: limits, deadline, retries that cannot duplicate a write.

Retry policy (jittered exponential backoff, bounded by attempts, elapsed time and the per-call
deadline):

- **GET**: retried on any transport error, 5xx and 429.
- **Writes** (POST/PUT/DELETE) are retried only when Bokio provably did not act:
  ``ConnectError`` / ``ConnectTimeout`` / ``PoolTimeout`` (nothing was sent), 429 (Bokio rejects
  rate- and concurrency-limited requests before doing anything, so waiting ``Retry-After`` and
  resending is safe) and 401 once after a token refresh (rejected before acting, too).
  A write that timed out after sending, lost its connection, got a 5xx, ran past the deadline or
  came back unreadable raises :class:`~syncd.bokio.errors.OutcomeUnknownError`: the outbox reads
  back before anything is sent again. PUT/DELETE are treated like POST here, conservatively.

Every attempt is reported to ``on_request`` as a :class:`RequestRecord` (the company's request
ledger) and logged at debug level without headers, so no token can reach a log line.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from syncd import jsonutil
from syncd.bokio import wire
from syncd.bokio.auth import Auth
from syncd.bokio.errors import (
    AuthError,
    BokioError,
    ErrorContext,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    TransportError,
    error_from_response,
)
from syncd.bokio.ratelimit import RateLimiter, parse_retry_after

log = structlog.get_logger("syncd.bokio")

USER_AGENT = "syncd/0.1 (+invoice reconciliation)"
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP attempt, for the request ledger; ``status`` is None when no answer came."""

    company_id: str | None
    method: str
    path_template: str
    status: int | None
    started_at: datetime
    duration_ms: float
    error_kind: str | None
    attempt: int


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying; ``max_elapsed_s`` counts from the first attempt of a call."""

    max_attempts: int = 5
    max_elapsed_s: float = 120.0
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


def build_http_client(
    transport: httpx.BaseTransport | None = None,
    *,
    connect_s: float = 5.0,
    read_s: float = 30.0,
    write_s: float = 30.0,
    pool_s: float = 5.0,
    max_connections: int = 10,
) -> httpx.Client:
    """The one long-lived ``httpx.Client`` per process, with every timeout phase explicit."""
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(connect=connect_s, read=read_s, write=write_s, pool=pool_s),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )


def fill_path(template: str, values: Mapping[str, str | int]) -> str:
    """``/invoices/{invoiceId}`` + ids → the concrete path, each id percent-encoded."""
    path = template
    for key, value in values.items():
        path = path.replace("{" + key + "}", quote(str(value), safe=""))
    if "{" in path:
        raise ValueError(f"unfilled placeholder in {template!r}")
    return path


class _DeadlineExceededError(Exception):
    pass


@dataclass(frozen=True)
class _Call:
    """Everything fixed for one logical call across its attempts."""

    method: str
    path: str
    template: str
    params: Mapping[str, str | int] | None
    content: bytes | None
    deadline: float
    accept: str | None = None  # None: the client's default (JSON)

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


class _Attempt:
    """Outcome of one attempt: a body, or an error plus whether retrying is safe."""

    def __init__(
        self,
        *,
        body: Any = None,
        error: BokioError | None = None,
        retry: bool = False,
        delay: float | None = None,
    ) -> None:
        self.body, self.error, self.retry, self.delay = body, error, retry, delay


class Engine:
    """Sends requests for one company (or the General API when ``company_id`` is None)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        company_id: str | None,
        auth: Auth,
        limiter: RateLimiter,
        on_request: Callable[[RequestRecord], None] | None = None,
        deadline_s: float = 120.0,
        retry: RetryPolicy | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self.company_id = company_id
        self._auth = auth
        self.limiter = limiter
        self._on_request = on_request
        self.deadline_s = deadline_s
        self.retry = retry or RetryPolicy()
        self._now = now
        self._rng = rng or random.Random()

    def request(
        self,
        method: str,
        template: str,
        ids: Mapping[str, str | int] | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        accept: str | None = None,
    ) -> Any:
        """Send with limits and retries; returns parsed JSON (Decimals) or None for an empty body.

        With ``accept`` (a file download such as the SIE export) a 2xx body is returned as the
        raw bytes; error bodies are still Bokio's JSON.
        """
        method = method.upper()
        is_write = method != "GET"
        clock = self.limiter.clock
        slot: AbstractContextManager[None] = (
            self.limiter.write_slot(method, template) if is_write else nullcontext()
        )
        with slot:
            started = clock()
            call = _Call(
                method=method,
                path=fill_path(template, ids or {}),
                template=template,
                params=params,
                content=jsonutil.dumps(body).encode() if body is not None else None,
                deadline=started + self.deadline_s,
                accept=accept,
            )
            auth_retried = False
            attempt = 0
            while True:
                attempt += 1
                self.limiter.acquire()
                result = self._attempt(call, attempt)
                if result.error is None:
                    return result.body
                err = result.error
                if isinstance(err, AuthError) and err.status == 401 and not auth_retried:
                    auth_retried = self._auth.invalidate()  # rejected before acting: safe to resend once
                    result.retry, result.delay = auth_retried, 0.0
                if not result.retry:
                    raise err
                delay = result.delay if result.delay is not None else self.retry.backoff(attempt, self._rng)
                now = clock()
                if (
                    attempt >= self.retry.max_attempts
                    or now + delay - started > self.retry.max_elapsed_s
                    or now + delay >= call.deadline
                ):
                    raise err
                if isinstance(err, RateLimitedError):
                    self.limiter.pause(delay)  # every thread on this token waits; acquire() sleeps
                elif delay > 0:
                    self.limiter.sleep(delay)

    def _context(self, call: _Call, status: int | None = None) -> ErrorContext:
        return ErrorContext(self.company_id, call.method, call.path, call.template, status)

    def _attempt(self, call: _Call, attempt: int) -> _Attempt:
        clock = self.limiter.clock
        headers = {"Authorization": self._auth.authorization()}
        if call.content is not None:
            headers["Content-Type"] = "application/json"
        if call.accept is not None:
            headers["Accept"] = call.accept
        started_at, t0 = self._now(), clock()
        status: int | None = None
        kind: str | None = None
        try:
            status, resp_headers, raw = self._exchange(call, headers)
        except _NOT_SENT as exc:
            kind = "not_sent"
            err = TransportError(f"request not sent: {type(exc).__name__}", context=self._context(call))
            result = _Attempt(error=err, retry=True)
        except (_DeadlineExceededError, httpx.TransportError) as exc:
            kind = _transport_kind(exc)
            result = self._no_answer(call, kind)
        else:
            result = self._interpret(call, status, resp_headers, raw)
            if result.error is not None:
                kind = result.error.code or f"http_{status}"
        duration_ms = (clock() - t0) * 1000
        self._report(
            call, status=status, started_at=started_at, duration_ms=duration_ms, kind=kind, attempt=attempt
        )
        return result

    def _no_answer(self, call: _Call, kind: str) -> _Attempt:
        ctx = self._context(call)
        if call.is_write:
            msg = f"write sent but no answer ({kind}); read back before resending"
            return _Attempt(error=OutcomeUnknownError(msg, context=ctx))
        return _Attempt(error=TransportError(f"no answer ({kind})", context=ctx), retry=kind != "deadline")

    def _exchange(self, call: _Call, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        clock = self.limiter.clock
        remaining = max(0.001, call.deadline - clock())
        base = self._http.timeout
        timeout = httpx.Timeout(
            connect=min(base.connect or remaining, remaining),
            read=min(base.read or remaining, remaining),
            write=min(base.write or remaining, remaining),
            pool=min(base.pool or remaining, remaining),
        )
        url = httpx.URL(self.base_url + call.path)
        if call.params:
            url = url.copy_with(query=wire.encode_query(call.params))
        request = self._http.build_request(
            call.method, url, headers=headers, content=call.content, timeout=timeout
        )
        response = self._http.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if clock() > call.deadline:  # read timeout is per chunk; a slow drip needs this
                    raise _DeadlineExceededError
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            response.close()

    def _interpret(self, call: _Call, status: int, headers: httpx.Headers, raw: bytes) -> _Attempt:
        retry_after = parse_retry_after(headers, self._now())
        self.limiter.observe(headers, retry_after)
        body, bad_json = _read_body(call, status, raw)
        if 200 <= status < 300:
            if bad_json:
                cls = OutcomeUnknownError if call.is_write else ProtocolError
                msg = "Bokio answered 2xx with a body that is not JSON"
                return _Attempt(error=cls(msg, context=self._context(call, status)))
            return _Attempt(body=body)
        err = error_from_response(
            status,
            body,
            retry_after=retry_after,
            company_id=self.company_id,
            method=call.method,
            path=call.path,
            path_template=call.template,
        )
        if isinstance(err, RateLimitedError):
            return _Attempt(error=err, retry=True, delay=retry_after)
        if isinstance(err, ServerError):
            if call.is_write:
                msg = f"Bokio answered {status} to a write; it may have been applied, read back first"
                return _Attempt(error=OutcomeUnknownError(msg, context=err.context))
            return _Attempt(error=err, retry=True, delay=retry_after)
        return _Attempt(error=err)

    def _report(
        self,
        call: _Call,
        *,
        status: int | None,
        started_at: datetime,
        duration_ms: float,
        kind: str | None,
        attempt: int,
    ) -> None:
        log.debug(
            "bokio.request",
            company_id=self.company_id,
            method=call.method,
            path=call.path,
            path_template=call.template,
            status=status,
            duration_ms=round(duration_ms, 1),
            error_kind=kind,
            attempt=attempt,
        )
        if self._on_request is None:
            return
        record = RequestRecord(
            self.company_id, call.method, call.template, status, started_at, duration_ms, kind, attempt
        )
        try:
            self._on_request(record)
        except Exception:  # a broken ledger must not turn a done write into an unknown one
            log.exception("bokio.request_hook_failed", company_id=self.company_id, template=call.template)


def _read_body(call: _Call, status: int, raw: bytes) -> tuple[Any, bool]:
    """(body, not JSON); a 2xx file download is its bytes as they came."""
    if call.accept is not None and 200 <= status < 300:
        return raw, False
    if not raw.strip():
        return None, False
    try:
        return jsonutil.loads(raw), False
    except ValueError:
        return None, True


def _transport_kind(exc: Exception) -> str:
    if isinstance(exc, _DeadlineExceededError):
        return "deadline"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    return "connection_lost"
