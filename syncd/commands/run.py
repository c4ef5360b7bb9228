"""``syncd run``: the daemon; ``syncd run --once``: one full cycle for every company, then exit."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, build_app, emit_json


def register(subparsers: Any) -> None:
    """Add the ``run`` command."""
    run = subparsers.add_parser("run", help="run the daemon (or one cycle with --once)")
    run.add_argument("--once", action="store_true", help="one full cycle for every company, then exit")
    run.add_argument(
        "--full", action="store_true", help="with --once: a full sweep instead of an incremental pull"
    )
    add_json_flag(run)
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        if args.once:
            from syncd.daemon.cycle import run_once

            reports = run_once(app, full=args.full)
            if args.json:
                emit_json({"companies": [r.to_json() for r in reports]})
            else:
                for report in reports:
                    print(f"{report.company}: {'ok' if report.ok else 'FAILED'}")
                    for stage in report.stages:
                        state = (
                            "skipped: " + stage.skipped if stage.skipped else ("ok" if stage.ok else "failed")
                        )
                        print(
                            f"  {stage.stage:<7} {state} ({stage.seconds:.1f} s)"
                            + (f" {stage.error}" if stage.error else "")
                        )
            return 0 if all(r.ok for r in reports) else 1

        from syncd.daemon.service import Daemon
        from syncd.ops.shutdown import ShutdownSignal

        with ShutdownSignal() as shutdown:
            return Daemon(app, shutdown=shutdown).run()
