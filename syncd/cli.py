"""The ``syncd`` command: one entry point, one module per subcommand under ``syncd.commands``.

Exit codes: 0 success, 1 the work ran but something failed, 2 bad usage or configuration,
3 the database is not ready (not migrated, unreachable). Every error line printed here passes the
same redactor as the logs, so a token inside an exception message never reaches the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from syncd import __version__
from syncd.errors import ConfigError, SyncdError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_READY = 3

# Each module exposes ``register(subparsers)`` adding the one command named here; its parsers set
# ``handler=fn(args) -> int``. The one-line help lives in this table too, so ``syncd --help`` (and a
# mistyped command) needs no command module: a command module, with its SQLAlchemy, pydantic or
# Alembic imports, is imported only when that command runs (tests check the table against them).
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("syncd.commands.db", "database schema: upgrade, downgrade, current, check"),
    "status": (
        "syncd.commands.status",
        "per company: last sync, budget, open invoices, unmatched money, review queue, outbox",
    ),
    "config": ("syncd.commands.config", "show the effective configuration"),
    "sandbox": ("syncd.commands.sandbox", "a fake Bokio API for demos and tests"),
    "pull": ("syncd.commands.pull", "mirror Bokio into the database (budget-aware)"),
    "budget": ("syncd.commands.budget", "monthly Bokio request budget per company (no Bokio calls)"),
    "calibrate": (
        "syncd.commands.calibrate",
        "check Bokio's open rules against each company's own books (no Bokio calls)",
    ),
    "match": ("syncd.commands.match", "propose allocations of bank money to open invoices"),
    "review": ("syncd.commands.review", "decide proposals; list, assign or dismiss unmatched bank money"),
    "run": ("syncd.commands.run", "run the daemon (or one cycle with --once)"),
    "doctor": ("syncd.commands.doctor", "check configuration, database, Bokio access and plan features"),
    "companies": ("syncd.commands.companies", "the configured companies"),
    "rerun": ("syncd.commands.rerun", "re-run a date window of one company's pipeline"),
    "connect": ("syncd.commands.connect", "connect a company with Bokio's OAuth flow (public integrations)"),
    "import": (
        "syncd.commands.importer",
        "import bank files (camt, BgMax, bank CSV, PSP reports) into the database",
    ),
    "push": ("syncd.commands.push", "send accepted allocations to Bokio through the outbox"),
    "outbox": ("syncd.commands.outbox", "list, retry or cancel outbox commands"),
    "undo": (
        "syncd.commands.undo",
        "delete the payment and settlements an allocation created; never book that pair again",
    ),
    "demo": (
        "syncd.commands.demo",
        "reconcile a realistic bank day against the built-in Bokio sandbox (no account needed)",
    ),
    "audit": (
        "syncd.commands.audit",
        "check every booking syncd made against Bokio's own ledger (SIE export)",
    ),
    "web": (
        "syncd.commands.web",
        "the bookkeeper's web page: review queue, unmatched money, bookings and undo",
    ),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


class _Parser(argparse.ArgumentParser):
    """An argument parser that suggests the closest command for a mistyped one (at every level)."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if isinstance(action, argparse._SubParsersAction) and choices is not None and value not in choices:
            import difflib  # only for a mistyped command

            names = [str(name) for name in choices]
            close = difflib.get_close_matches(str(value), names, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise argparse.ArgumentError(
                action, f"unknown command {value!r}{hint} (choose from {', '.join(names)})"
            )
        super()._check_value(action, value)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``argv``, only the command ``argv`` names is fully registered.

    Without ``argv`` every command module is imported (tests use this to walk every command).
    With it, the other commands are listed by name and help only, which keeps start-up light.
    """
    parser = _root_parser()
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = set(COMMANDS) if argv is None else {_command_named(parser, argv)}
    for name, (module_name, help_text) in COMMANDS.items():
        if name in wanted:
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def _root_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    return parser


def _command_named(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """The first positional word of ``argv`` (the command), skipping the global options' values."""
    with_value = [
        option for action in parser._actions if action.nargs != 0 for option in action.option_strings
    ]
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if not word.startswith("-") or word == "-":
            return word
        if "=" not in word and any(option.startswith(word) for option in with_value if word.startswith("--")):
            next(words, None)  # --config PATH (or an unambiguous prefix, as argparse allows)
    return None


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one exit code per outcome
    """Run one command and return its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
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
        import traceback

        from syncd.commands.notready import not_ready  # only on this path: keeps the start light

        message = not_ready(exc)
        if message is not None:  # not migrated / unreachable: the fix, not a traceback
            _error(f"syncd: {message}")
            return EXIT_NOT_READY
        _error(f"syncd: internal error, please report it:\n{traceback.format_exc()}")
        return EXIT_FAILED


def _error(text: str) -> None:
    from syncd.logging import redact  # structlog: only when there is an error to print

    print(redact(text).rstrip("\n"), file=sys.stderr)
