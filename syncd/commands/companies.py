"""``syncd companies list``: the companies this instance serves, as configured (no Bokio calls)."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, emit_json, load


def register(subparsers: Any) -> None:
    """Add the ``companies`` command group."""
    companies = subparsers.add_parser("companies", help="the configured companies")
    actions = companies.add_subparsers(dest="companies_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the configured companies")
    add_json_flag(listing)
    listing.set_defaults(handler=_list)


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
