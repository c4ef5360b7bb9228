"""``syncd config show``: the effective configuration, secrets redacted."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, emit_json, load
from syncd.logging import REDACTOR


def register(subparsers: Any) -> None:
    """Add the ``config`` command group."""
    config = subparsers.add_parser("config", help="show the effective configuration")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the merged configuration with secrets redacted")
    add_json_flag(show)
    show.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    settings = load(args)
    data = REDACTOR.scrub(settings.model_dump(mode="json"))
    if args.json:
        emit_json(data)
    else:
        for key, value in data.items():
            print(f"{key} = {value}")
    return 0
