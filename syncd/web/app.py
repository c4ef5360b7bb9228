"""The Starlette application: pages per company, one POST per decision, login first.

Pages are server-rendered HTML whose forms work without JavaScript; htmx (vendored, see
``static/``) only boosts links and forms. Database work runs in Starlette's thread pool, one
transaction per decision (:mod:`syncd.web.decisions`). Anything without a session is sent to
the login page (GET) or refused with 401 (POST); a POST without this session's CSRF token gets
403 before it is read further; a company the user may not see is 404, as if it did not exist.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from syncd.app import App
from syncd.clock import business_date
from syncd.commands.decide import parse_amount
from syncd.errors import SyncdError
from syncd.match.plan import format_amount
from syncd.mirror import repo
from syncd.settings import CompanySettings, WebUser
from syncd.web import auth, decisions, views

STATIC = Path(__file__).parent / "static"
Handler = Callable[["Ctx"], Awaitable[Response]]


def _money(value: Decimal | str | None) -> str:
    return "" if value is None else format_amount(Decimal(value))


def _day(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return business_date(value).isoformat()
    return value.isoformat()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("syncd.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.filters["day"] = _day
    return env


@dataclass
class Ctx:
    """One request: who asks, their session, and (on company pages) the company."""

    request: Request
    session: auth.Session
    user: WebUser
    company: CompanySettings | None = None
    company_id: int = 0
    form: FormData | None = None


class Web:
    """The web app over one :class:`syncd.app.App` (its settings, engine and sessions)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.web = app.settings.web
        self.sessions = auth.Sessions(auth.session_key(app.settings), self.web)
        self.limiter = auth.LoginLimiter()
        self.templates = _environment()
        self._company_ids: dict[str, int] = {}

    # -- plumbing -------------------------------------------------------------------------------

    def render(self, ctx: Ctx | None, request: Request, name: str, **data: Any) -> Response:
        session = ctx.session if ctx else self.sessions.load(request)
        context = {
            "user": ctx.user if ctx else None,
            "company": ctx.company if ctx else None,
            "csrf": session.csrf,
            "flash": session.take_flash(),
            "path": request.url.path,
            **data,
        }
        response = HTMLResponse(self.templates.get_template(name).render(context))
        self.sessions.save(request, response, session)
        return response

    def redirect(self, ctx: Ctx, to: str) -> Response:
        response = RedirectResponse(to, status_code=303)
        self.sessions.save(ctx.request, response, ctx.session)
        return response

    def _user(self, request: Request, session: auth.Session) -> WebUser | None:
        via_proxy = auth.proxy_user(request, self.web)
        if via_proxy is not None:
            if session.user != via_proxy.name:
                session.user, session.changed = via_proxy.name, True
            return via_proxy
        return self.web.user(session.user) if session.user else None

    def guarded(self, handler: Handler, *, company: bool = True) -> Callable[[Request], Awaitable[Response]]:
        """Login, CSRF and company access in front of a handler."""

        async def endpoint(request: Request) -> Response:
            session = self.sessions.load(request)
            user = self._user(request, session)
            if user is None:
                if request.method != "GET":
                    return HTMLResponse("sign in first", status_code=401)
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            ctx = Ctx(request, session, user)
            if request.method == "POST":
                ctx.form = await request.form()
                if not auth.csrf_ok(session, ctx.form.get("csrf")):
                    return HTMLResponse("the form is stale or forged: reload the page", status_code=403)
            if company:
                ctx.company = self._company(user, request.path_params["company"])
                ctx.company_id = await run_in_threadpool(self._company_id, ctx.company)
            return await handler(ctx)

        return endpoint

    def _company(self, user: WebUser, key: str) -> CompanySettings:
        found = next((c for c in self.app.settings.companies if str(c.id) == key), None)
        if found is None or not user.may_see(key):
            raise HTTPException(404, "no such company")
        return found

    def _company_id(self, company: CompanySettings) -> int:
        key = str(company.id)
        if key not in self._company_ids:
            with self.app.sessions.begin() as session:
                self._company_ids[key] = repo.ensure_company(session, key, company.name).id
        return self._company_ids[key]

    def companies(self, user: WebUser) -> list[CompanySettings]:
        return [c for c in self.app.settings.companies if user.may_see(str(c.id))]

    async def decide(self, ctx: Ctx, back: str, work: Callable[[], str]) -> Response:
        """Run one decision; its outcome (or the refusal, as the CLI words it) is shown on ``back``."""
        try:
            ctx.session.say("ok", await run_in_threadpool(work))
        except (SyncdError, argparse.ArgumentTypeError) as exc:
            ctx.session.say("error", str(exc))
        return self.redirect(ctx, back)

    def base(self, ctx: Ctx) -> str:
        return f"/c/{ctx.company.id}" if ctx.company else ""

    # -- login ----------------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        return self.render(None, request, "login.html", next=_safe_next(request.query_params.get("next")))

    async def login(self, request: Request) -> Response:
        session = self.sessions.load(request)
        form = await request.form()
        if not auth.csrf_ok(session, form.get("csrf")):
            return HTMLResponse("the form is stale or forged: reload the page", status_code=403)
        name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
        address = request.client.host if request.client else "?"
        target = _safe_next(str(form.get("next", "")))
        wait = self.limiter.blocked_for(name, address)
        if wait:
            session.say("error", f"too many failed sign-ins: try again in {wait // 60 + 1} minute(s)")
            return self._login_again(request, session, target, 429)
        user = self.web.user(name)
        if not await run_in_threadpool(auth.password_ok, user, password):
            self.limiter.failed(name, address)
            session.say("error", "wrong name or password")
            return self._login_again(request, session, target, 401)
        self.limiter.succeeded(name, address)
        fresh = auth.Session(user=name, changed=True)  # a new CSRF token with the new identity
        response = RedirectResponse(target, status_code=303)
        self.sessions.save(request, response, fresh)
        return response

    def _login_again(self, request: Request, session: auth.Session, target: str, status: int) -> Response:
        html = self.templates.get_template("login.html").render(
            user=None, company=None, csrf=session.csrf, flash=session.take_flash(), next=target, path="/login"
        )
        response = HTMLResponse(html, status_code=status)
        self.sessions.save(request, response, session)
        return response

    async def logout(self, ctx: Ctx) -> Response:
        ctx.session = auth.Session(changed=True)
        return self.redirect(ctx, "/login")

    # -- pages ----------------------------------------------------------------------------------

    async def home(self, ctx: Ctx) -> Response:
        mine = self.companies(ctx.user)
        if len(mine) == 1:
            return self.redirect(ctx, f"/c/{mine[0].id}/")
        return self.render(ctx, ctx.request, "companies.html", companies=mine)

    async def overview(self, ctx: Ctx) -> Response:
        from syncd.commands.status import company_status

        key = str(ctx.company.id) if ctx.company else ""
        rows = await run_in_threadpool(company_status, self.app)
        status = next((r for r in rows if r["company"] == key), {})
        return self.render(ctx, ctx.request, "overview.html", status=status)

    async def review(self, ctx: Ctx) -> Response:
        data = await run_in_threadpool(self._read, views.review_queue, ctx.company_id)
        return self.render(ctx, ctx.request, "review.html", **data)

    def decider(self, ctx: Ctx) -> decisions.Decider:
        assert ctx.company is not None  # noqa: S101 - only company pages decide
        return decisions.Decider(self.app, ctx.company, ctx.company_id, ctx.user.name)

    async def review_decide(self, ctx: Ctx) -> Response:
        assert ctx.form is not None  # noqa: S101 - guarded POST
        ref, action = str(ctx.form.get("ref", "")), str(ctx.form.get("action", ""))
        decider = self.decider(ctx)
        back = f"{self.base(ctx)}/review"
        work: Callable[[], str]
        if ref[:1] in {"R", "r"} and ref[1:].isdigit() and action in {"accept", "reject"}:
            work = partial(decider.reversal, int(ref[1:]), undo=action == "accept")
        elif action == "accept":
            work = partial(decider.accept, ref)
        elif action in {"reject", "reassign"}:
            work = partial(decider.reject, ref)

            def read(session: Any, company_id: int) -> int | None:
                return views.proposal_line(session, company_id, ref=ref)

            line = await run_in_threadpool(self._read, read, ctx.company_id)
            if action == "reassign" and line is not None:
                back = f"{self.base(ctx)}/unmatched/{line}"  # rejected, its money is unmatched: choose
        else:
            raise HTTPException(400, "unknown action")
        return await self.decide(ctx, back, work)

    async def unmatched(self, ctx: Ctx) -> Response:
        dismissed = ctx.request.query_params.get("dismissed") == "1"
        lines = await run_in_threadpool(
            self._read, lambda s, cid: views.unmatched_lines(s, cid, dismissed=dismissed), ctx.company_id
        )
        totals: dict[str, Decimal] = {}
        for line in lines:
            totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.unallocated
        totals_list = sorted(totals.items())
        return self.render(
            ctx, ctx.request, "unmatched.html", lines=lines, dismissed=dismissed, totals=totals_list
        )

    async def line(self, ctx: Ctx) -> Response:
        line_id = int(ctx.request.path_params["line"])
        query = ctx.request.query_params.get("q", "")

        def read(session: Any, company_id: int) -> dict[str, Any]:
            return {
                "line": views.unmatched_line(session, company_id, line_id),
                "invoices": views.search_invoices(session, company_id, query),
            }

        data = await run_in_threadpool(self._read, read, ctx.company_id)
        if data["line"] is None:
            raise HTTPException(404, "this bank line is not unmatched money")
        return self.render(ctx, ctx.request, "line.html", q=query, **data)

    async def line_action(self, ctx: Ctx) -> Response:
        assert ctx.form is not None  # noqa: S101 - guarded POST
        line_id, action = int(ctx.request.path_params["line"]), ctx.request.path_params["action"]
        decider, form = self.decider(ctx), ctx.form
        back = f"{self.base(ctx)}/unmatched"
        work: Callable[[], str]
        if action == "assign":
            invoice = str(form.get("invoice", "")).strip()
            raw = str(form.get("amount", "")).strip()
            if not invoice:
                ctx.session.say("error", "choose an invoice to book the money to")
                return self.redirect(ctx, f"{back}/{line_id}")

            def work() -> str:
                return decider.assign(line_id, invoice, parse_amount(raw) if raw else None)

        elif action == "dismiss":
            work = partial(decider.dismiss, line_id, str(form.get("reason", "")))
        elif action == "undismiss":
            back += "?dismissed=1"
            work = partial(decider.undismiss, line_id)
        else:
            raise HTTPException(404, "unknown action")
        return await self.decide(ctx, back, work)

    async def bookings(self, ctx: Ctx) -> Response:
        rows = await run_in_threadpool(self._read, views.bookings, ctx.company_id)
        return self.render(ctx, ctx.request, "bookings.html", bookings=rows)

    async def booking(self, ctx: Ctx) -> Response:
        allocation_id = int(ctx.request.path_params["allocation"])

        def read(session: Any, company_id: int) -> dict[str, Any]:
            found = views.bookings(session, company_id, allocation_id)
            if not found:
                return {"booking": None}
            steps, refusal = views.undo_preview(session, found[0])
            return {"booking": found[0], "steps": steps, "refusal": refusal}

        data = await run_in_threadpool(self._read, read, ctx.company_id)
        if data["booking"] is None:
            raise HTTPException(404, "no such booking")
        return self.render(ctx, ctx.request, "booking.html", **data)

    async def undo(self, ctx: Ctx) -> Response:
        allocation_id = int(ctx.request.path_params["allocation"])
        if ctx.form is None or ctx.form.get("confirm") != "yes":
            ctx.session.say("error", "tick the box to confirm the deletes in Bokio; nothing was undone")
            return self.redirect(ctx, f"{self.base(ctx)}/bookings/{allocation_id}")
        work = partial(self.decider(ctx).undo, allocation_id)
        return await self.decide(ctx, f"{self.base(ctx)}/bookings/{allocation_id}", work)

    async def files(self, ctx: Ctx) -> Response:
        assert ctx.company is not None  # noqa: S101 - guarded company page
        company = ctx.company

        def read(session: Any, company_id: int) -> list[tuple[Any, bool]]:
            rows = views.bank_files(session, company_id)
            return [(row, views.quarantined_copy(company, row) is not None) for row in rows]

        rows = await run_in_threadpool(self._read, read, ctx.company_id)
        return self.render(ctx, ctx.request, "files.html", files=rows)

    async def reimport(self, ctx: Ctx) -> Response:
        work = partial(self.decider(ctx).reimport, int(ctx.request.path_params["file"]))
        return await self.decide(ctx, f"{self.base(ctx)}/files", work)

    def _read(self, query: Callable[[Any, int], Any], company_id: int) -> Any:
        with self.app.sessions() as session:
            return query(session, company_id)

    # -- the application ------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        """The ASGI application."""
        g = self.guarded
        routes = [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", g(self.logout, company=False), methods=["POST"]),
            Route("/", g(self.home, company=False), methods=["GET"]),
            Route("/c/{company}/", g(self.overview), methods=["GET"]),
            Route("/c/{company}/review", g(self.review), methods=["GET"]),
            Route("/c/{company}/review", g(self.review_decide), methods=["POST"]),
            Route("/c/{company}/unmatched", g(self.unmatched), methods=["GET"]),
            Route("/c/{company}/unmatched/{line:int}", g(self.line), methods=["GET"]),
            Route("/c/{company}/unmatched/{line:int}/{action}", g(self.line_action), methods=["POST"]),
            Route("/c/{company}/bookings", g(self.bookings), methods=["GET"]),
            Route("/c/{company}/bookings/{allocation:int}", g(self.booking), methods=["GET"]),
            Route("/c/{company}/bookings/{allocation:int}/undo", g(self.undo), methods=["POST"]),
            Route("/c/{company}/files", g(self.files), methods=["GET"]),
            Route("/c/{company}/files/{file:int}/reimport", g(self.reimport), methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
        app = Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})
        app.add_middleware(_SecurityHeaders)
        return app

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        html = self.templates.get_template("error.html").render(
            user=None, company=None, csrf="", flash=[], path=request.url.path, status=status, detail=detail
        )
        return HTMLResponse(html, status_code=status)


class _SecurityHeaders:
    """No framing, no sniffing, no caching of pages with money on them, scripts from here only."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
                ]
                if not scope.get("path", "").startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        if scope["type"] == "http":
            await self.app(scope, receive, with_headers)
        else:
            await self.app(scope, receive, send)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host`` or ``https://``): no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def create_app(app: App) -> Starlette:
    """The ASGI application over an :class:`syncd.app.App`."""
    return Web(app).asgi()
