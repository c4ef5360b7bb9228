"""Tokens, OAuth clients and connections (General API, reference §2).

Undocumented and decided here: refresh tokens rotate (each refresh invalidates the old one);
authorization codes live 5 minutes and are single-use; access tokens issued by ``/token`` live
3600 s; private-integration tokens configured on the sandbox never expire.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

TokenKind = Literal["private", "company", "general"]
ACCESS_TOKEN_SECONDS = 3600
CODE_SECONDS = 300


@dataclass
class Token:
    """An access token: which companies it opens and until when."""

    kind: TokenKind
    companies: set[str]
    expires: datetime | None = None
    client_id: str | None = None
    connection_id: str | None = None


@dataclass
class Client:
    """A registered public integration."""

    client_id: str
    secret: str
    redirect_uris: set[str] = field(default_factory=set)


@dataclass
class Grant:
    """An authorization code or refresh token bound to a client and a company connection."""

    client_id: str
    company_id: str
    connection_id: str
    redirect_uri: str | None
    expires: datetime | None


@dataclass
class Connection:
    """A public integration connected to a company."""

    id: str
    client_id: str
    tenant_id: str

    def to_json(self, tenant_name: str) -> dict[str, str]:
        return {"id": self.id, "tenantId": self.tenant_id, "tenantName": tenant_name, "type": "company"}


class AuthStore:
    """All credentials the sandbox accepts."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.connections: dict[str, Connection] = {}

    def lookup(self, token: str | None, now: datetime) -> Token | None:
        found = self.tokens.get(token or "")
        if found is None or (found.expires is not None and found.expires <= now):
            return None
        return found

    def issue_code(
        self, client_id: str, company_id: str, redirect_uri: str, now: datetime, connection_id: str
    ) -> str:
        """Mint a single-use authorization code (what ``/authorize`` redirects with)."""
        connection = next(
            (c for c in self.connections.values() if c.client_id == client_id and c.tenant_id == company_id),
            None,
        )
        if connection is None:
            connection = Connection(connection_id, client_id, company_id)
            self.connections[connection.id] = connection
        code = secrets.token_urlsafe(16)
        expires = now + timedelta(seconds=CODE_SECONDS)
        self.codes[code] = Grant(client_id, company_id, connection.id, redirect_uri, expires)
        return code

    def issue_company_token(self, grant: Grant, now: datetime) -> dict[str, object]:
        """Access + rotated refresh token for a company connection (token response shape)."""
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        expires = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        self.tokens[access] = Token(
            "company", {grant.company_id}, expires, grant.client_id, grant.connection_id
        )
        self.refresh_tokens[refresh] = Grant(
            grant.client_id, grant.company_id, grant.connection_id, None, None
        )
        return {
            "tenant_id": grant.company_id,
            "tenant_type": "company",
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh,
            "connection_id": grant.connection_id,
        }

    def issue_general_token(self, client_id: str, now: datetime) -> dict[str, object]:
        """Client-credentials token: General API only, no refresh token."""
        access = secrets.token_urlsafe(24)
        expires = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        self.tokens[access] = Token("general", set(), expires, client_id)
        return {
            "tenant_id": "",
            "tenant_type": "general",
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "connection_id": "",
        }

    def delete_connection(self, connection_id: str) -> None:
        """Remove the connection and every token bound to it (not the data it created)."""
        self.connections.pop(connection_id, None)
        for store in (self.tokens, self.refresh_tokens):
            for key in [k for k, v in store.items() if getattr(v, "connection_id", None) == connection_id]:
                del store[key]
