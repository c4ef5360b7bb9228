"""``syncd run``: the daemon; ``syncd run --once``: one full cycle for every company, then exit.

``run --once`` exits 1 when a stage failed or was skipped for a reason other than "nothing to do"
(a paused company, another process holding the stage), so a cron job notices.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.notready import require_schema

if TYPE_CHECKING:
    from syncd.daemon.cycle import StageResult


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
        require_schema(app)  # exit 3 "run `syncd db upgrade`", not a failed stage per company
        if args.once:
            from syncd.daemon.cycle import run_once

            reports = run_once(app, full=args.full)
            if args.json:
                emit_json({"companies": [r.to_json() for r in reports]})
            else:
                for report in reports:
                    verdict = "ok" if report.complete else ("FAILED" if not report.ok else "INCOMPLETE")
                    print(f"{report.company}: {verdict}")
                    for stage in report.stages:
                        print(f"  {stage.stage:<7} {_stage_line(stage)} ({stage.seconds:.1f} s)")
            # a stage skipped for a pause or a busy lock did not do its work: say so in the exit code
            return 0 if all(r.complete for r in reports) else 1

        from syncd.daemon.service import Daemon
        from syncd.ops.shutdown import ShutdownSignal

        with ShutdownSignal() as shutdown:
            return Daemon(app, shutdown=shutdown).run()


def _stage_line(stage: StageResult) -> str:
    """``ok``, ``failed: why`` or ``skipped: why``; a pause names its fix."""
    if not stage.ok:
        text = f"failed: {stage.error}"
    elif stage.skipped:
        text = ("nothing to do: " if stage.nothing_to_do else "skipped: ") + stage.skipped
    else:
        text = "ok"
    pause = stage.detail.get("pause") if isinstance(stage.detail, dict) else None
    if pause:
        text += f"\n          fix: {pause['fix']}"
    if stage.detail.get("resumed"):
        text += f" ({stage.detail['resumed']})"
    return text
