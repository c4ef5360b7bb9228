"""Route table: ``(method, path template) -> handler``; templates use the OpenAPI spelling.

Handlers see the sandbox only through :class:`Host` (what the General API routes need), so the
route modules sit below :mod:`syncd.sandbox.core`, which implements it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from syncd.sandbox import jsonutil
from syncd.sandbox.auth import AuthStore
from syncd.sandbox.errors import ApiError, FieldError
from syncd.sandbox.ledger import Books
from syncd.sandbox.state import Company


class Host(Protocol):
    """The sandbox as route handlers see it: tokens, companies, the clock and consent."""

    auth: AuthStore
    companies: dict[str, Company]

    def clock(self) -> datetime: ...

    def new_id(self) -> str: ...

    def authorize(self, client_id: str, company_id: str, redirect_uri: str) -> str: ...


@dataclass
class Ctx:
    """What a handler sees: path params, query, the raw body, and the company's books."""

    sandbox: Host
    method: str
    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes
    books_: Books | None = None
    token: str | None = None
    _json: Any = field(default=None, repr=False)

    @property
    def books(self) -> Books:
        assert self.books_ is not None, "company route without a company"  # noqa: S101 - router invariant
        return self.books_

    def json(self) -> Any:
        """The body parsed with Decimal money; malformed JSON is a 400 at ``#``."""
        if self._json is None:
            try:
                self._json = jsonutil.loads(self.raw_body or b"null")
            except ValueError as exc:
                message = f"The request body is not valid JSON: {exc}"
                raise ApiError(400, "validation-error", message, [FieldError("#", message)]) from exc
        return self._json


Result = tuple[int, Any]
Handler = Callable[[Ctx], Result]


@dataclass(frozen=True)
class Route:
    """One operation; ``feature`` names a price-plan feature the route needs."""

    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]
    feature: str | None = None

    @property
    def write(self) -> bool:
        return self.method != "GET"

    @property
    def company(self) -> bool:
        return self.template.startswith("/companies/")


ROUTES: list[Route] = []


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{regex}$")


def route(method: str, template: str, *, feature: str | None = None) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``method`` + ``template`` (relative to ``/v1``)."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, template, handler, _compile(template), feature))
        return handler

    return register


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """``(route, params, path_known)``; ``path_known`` without route means a 405-ish mismatch."""
    known = False
    for candidate in ROUTES:
        found = candidate.pattern.match(path)
        if found:
            known = True
            if candidate.method == method:
                return candidate, found.groupdict(), True
    return None, {}, known


def template_of(path: str) -> str:
    """The template a concrete path matches (any method), or the path itself."""
    for candidate in ROUTES:
        if candidate.pattern.match(path):
            return candidate.template
    return path
