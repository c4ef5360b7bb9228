"""``syncd pull``: mirror Bokio now (incremental, ``--full`` sweep, or ``--dry-run`` estimate)."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, build_app, emit_json
from syncd.pull import STREAMS, Puller, PullReport


def register(subparsers: Any) -> None:
    """Add the ``pull`` command."""
    parser = subparsers.add_parser("pull", help="mirror Bokio into the database (budget-aware)")
    parser.add_argument("--company", help="only this Bokio company id (default: every configured one)")
    parser.add_argument(
        "--stream", action="append", choices=STREAMS, help="only this stream (repeatable; default: all)"
    )
    parser.add_argument("--full", action="store_true", help="full sweep: list everything, detect deletions")
    parser.add_argument("--dry-run", action="store_true", help="print the calls it would make; call nothing")
    add_json_flag(parser)
    parser.set_defaults(handler=_pull)


def _pull(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        companies = [app.settings.company(args.company)] if args.company else list(app.settings.companies)
        puller = Puller(app)
        reports = [
            puller.pull(company, streams=args.stream, full=args.full, dry_run=args.dry_run)
            for company in companies
        ]
    if args.json:
        emit_json({"reports": [report.to_json() for report in reports]})
    else:
        for report in reports:
            _print(report)
    return 1 if any(report.problems for report in reports) else 0


def _print(report: PullReport) -> None:
    if report.skipped:
        print(f"{report.company}: {report.skipped}")
        return
    if report.dry_run:
        total = sum(call.count for call in report.planned)
        print(f"{report.company}: would make ~{total} request(s)")
        for call in report.planned:
            print(f"  {call.describe()}")
        return
    kind = "full sweep" if report.full else "incremental pull"
    print(f"{report.company}: {kind}, {report.total_requests} Bokio request(s)")
    for stream, rows in report.rows.items():
        print(
            f"  {stream}: {report.requests.get(stream, 0)} req, +{rows.inserted} ~{rows.updated} "
            f"={rows.unchanged} -{rows.deleted}"
        )
    for problem in report.problems:
        print(f"  problem: {problem}")
    if report.paused_until:
        print(f"  paused until {report.paused_until.isoformat()}")
