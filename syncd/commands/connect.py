"""``syncd connect``: connect a company through Bokio's OAuth flow (public integrations).

Two steps, so it works on a server without a browser:

1. ``syncd connect --company ID`` prints the URL to open; the state it carries is kept in
   ``state_dir/oauth/<company>.state`` (mode 0600);
2. after consenting, Bokio redirects the browser to the redirect URI; pass that whole URL:
   ``syncd connect --company ID --callback 'https://…/callback?code=…&state=…'``. The state is
   checked, the code exchanged, and the tokens stored; syncd refreshes them from then on.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

from syncd.bokio import OAuthClient
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.match import selected_companies
from syncd.errors import ConfigError

SCOPES = [
    "company-information:read",
    "invoices:read",
    "invoices:write",
    "customers:read",
    "journal-entries:read",
    "journal-entries:write",
    "chart-of-accounts:read",
    "fiscal-years:read",
    "sie:read",
    "tags:read",
    "tags:write",
]


def register(subparsers: Any) -> None:
    """Add the ``connect`` command."""
    connect = subparsers.add_parser(
        "connect", help="connect a company with Bokio's OAuth flow (public integrations)"
    )
    connect.add_argument("--company", help="Bokio company id (default: the only configured one)")
    connect.add_argument("--callback", help="the URL Bokio redirected the browser to (second step)")
    add_json_flag(connect)
    connect.set_defaults(handler=_connect)


def _connect(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        companies = selected_companies(app.settings, args.company)
        if len(companies) > 1:
            raise ConfigError("several companies are configured: name one with --company")
        company = companies[0]
        if company.auth != "oauth":
            raise ConfigError(f'company {company.id} uses a private token; set auth = "oauth" to connect it')
        oauth = app.oauth_client()
        state_file = app.token_store().directory / f"{company.id}.state"
        if not args.callback:
            request = oauth.authorization_url(scopes=SCOPES, tenant_id=str(company.id))
            _write_private(state_file, request.state)
            result: dict[str, Any] = {"step": "authorize", "url": request.url}
            message = "open this URL, consent, then run again with --callback '<the URL you land on>':\n"
            message += request.url
        else:
            if not state_file.exists():
                raise ConfigError("no connect in progress for this company: run without --callback first")
            params = dict(parse_qsl(urlparse(args.callback).query))
            code = OAuthClient.code_from_callback(params, expected_state=state_file.read_text().strip())
            tokens = oauth.exchange_code(code)
            app.token_store().save(str(company.id), tokens)
            state_file.unlink()
            result = {
                "step": "connected",
                "company": str(company.id),
                "expires_at": tokens.expires_at.isoformat(),
            }
            message = f"company {company.id} connected; tokens stored in {app.token_store().directory}"
    if args.json:
        emit_json(result)
    else:
        print(message)
    return 0


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
