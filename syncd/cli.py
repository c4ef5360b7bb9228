"""The ``syncd`` command: one entry point, one module per subcommand under ``syncd.commands``.

Exit codes: 0 success, 1 the work ran but something failed, 2 bad usage or configuration,
3 the database is not ready (not migrated, unreachable). Every error line printed here passes the
same redactor as the logs, so a token inside an exception message never reaches the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from syncd import __version__
from syncd.errors import ConfigError, SyncdError
from syncd.logging import redact

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_READY = 3

# Each module exposes ``register(subparsers)``; its parsers set ``handler=fn(args) -> int``.
COMMAND_MODULES = (
    "syncd.commands.db",
    "syncd.commands.status",
    "syncd.commands.config",
    "syncd.commands.sandbox",
    "syncd.commands.pull",
    "syncd.commands.budget",
    "syncd.commands.match",
    "syncd.commands.review",
    "syncd.commands.run",
    "syncd.commands.doctor",
    "syncd.commands.companies",
    "syncd.commands.rerun",
    "syncd.commands.connect",
    "syncd.commands.importer",
    "syncd.commands.push",
    "syncd.commands.outbox",
    "syncd.commands.undo",
    "syncd.commands.demo",
    "syncd.commands.audit",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by tests to check every command has --help)."""
    parser = argparse.ArgumentParser(
        prog="syncd",
        description="Reconcile bank money with Bokio invoices: mirror, import, match, push.",
    )
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    parser.add_argument(
        "--config", type=Path, help="TOML config file (default: $SYNCD_CONFIG or config/syncd.toml)"
    )
    parser.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="override log_level"
    )
    parser.add_argument("--log-format", choices=["auto", "json", "console"], help="override log_format")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one exit code per outcome
    """Run one command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        _error(f"syncd: configuration error: {exc}")
        return EXIT_USAGE
    except SyncdError as exc:
        _error(f"syncd: {exc}")
        return int(getattr(exc, "exit_code", EXIT_FAILED))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: show where, but through the redactor like the logs
        from syncd.commands.notready import not_ready  # only on this path: keeps the start light

        message = not_ready(exc)
        if message is not None:  # not migrated / unreachable: the fix, not a traceback
            _error(f"syncd: {message}")
            return EXIT_NOT_READY
        _error(f"syncd: internal error, please report it:\n{traceback.format_exc()}")
        return EXIT_FAILED


def _error(text: str) -> None:
    print(redact(text).rstrip("\n"), file=sys.stderr)
