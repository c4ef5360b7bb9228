"""``syncd pull``: mirror Bokio now (incremental, ``--full`` sweep, or ``--dry-run`` estimate)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.progress import terminal_bar
from syncd.pull import STREAMS, Puller, PullReport
from syncd.pull.spread import DAY_SHARE

if TYPE_CHECKING:
    from syncd.app import App
    from syncd.commands.progress import TerminalBar
    from syncd.pull.run import PullProgress
    from syncd.settings import CompanySettings

LARGE_PULL_SHARE = DAY_SHARE
"""A first pull or full sweep estimated above this share of the month's requests needs ``--yes``:
the same share the daemon spends a day on one it cannot ask about (:mod:`syncd.pull.spread`)."""


def register(subparsers: Any) -> None:
    """Add the ``pull`` command."""
    parser = subparsers.add_parser("pull", help="mirror Bokio into the database (budget-aware)")
    parser.add_argument("--company", help="only this Bokio company id (default: every configured one)")
    parser.add_argument(
        "--stream", action="append", choices=STREAMS, help="only this stream (repeatable; default: all)"
    )
    parser.add_argument("--full", action="store_true", help="full sweep: list everything, detect deletions")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the calls it would make (a first pull samples a few listing pages to estimate)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help=f"go ahead with a first pull or full sweep estimated above {LARGE_PULL_SHARE:.0%} of the month",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=_pull)


def _pull(args: argparse.Namespace) -> int:
    bar = terminal_bar(args)
    refused = False
    with build_app(args) as app:
        companies = [app.settings.company(args.company)] if args.company else list(app.settings.companies)
        puller = app.puller(on_progress=_drawn_on(bar) if bar is not None else None)
        reports = []
        for company in companies:
            expected = None if args.dry_run else _expected_requests(app, puller, company, args)
            if expected is not None and not args.yes and expected > LARGE_PULL_SHARE * _quota(app):
                reports.append(_refusal(app, company, expected, full=args.full))
                refused = True
                continue
            if bar is not None:
                bar.start(f"{company.id}: pulling", expected)
            try:
                reports.append(
                    puller.pull(company, streams=args.stream, full=args.full, dry_run=args.dry_run)
                )
            finally:
                if bar is not None:
                    bar.stop()
    if args.json:
        emit_json({"reports": [report.to_json() for report in reports]})
    else:
        for report in reports:
            _print(report)
    return 1 if refused or any(report.problems for report in reports) else 0


def _drawn_on(bar: TerminalBar) -> Callable[[PullProgress], None]:
    """The puller's progress on the bar: requests made (of the estimate) and the scan it is in."""

    def show(event: PullProgress) -> None:
        bar.update(event.requests, f"{event.company}: {event.describe()}")

    return show


def _expected_requests(
    app: App, puller: Puller, company: CompanySettings, args: argparse.Namespace
) -> int | None:
    """The estimate of a first pull or full sweep (None for an ordinary incremental pull).

    A first pull's estimate samples a few listing pages (a handful of requests, counted); a full
    sweep's comes from the mirror.
    """
    from syncd.pull.dryrun import first_pull_pending

    with app.sessions() as session:
        first = first_pull_pending(session, str(company.id), args.stream)
    if not (first or args.full):
        return None
    estimate = puller.estimate(company, streams=args.stream, full=args.full)
    if estimate.skipped:
        return None  # paused: the pull itself says so
    return sum(call.count for call in estimate.planned)


def _quota(app: App) -> int:
    return app.settings.budget.monthly_quota


def _refusal(app: App, company: CompanySettings, expected: int, *, full: bool) -> PullReport:
    """A report that skips a pull too large to start without ``--yes``."""
    quota = _quota(app)
    report = PullReport(str(company.id), full=full)
    kind = "full sweep" if full else "first pull"
    report.skipped = (
        f"a {kind} would use ~{expected} of the month's {quota} Bokio requests ({expected / quota:.0%}); "
        "run again with --yes to go ahead (--dry-run lists the calls)"
    )
    return report


def _print(report: PullReport) -> None:
    if report.skipped:
        print(f"{report.company}: {report.skipped}")
        return
    if report.dry_run:
        total = sum(call.count for call in report.planned)
        print(f"{report.company}: would make ~{total} request(s)")
        if report.requests.get("estimate"):
            sampled = report.requests["estimate"]
            print(f"  (estimated from {sampled} sampled listing page(s), already counted)")
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
