"""``syncd sandbox serve``: argparse wiring the main CLI mounts, and ``python -m syncd.sandbox.cli``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from syncd.sandbox.core import Sandbox
from syncd.sandbox.limits import Limits
from syncd.sandbox.server import serve


def add_sandbox_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``sandbox serve`` to a parent parser's subparsers; returns the ``sandbox`` parser."""
    sandbox = subparsers.add_parser("sandbox", help="a fake Bokio API for demos and tests")
    commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve_parser = commands.add_parser("serve", help="serve the fake Bokio API over HTTP")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve_parser.add_argument("--token", required=True, help="private-integration token to accept")
    serve_parser.add_argument(
        "--admin-token",
        help="token the /_sandbox/* admin routes require in X-Sandbox-Admin-Token "
        "(default: generated and printed on the second line)",
    )
    serve_parser.add_argument(
        "--company-id",
        required=True,
        action="append",
        help="UUID of a sandbox company (repeat for several; the token serves them all)",
    )
    serve_parser.add_argument("--seed", choices=("demo", "none"), default="demo")
    serve_parser.add_argument("--seed-size", type=int, default=40, help="invoices in the demo seed")
    serve_parser.add_argument(
        "--strict", action="store_true", help="validate traffic against the OpenAPI spec"
    )
    serve_parser.add_argument(
        "--oauth-client",
        action="append",
        default=[],
        metavar="ID:SECRET:REDIRECT_URI",
        help="register a public integration for the OAuth flows (repeatable)",
    )
    serve_parser.add_argument("--rate-limit", type=int, default=200)
    serve_parser.add_argument("--monthly-quota", type=int, default=5000)
    serve_parser.set_defaults(handler=sandbox_main)
    parser: argparse.ArgumentParser = sandbox
    return parser


def run_server(
    host: str,
    port: int,
    *,
    token: str,
    company_id: str | list[str],
    seed: str = "demo",
    seed_size: int = 40,
    strict: bool = False,
    limits: Limits | None = None,
    oauth_clients: list[str] | None = None,
    admin_token: str | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM; prints ``serving <url>`` then ``admin token <token>`` on stdout."""
    company_ids = [company_id] if isinstance(company_id, str) else list(company_id)
    sandbox = Sandbox(strict=strict, limits=limits)
    if seed == "demo":
        from syncd.sandbox.seed import seed_demo

        for index, one in enumerate(company_ids):
            seed_demo(sandbox, company_id=one, token=token, invoices=seed_size, seed=1 + index)
    else:
        for one in company_ids:
            sandbox.add_company(one, token=token)
    for spec in oauth_clients or []:
        client_id, secret, redirect = spec.split(":", 2)
        sandbox.add_client(client_id, secret, redirect)
    server = serve(host, port, sandbox, admin_token)
    print(f"serving {server.url}", flush=True)
    print(f"admin token {server.admin_token}", flush=True)

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def sandbox_main(args: argparse.Namespace) -> int:
    """Entry for the parsed ``sandbox`` command."""
    if args.sandbox_command == "serve":
        limits = Limits(rate_limit=args.rate_limit, monthly_quota=args.monthly_quota)
        return run_server(
            args.host,
            args.port,
            token=args.token,
            company_id=args.company_id,
            seed=args.seed,
            seed_size=args.seed_size,
            strict=args.strict,
            limits=limits,
            oauth_clients=args.oauth_client,
            admin_token=args.admin_token,
        )
    return 2  # pragma: no cover - argparse requires a command


def main(argv: list[str] | None = None) -> int:
    """``python -m syncd.sandbox.cli serve ...`` (same arguments as ``syncd sandbox serve``)."""
    parser = argparse.ArgumentParser(prog="syncd")
    add_sandbox_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", *(sys.argv[1:] if argv is None else argv)])
    return sandbox_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
