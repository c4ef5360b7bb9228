"""General API: ``POST /token`` (three grants), ``GET /authorize`` (auto-consent), connections."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, urlencode

from syncd.sandbox.auth import Grant, Token
from syncd.sandbox.errors import ApiError, not_found
from syncd.sandbox.query import paginate
from syncd.sandbox.router import Ctx, Result, route


def _oauth_error(error: str, description: str, status: int = 400) -> ApiError:
    return ApiError(status, error, description, raw_body={"error": error, "error_description": description})


def _client(ctx: Ctx) -> str:
    header = ctx.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        raise _oauth_error("invalid_client", "Basic client authentication is required", 401)
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _oauth_error("invalid_client", "Malformed Basic credentials", 401) from exc
    client = ctx.sandbox.auth.clients.get(client_id)
    if client is None or client.secret != secret:
        raise _oauth_error("invalid_client", "Unknown client or wrong secret", 401)
    return client_id


@route("POST", "/token")
def token(ctx: Ctx) -> Result:
    """Form-encoded; refresh tokens rotate (the old one stops working)."""
    client_id = _client(ctx)
    form = dict(parse_qsl(ctx.raw_body.decode()))
    grant_type = form.get("grant_type")
    auth = ctx.sandbox.auth
    now = ctx.sandbox.clock()
    if grant_type == "client_credentials":
        return 200, auth.issue_general_token(client_id, now)
    grant: Grant | None
    if grant_type == "authorization_code":
        grant = auth.codes.pop(form.get("code", ""), None)
        if grant is None or grant.client_id != client_id or (grant.expires and grant.expires <= now):
            raise _oauth_error("invalid_grant", "The authorization code is invalid or expired")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
    elif grant_type == "refresh_token":
        grant = auth.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if grant is None or grant.client_id != client_id:
            raise _oauth_error("invalid_grant", "The refresh token is invalid")
    else:
        raise _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    return 200, auth.issue_company_token(grant, now)


@route("GET", "/authorize")
def authorize(ctx: Ctx) -> Result:
    """Consents immediately for ``bokio_tenantid`` (or the only company) and redirects with a code."""
    q = ctx.query
    client = ctx.sandbox.auth.clients.get(q.get("client_id", ""))
    if q.get("response_type") != "code" or client is None or not q.get("state"):
        raise _oauth_error("invalid_request", "response_type=code, a known client_id and state are required")
    redirect = q.get("redirect_uri", "")
    if client.redirect_uris and redirect not in client.redirect_uris:
        raise _oauth_error("invalid_request", "redirect_uri is not registered")
    companies = list(ctx.sandbox.companies)
    tenant = q.get("bokio_tenantid") or (companies[0] if len(companies) == 1 else None)
    if tenant not in ctx.sandbox.companies:
        raise _oauth_error(
            "invalid_request", "bokio_tenantid is required when the user has several companies"
        )
    code = ctx.sandbox.authorize(client.client_id, tenant, redirect)
    return 302, f"{redirect}?{urlencode({'code': code, 'state': q['state']})}"


def _general_token(ctx: Ctx) -> Token:
    header = ctx.headers.get("authorization", "")
    text = header[7:].strip() if header.lower().startswith("bearer ") else None
    found = ctx.sandbox.auth.lookup(text, ctx.sandbox.clock())
    if found is None or found.kind != "general":
        raise ApiError(401, "unauthorized", "Unauthorized", body=False)
    return found


def _connection_json(ctx: Ctx, connection: Any) -> dict[str, Any]:
    company = ctx.sandbox.companies.get(connection.tenant_id)
    return connection.to_json(company.info["name"] if company else "")  # type: ignore[no-any-return]


@route("GET", "/connections")
def connections(ctx: Ctx) -> Result:
    client_id = _general_token(ctx).client_id
    tenant = ctx.query.get("tenantId")
    items = [
        _connection_json(ctx, c)
        for c in ctx.sandbox.auth.connections.values()
        if c.client_id == client_id and (not tenant or c.tenant_id == tenant)
    ]
    return 200, paginate(items, ctx.query, default_size=20)


def _connection(ctx: Ctx) -> Any:
    client_id = _general_token(ctx).client_id
    found = ctx.sandbox.auth.connections.get(ctx.params["connectionId"])
    if found is None or found.client_id != client_id:
        raise not_found("connection", ctx.params["connectionId"])
    return found


@route("GET", "/connections/{connectionId}")
def connection(ctx: Ctx) -> Result:
    return 200, _connection_json(ctx, _connection(ctx))


@route("DELETE", "/connections/{connectionId}")
def delete_connection(ctx: Ctx) -> Result:
    ctx.sandbox.auth.delete_connection(_connection(ctx).id)
    return 204, None
