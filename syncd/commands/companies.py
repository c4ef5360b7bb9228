"""``syncd companies list``: the companies this instance serves, as configured (no Bokio calls);
``syncd companies resume ID``: end a company's pause now (and with ``--tagging``, turn tagging back on).
"""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, build_app, emit_json, load
from syncd.errors import SyncdError


def register(subparsers: Any) -> None:
    """Add the ``companies`` command group."""
    companies = subparsers.add_parser("companies", help="the configured companies")
    actions = companies.add_subparsers(dest="companies_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the configured companies")
    add_json_flag(listing)
    listing.set_defaults(handler=_list)
    resume = actions.add_parser(
        "resume", help="end a company's pause now (after fixing its token, plan or quota)"
    )
    resume.add_argument("company", metavar="ID", help="the Bokio company id")
    resume.add_argument(
        "--tagging", action="store_true", help="also turn tagging back on (after a 403 turned it off)"
    )
    add_json_flag(resume)
    resume.set_defaults(handler=_resume)


def _list(args: argparse.Namespace) -> int:
    settings = load(args)
    rows: list[dict[str, Any]] = [
        {
            "id": str(c.id),
            "name": c.name,
            "auth": c.auth,
            "token": "configured" if c.token is not None else "missing",
            "bank_inbox": str(c.bank_inbox) if c.bank_inbox else None,
            "payment_account": c.payment_account,
            "matching_overrides": sorted(c.matching),
        }
        for c in settings.companies
    ]
    if args.json:
        emit_json({"companies": rows})
        return 0
    if not rows:
        print("no companies configured (set SYNCD_COMPANY_ID and SYNCD_BOKIO_TOKEN, or [[companies]])")
    for row in rows:
        print(
            f"{row['id']}  {row['name'] or '-'}  auth {row['auth']} (token {row['token']})  "
            f"inbox {row['bank_inbox'] or '-'}  account {row['payment_account']}"
            + (f"  rules: {', '.join(row['matching_overrides'])}" if row["matching_overrides"] else "")
        )
    return 0


def _resume(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from syncd.mirror import pauses
    from syncd.mirror.tables import Company
    from syncd.outbox import tagging
    from syncd.outbox.wake import wake_parked

    with build_app(args) as app, app.sessions.begin() as session:
        row = session.scalar(select(Company).where(Company.bokio_company_id == args.company))
        if row is None:
            known = ", ".join(str(c.id) for c in app.settings.companies) or "none"
            raise SyncdError(
                f"company {args.company} is not in the database (configured: {known}); "
                "check the id with `syncd companies list`"
            )
        pause = pauses.current(row, app.clock())
        was = pause.to_json(args.company) if pause is not None else None
        ended = pauses.clear(session, row.id, company=args.company, why="syncd companies resume")
        wake_parked(session, row.id, ended, now=app.clock())
        tagging_was = tagging.enable(session, row.id) if args.tagging else None
    result: dict[str, Any] = {
        "company": args.company,
        "resumed": was is not None,
        "pause": was,
        "tagging_enabled": tagging_was is not None,
    }
    if args.json:
        emit_json(result)
    else:
        if was is None:
            print(f"{args.company}: was not paused")
        else:
            print(f"{args.company}: resumed (was paused ({was['kind']}) until {was['until']})")
            print(f"  reason was: {was['reason']}")
        if args.tagging:
            on = f"  tagging on again (was off: {tagging_was})"
            print(on if tagging_was else "  tagging was already on")
    return 0
