"""``syncd db upgrade|downgrade|current|check``: the schema, through Alembic."""

from __future__ import annotations

import argparse
from typing import Any

from syncd import migrate
from syncd.commands import add_json_flag, build_app, emit_json


def register(subparsers: Any) -> None:
    """Add the ``db`` command group."""
    db = subparsers.add_parser("db", help="database schema: upgrade, downgrade, current, check")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    up = actions.add_parser("upgrade", help="migrate the database to the newest schema (or --revision)")
    up.add_argument("--revision", default="head")
    up.set_defaults(handler=_upgrade)

    down = actions.add_parser("downgrade", help="migrate down to REVISION ('base' removes syncd's tables)")
    down.add_argument("revision")
    down.set_defaults(handler=_downgrade)

    current = actions.add_parser("current", help="show the database's revision and the newest one")
    add_json_flag(current)
    current.set_defaults(handler=_current)

    check = actions.add_parser("check", help="fail if the database or the models differ from the migrations")
    add_json_flag(check)
    check.set_defaults(handler=_check)


def _upgrade(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        migrate.upgrade(app.database_url, args.revision)
        print(f"database at {migrate.current_revision(app.engine)} (head {migrate.head_revision()})")
        return 0


def _downgrade(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        migrate.downgrade(app.database_url, args.revision)
        print(f"database at {migrate.current_revision(app.engine) or 'base'}")
        return 0


def _current(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        current, head = migrate.current_revision(app.engine), migrate.head_revision()
        if args.json:
            emit_json({"current": current, "head": head, "at_head": current == head})
        else:
            print(f"current: {current or 'base (empty)'}\nhead:    {head}")
        return 0 if current == head else 3


def _check(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        result = migrate.check(app.engine)
        if args.json:
            emit_json(
                {
                    "ok": result.ok,
                    "current": result.current,
                    "head": result.head,
                    "differences": [repr(d) for d in result.differences],
                }
            )
        elif result.ok:
            print(f"schema OK: database at head {result.head} and models match the migrations")
        else:
            if result.current != result.head:
                print(
                    f"database at {result.current or 'base'}, migrations at {result.head}: "
                    "run `syncd db upgrade`"
                )
            for difference in result.differences:
                print(f"models differ from migrations: {difference!r}")
            if result.differences:
                print("write a migration: alembic revision --autogenerate -m '...'")
        return 0 if result.ok else 1
