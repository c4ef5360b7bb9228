"""The sandbox: state per company behind one lock, and a pure ``handle()`` request function.

``handle`` never touches a socket: it returns a :class:`SandboxResponse` whose ``fault`` tells the
adapter (in-process transport or HTTP server) to drop the connection or hang. It answers the
Bokio API (``/v1``) only; the admin routes (:mod:`.admin`) sit above this module and the adapters
send ``/_sandbox`` paths there (:mod:`.gateway`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime

from syncd.sandbox import jsonutil, routes
from syncd.sandbox.auth import AuthStore, Client, Token
from syncd.sandbox.books import new_uuid
from syncd.sandbox.clock import ManualClock, SystemClock
from syncd.sandbox.errors import ApiError, internal_error, not_found
from syncd.sandbox.faults import GATE_LIMIT_S, Fault, FaultPlan
from syncd.sandbox.ledger import Books
from syncd.sandbox.limits import STOCKHOLM, Counters, InFlight, Limits, LogEntry, RateWindow, month_key
from syncd.sandbox.limits import seconds_to_next_month as _to_next_month
from syncd.sandbox.readings import Readings
from syncd.sandbox.response import SandboxResponse, error_response
from syncd.sandbox.router import Ctx, Route, resolve, template_of
from syncd.sandbox.state import Company

_log = logging.getLogger(__name__)

routes.register_all()
Clock = Callable[[], datetime]


class Sandbox:
    """A faithful in-memory Bokio (Company API v1 + General API token/connections).

    ``readings`` are the answers to Bokio's open rules that new companies start with (each
    company can be switched later: :meth:`set_readings`).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        limits: Limits | None = None,
        strict: bool = False,
        seed: int = 0,
        readings: Readings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.limits = limits or Limits()
        if strict:
            from syncd.sandbox.strict import require_validator

            require_validator()
        self.strict = strict
        self.readings = readings or Readings()
        self.sleep = sleep
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget every company, token, log entry, counter and fault."""
        with self.lock:
            self.rng = random.Random(self._seed)
            self.companies: dict[str, Company] = {}
            self.auth = AuthStore()
            self.log: list[LogEntry] = []
            self.counters: dict[str, Counters] = {}
            self.contract_violations: list[str] = []
            self._rate = RateWindow()
            self._in_flight = InFlight()
            self.faults.clear()

    # ----- set-up from Python ----------------------------------------------------------------
    def new_id(self) -> str:
        return new_uuid(self.rng.getrandbits)

    def today(self) -> date:
        """Business date: the clock's date in Europe/Stockholm."""
        return self.clock().astimezone(STOCKHOLM).date()

    def add_company(
        self,
        company_id: str | None = None,
        *,
        name: str = "Sandbox AB",
        token: str | None = None,
        readings: Readings | None = None,
    ) -> Company:
        """Create an empty company (base chart of accounts); ``token`` opens it as a private integration.

        ``readings`` default to the sandbox's own.
        """
        with self.lock:
            company = Company.empty(
                company_id or self.new_id(), name=name, readings=readings or self.readings
            )
            self.companies[company.id] = company
            if token is not None:
                self.add_token(token, company.id)
            return company

    def add_token(self, token: str, *company_ids: str) -> None:
        """A private-integration token for these companies (never expires); adds to an existing one."""
        with self.lock:
            known = self.auth.tokens.get(token)
            companies = set(company_ids) | (known.companies if known and known.kind == "private" else set())
            self.auth.tokens[token] = Token("private", companies)

    def add_client(self, client_id: str, secret: str, *redirect_uris: str) -> None:
        """Register a public integration for the OAuth flows."""
        with self.lock:
            self.auth.clients[client_id] = Client(client_id, secret, set(redirect_uris))

    def authorize(self, client_id: str, company_id: str, redirect_uri: str) -> str:
        """The code a user's consent would produce (``GET /authorize`` does the same)."""
        with self.lock:
            return self.auth.issue_code(client_id, company_id, redirect_uri, self.clock(), self.new_id())

    def set_feature(self, company_id: str, feature: str, enabled: bool) -> None:
        """Price-plan switch, e.g. ``set_feature(cid, "Tags", False)`` makes tag routes 403."""
        with self.lock:
            features = self.companies[company_id].features
            (features.add if enabled else features.discard)(feature)

    def set_readings(self, company_id: str, readings: Readings) -> None:
        """Switch one company's readings of Bokio's open rules (everything derived follows at once)."""
        with self.lock:
            self.companies[company_id].set_readings(readings)

    def books(self, company_id: str) -> Books:
        """Business operations on one company (hold ``sandbox.lock`` across several calls)."""
        return Books(self.companies[company_id], now=self.clock, today=self.today, new_id=self.new_id)

    def high_water(self) -> dict[str, int]:
        """In-flight high-water marks keyed ``company``, ``company writes`` or ``company METHOD path``."""
        with self.lock:
            return {" ".join(p for p in key if p): n for key, n in self._in_flight.high_water.items()}

    # ----- the request function --------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> SandboxResponse:
        """Answer one request exactly as Bokio would (plus scripted faults)."""
        method = method.upper()
        query = dict(query or {})
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        if not path.startswith("/v1/"):
            return self._error(ApiError(404, "not-found", f"No API at {path}; the base URL ends in /v1"))
        rel = path[3:]
        matched, params, known = resolve(method, rel)
        template = matched.template if matched else template_of(rel)
        company_id = params.get("companyId")
        if matched is None:
            error = ApiError(405 if known else 404, "not-found", f"No operation {method} {rel}")
            return self._finish(method, rel, template, company_id, False, self._error(error))
        ctx = Ctx(self, method, params, query, hdrs, body)
        return self._guarded(matched, ctx, rel)

    def _guarded(self, matched: Route, ctx: Ctx, rel: str) -> SandboxResponse:
        company_id = ctx.params.get("companyId")
        headers: dict[str, str] = {}
        with self.lock:
            try:
                headers = self._admit(matched, ctx, rel)
            except ApiError as error:
                return self._finish(
                    ctx.method, rel, matched.template, company_id, matched.write, self._error(error)
                )
            fault = self.faults.take(ctx.method, rel, matched.template)
            if fault is not None and fault.kind in ("status", "rate_limit"):
                return self._finish(
                    ctx.method,
                    rel,
                    matched.template,
                    company_id,
                    matched.write,
                    _fault_response(fault),
                    fault,
                )
            busy_key = (
                company_id or "",
                f"{ctx.method} {rel if self.limits.concurrency_key == 'path' else matched.template}",
            )
            if matched.write and self.limits.concurrent_writes and self._in_flight.busy(busy_key):
                busy = ApiError(
                    429, "concurrency-limit-exceeded", "Another write to this path is in progress"
                )
                return self._finish(ctx.method, rel, matched.template, company_id, True, self._error(busy))
            keys = (
                [(company_id or "", ""), busy_key, (company_id or "", "writes")]
                if matched.write
                else [(company_id or "", ""), (company_id or "", f"{ctx.method} {matched.template}")]
            )
            for key in keys:
                self._in_flight.enter(key)
        response = self._respond(matched, ctx, fault, keys)
        response.headers.update(headers)
        with self.lock:
            return self._finish(ctx.method, rel, matched.template, company_id, matched.write, response, fault)

    def _respond(
        self, matched: Route, ctx: Ctx, fault: Fault | None, keys: list[tuple[str, str]]
    ) -> SandboxResponse:
        """Handle an admitted request (counted in flight under ``keys``), playing its fault."""
        if fault is not None and fault.kind == "hang" and fault.gate is not None:
            return self._park(fault.gate, matched, ctx, keys)
        gate = self.faults.gate(fault.gate) if fault is not None and fault.gate is not None else None
        try:
            if fault is not None and fault.kind == "latency":
                if gate is not None:
                    gate.arrive()
                    gate.wait(fault.seconds or GATE_LIMIT_S)
                else:
                    self.sleep(fault.seconds)
            if fault is not None and fault.kind == "hang" and not fault.apply:
                response = SandboxResponse(504, fault="hang", fault_seconds=fault.seconds)
            else:
                with self.lock:
                    response = self._run(matched, ctx)
                if fault is not None and fault.kind in ("hang", "drop"):
                    response.fault, response.fault_seconds = fault.kind, fault.seconds
        finally:
            with self.lock:
                for key in keys:
                    self._in_flight.leave(key)
        if gate is not None:
            gate.done.set()
        return response

    def _park(self, name: str, matched: Route, ctx: Ctx, keys: list[tuple[str, str]]) -> SandboxResponse:
        """A gated ``hang``: answer "no answer" now, apply the request when the gate opens.

        The request stays counted in flight until it is applied, as a request Bokio is still
        processing would.
        """
        gate = self.faults.gate(name)

        def leave() -> None:
            with self.lock:
                for key in keys:
                    self._in_flight.leave(key)

        def apply() -> None:
            try:
                with self.lock:
                    self._run(matched, ctx)
            finally:
                leave()
                gate.done.set()

        gate.arrive()
        gate.park(apply, leave)
        return SandboxResponse(504, fault="hang", gate=gate)

    def _admit(self, matched: Route, ctx: Ctx, rel: str) -> dict[str, str]:
        """Auth, company access, rate limit and monthly quota; returns rate headers."""
        if not matched.company:
            return {}
        bearer = ctx.headers.get("authorization", "")
        token_text = bearer[7:].strip() if bearer.lower().startswith("bearer ") else None
        token = self.auth.lookup(token_text, self.clock())
        if token is None or token.kind == "general":
            raise ApiError(401, "unauthorized", "Unauthorized", body=False)
        company_id = ctx.params["companyId"]
        if company_id not in self.companies:
            raise not_found("company", company_id)
        if company_id not in token.companies:
            raise ApiError(403, "forbidden", "The token has no access to this company", body=False)
        headers: dict[str, str] = {}
        if self.limits.rate_limit is not None:
            allowed, remaining, wait = self._rate.check(
                token_text or "", self.clock(), self.limits.rate_limit, self.limits.rate_window_seconds
            )
            headers = {
                "Bokio-RateLimit-Limit": str(self.limits.rate_limit),
                "Bokio-RateLimit-Remaining": str(remaining),
            }
            if not allowed:
                headers["Bokio-RateLimit-RetryAfter"] = str(wait)
                raise ApiError(
                    429,
                    "rate-limit-exceeded",
                    f"Rate limit exceeded; retry after {wait} seconds",
                    headers=headers,
                )
        counters = self.counters.setdefault(company_id, Counters())
        month = month_key(self.clock())
        if (
            self.limits.monthly_quota is not None
            and counters.by_month.get(month, 0) >= self.limits.monthly_quota
        ):
            wait = _to_next_month(self.clock())
            raise ApiError(
                403, "quota-exceeded", "Monthly request quota exceeded", headers={"Retry-After": str(wait)}
            )
        counters.by_month[month] = counters.by_month.get(month, 0) + 1
        ctx.books_ = self.books(company_id)
        ctx.token = token_text
        if matched.feature is not None:
            ctx.books_.require_feature(matched.feature)
        return headers

    def _run(self, matched: Route, ctx: Ctx) -> SandboxResponse:
        try:
            if self.strict:
                from syncd.sandbox.strict import check_request

                check_request(
                    self.contract_violations, ctx.method, matched.template, ctx.raw_body, ctx.headers
                )
            status, payload = matched.handler(ctx)
        except ApiError as error:
            return self._error(error)
        except Exception:  # noqa: BLE001 - a handler bug is a 500, never a dropped connection
            _log.exception("sandbox handler %s %s failed", ctx.method, matched.template)
            return self._error(internal_error())
        if isinstance(payload, bytes):  # a file download (the SIE export)
            response = SandboxResponse(status, {"Content-Type": "application/octet-stream"}, payload)
        else:
            response = SandboxResponse(status, {}, b"" if payload is None else jsonutil.dumps(payload))
        if payload is not None and not isinstance(payload, bytes) and status != 302:
            response.headers["Content-Type"] = "application/json; charset=utf-8"
        if status == 302:
            response.headers["Location"] = str(payload)
            response.body = b""
        if self.strict:
            from syncd.sandbox.strict import check_response

            return check_response(self.contract_violations, ctx.method, matched.template, response)
        return response

    @staticmethod
    def _error(error: ApiError) -> SandboxResponse:
        return error_response(error)

    def _finish(  # noqa: PLR0917 - internal, called positionally in one place per outcome
        self,
        method: str,
        path: str,
        template: str,
        company: str | None,
        write: bool,
        response: SandboxResponse,
        fault: Fault | None = None,
    ) -> SandboxResponse:
        with self.lock:
            entry = LogEntry(
                len(self.log) + 1,
                self.clock().isoformat(),
                method,
                path,
                template,
                response.status,
                company,
                write,
                fault.kind if fault else None,
            )
            self.log.append(entry)
            if company is not None and company in self.companies:
                counters = self.counters.setdefault(company, Counters())
                counters.requests += 1
                counters.writes += int(write)
                counters.by_status[str(response.status)] = counters.by_status.get(str(response.status), 0) + 1
                counters.max_in_flight = max(
                    counters.max_in_flight, self._in_flight.high_water.get((company, ""), 0)
                )
        return response


def _fault_response(fault: Fault) -> SandboxResponse:
    if fault.kind == "rate_limit":
        retry = str(max(1, round(fault.retry_after)))
        error = ApiError(
            429,
            "rate-limit-exceeded",
            "Rate limit exceeded (scripted fault)",
            headers={"Bokio-RateLimit-RetryAfter": retry, "Bokio-RateLimit-Remaining": "0"},
        )
        return error_response(error)
    error = ApiError(
        fault.status,
        "internal-server-error" if fault.status >= 500 else "scripted-fault",
        f"Scripted fault {fault.status}",
    )
    if fault.status in (429, 503):
        error.headers["Retry-After"] = str(max(1, round(fault.retry_after)))
    return error_response(error)


__all__ = ["Clock", "ManualClock", "Sandbox", "SandboxResponse", "SystemClock"]
