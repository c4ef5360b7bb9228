"""``syncd audit``: prove syncd's bookings against Bokio's own ledger (one SIE file per fiscal year).

Exit 0 only when every booking syncd made is in the ledger exactly once, unchanged and not
reversed, and every bank movement in the ledger on a day the bank files cover was seen by
syncd; 1 when anything disagrees (each finding names vouchers, dates and invoice numbers).
``--dry-run`` prints the requests the audit would make and makes none.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from syncd.audit.report import result_json, text_lines
from syncd.audit.run import CompanyAudit, audit_company
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.errors import ConfigError


def register(subparsers: Any) -> None:
    """Add the ``audit`` command."""
    parser = subparsers.add_parser(
        "audit", help="check every booking syncd made against Bokio's own ledger (SIE export)"
    )
    parser.add_argument("--company", help="only this Bokio company id")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--fiscal-year", help="only this Bokio fiscal year id")
    which.add_argument(
        "--since", type=_date, help="every fiscal year ending on or after this date (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the Bokio requests it would make; make none"
    )
    add_json_flag(parser)
    parser.set_defaults(handler=_audit)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _audit(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        companies = [c for c in app.settings.companies if args.company in (None, str(c.id))]
        if not companies:
            raise ConfigError(
                f"company {args.company} is not configured" if args.company else "no companies configured"
            )
        audits = [
            audit_company(app, c, fiscal_year=args.fiscal_year, since=args.since, dry_run=args.dry_run)
            for c in companies
        ]
    if args.json:
        emit_json({"dry_run": args.dry_run, "companies": [_json(a) for a in audits]})
    else:
        for audit in audits:
            print("\n".join(_text(audit)))
    return 0 if args.dry_run or all(a.ok for a in audits) else 1


def _json(audit: CompanyAudit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "company": audit.company,
        "name": audit.name,
        "bookings": len(audit.bookings),
        "lists_fiscal_years_first": audit.list_years,
        "requests_planned": [
            {
                "method": "GET",
                "path": y.path(audit.company),
                "fiscal_year": y.bokio_id,
                "start": y.start.isoformat(),
                "end": y.end.isoformat(),
            }
            for y in audit.years
        ],
    }
    if audit.result is not None:
        out.update(requests=audit.requests, **result_json(audit.result))
    return out


def _text(audit: CompanyAudit) -> list[str]:
    who = f"{audit.name} ({audit.company})" if audit.name else audit.company
    years = ", ".join(f"{y.start}..{y.end}" for y in audit.years)
    if audit.result is None:
        lines = [
            f"{who}: would check {len(audit.bookings)} bookings against fiscal year(s) {years or 'none'} "
            f"with {len(audit.years)} Bokio request(s):"
        ]
        return lines + [
            f"  GET {y.path(audit.company)}  (fiscal year {y.start}..{y.end})" for y in audit.years
        ]
    head = (
        f"{who}: fiscal year(s) {years}; {audit.requests} Bokio request(s), "
        f"{audit.result.vouchers_read} vouchers read"
    )
    return [head, *(f"  {line}" for line in text_lines(len(audit.bookings), audit.result))]
