"""``syncd web``: the page where bookkeepers decide what syncd was unsure of; ``web user add`` adds who may.

It serves the review queue, unmatched money, bookings (with undo) and bank files of each company
on the same database as the CLI, through the same functions, on ``[web] host:port`` (default
127.0.0.1:8108). ``syncd web user add NAME`` asks for a password and appends a ``[[web.users]]``
entry holding only its argon2 hash to the config file (or prints it when there is no file).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from syncd import jsonutil
from syncd.commands import build_app, load
from syncd.errors import ConfigError
from syncd.settings import DEFAULT_CONFIG_PATH

HELP = "the bookkeeper's web page: review queue, unmatched money, bookings and undo"


def register(subparsers: Any) -> None:
    """Add the ``web`` command."""
    parser = subparsers.add_parser(
        "web",
        help=HELP,
        description="Serve the review queue, unmatched money, bookings (with undo) and bank files of "
        "each company on the CLI's database, through the CLI's functions, on [web] host:port "
        "(default 127.0.0.1:8108). Sign-in: users added by `syncd web user add NAME`.",
    )
    parser.add_argument("--host", help="address to listen on (default: [web] host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: [web] port, 8108)")
    parser.set_defaults(handler=_serve)
    actions = parser.add_subparsers(dest="web_command", metavar="ACTION")
    user = actions.add_parser("user", help="manage the people who may sign in")
    user_actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_actions.add_parser("add", help="add a user with an argon2-hashed password")
    add.add_argument("name", help="the name to sign in with (no spaces)")
    add.add_argument(
        "--company",
        action="append",
        default=[],
        help="Bokio company id the user may see and decide for; repeatable (default: every company)",
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (scripts)"
    )
    add.set_defaults(handler=_user_add)


def _serve(args: argparse.Namespace) -> int:
    from syncd.web.server import check_users, serve

    with build_app(args) as app:
        check_users(app)
        host = args.host or app.settings.web.host
        port = app.settings.web.port if args.port is None else args.port
        print(f"syncd web on http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
        serve(app, host, port)
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise ConfigError("the two passwords differ; nothing was written")
    if len(password) < 10:
        raise ConfigError("a password needs at least 10 characters; nothing was written")
    return password


def _user_add(args: argparse.Namespace) -> int:
    from syncd.web.auth import hash_password

    name = args.name.strip()
    if not name or any(c.isspace() for c in name):
        raise ConfigError(f"{args.name!r}: a user name has no spaces")
    settings = load(args)
    if settings.web.user(name) is not None:
        raise ConfigError(f"web user {name!r} exists already; remove its [[web.users]] entry first")
    block = "\n[[web.users]]\n" + f"name = {jsonutil.dumps(name)}\n"
    block += f"password_hash = {jsonutil.dumps(hash_password(_password(args.password_stdin)))}\n"
    if args.company:
        block += f"companies = [{', '.join(jsonutil.dumps(c) for c in args.company)}]\n"
    path = args.config or Path(os.environ.get("SYNCD_CONFIG") or DEFAULT_CONFIG_PATH)
    if not path.is_file():
        print(f"no config file at {path}: add this to yours\n{block}")
        return 0
    with path.open("a", encoding="utf-8") as out:
        out.write(block)
    print(f"web user {name} added to {path}; restart `syncd web` (or the daemon) to let them in")
    return 0
