"""``syncd demo``: the README's main job — one full cycle on the built-in Bokio sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from syncd.commands import add_json_flag
from syncd.logging import configure_logging


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    demo = subparsers.add_parser(
        "demo",
        help="reconcile a realistic bank day against the built-in Bokio sandbox (no account needed)",
        description=(
            "Start the Bokio sandbox on 127.0.0.1, seed a Swedish company, write a day of bank "
            "files (camt.054 and a Stripe payout report) into an inbox, run one full syncd cycle "
            "against it over HTTP with the embedded SQLite database, and report what was booked, "
            "what waits for review and why. Repeatable: the database and inbox are recreated."
        ),
    )
    demo.add_argument(
        "--workdir", type=Path, default=Path("var/demo"), help="database and inbox (default: var/demo)"
    )
    demo.add_argument("--seed", type=int, default=1, help="same seed, same company and day (default: 1)")
    demo.add_argument(
        "--web",
        action="store_true",
        help="afterwards keep the web app (and the sandbox) running on the demo's database until Ctrl-C, "
        "with a one-time demo user",
    )
    demo.add_argument("--web-port", type=int, default=8108, help="port of --web (default: 8108)")
    add_json_flag(demo)
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from syncd.demo.report import print_report
    from syncd.demo.run import run_demo

    # The demo builds its own settings; only warnings and errors are logged, so the report reads clean.
    configure_logging(level=args.log_level or "WARNING", fmt=args.log_format or "auto")
    if not args.web:
        run = run_demo(args.workdir, seed=args.seed)
        print_report(run, as_json=args.json)
        return 0 if run.ok else 1

    from syncd.web.demo import serve_demo

    def then(run: Any, settings: Any) -> None:
        print_report(run, as_json=args.json)
        serve_demo(settings, port=args.web_port)

    run = run_demo(args.workdir, seed=args.seed, then=then)
    return 0 if run.ok else 1
