"""``syncd budget``: Bokio requests used this month, what is left, and the poll interval it allows."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, build_app, emit_json
from syncd.pull.schedule import poll_plan


def register(subparsers: Any) -> None:
    """Add the ``budget`` command."""
    parser = subparsers.add_parser("budget", help="monthly Bokio request budget per company (no Bokio calls)")
    parser.add_argument("--company", help="only this Bokio company id")
    add_json_flag(parser)
    parser.set_defaults(handler=_budget)


def _budget(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        ids = (
            [str(app.settings.company(args.company).id)]
            if args.company
            else [str(c.id) for c in app.settings.companies]
        )
        now = app.clock()
        with app.sessions() as session:
            views = [poll_plan(session, bokio_id, app.settings.budget, now=now).to_json() for bokio_id in ids]
    if args.json:
        emit_json({"companies": views})
        return 0
    for view in views:
        paused = f", paused until {view['paused_until']}" if view["paused_until"] else ""
        print(
            f"{view['company']}: used {view['used']}/{view['quota']} (reads {view['reads']}, writes "
            f"{view['writes']}), remaining {view['remaining']}, projected month end "
            f"{view['projected_month_end']}; next poll in {view['poll_interval_s'] // 60} min "
            f"({view['poll_reason']}, ~{view['cost_per_poll']} requests a poll, "
            f"{view['poll_allowance']} left for polls){paused}"
        )
    return 0
