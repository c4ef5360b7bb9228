"""Subcommands of ``syncd``; shared helpers for building the app and printing results."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from syncd import jsonutil
from syncd.app import App
from syncd.logging import configure_logging
from syncd.settings import Settings, load_settings


def load(args: argparse.Namespace) -> Settings:
    """Settings for a command, with logging configured (secrets registered for redaction)."""
    settings = load_settings(config_path=getattr(args, "config", None))
    configure_logging(
        level=getattr(args, "log_level", None) or settings.log_level,
        fmt=getattr(args, "log_format", None) or settings.log_format,
        secrets=settings.secrets(),
    )
    return settings


def build_app(args: argparse.Namespace) -> App:
    """The composition root for a command."""
    return App(load(args))


def emit_json(value: Any) -> None:
    """Print one JSON document (Decimals exact) on stdout."""
    sys.stdout.write(jsonutil.dumps(value) + "\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """The ``--json`` flag every reporting command has."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
