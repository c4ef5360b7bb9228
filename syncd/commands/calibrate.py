"""``syncd calibrate``: how each company's own books bear on Bokio's open rules (no Bokio calls)."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.commands import add_json_flag, build_app, emit_json


def register(subparsers: Any) -> None:
    """Add the ``calibrate`` command."""
    parser = subparsers.add_parser(
        "calibrate", help="check Bokio's open rules against each company's own books (no Bokio calls)"
    )
    parser.add_argument("--company", help="only this Bokio company id")
    add_json_flag(parser)
    parser.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from syncd.calibration.evidence import calibrate
    from syncd.calibration.record_order import RecordInvoiceFirst, record_order
    from syncd.calibration.totals import totals_evidence
    from syncd.clock import business_date
    from syncd.mirror.tables import Company

    with build_app(args) as app:
        companies = [app.settings.company(args.company)] if args.company else list(app.settings.companies)
        readings = app.settings.bokio.readings()
        setting, today = RecordInvoiceFirst(readings.record_invoice_first), business_date(app.clock())
        views: list[dict[str, Any]] = []
        with app.sessions() as session:
            for company in companies:
                pk = session.scalar(select(Company.id).where(Company.bokio_company_id == str(company.id)))
                found = calibrate(session, pk, readings) if pk is not None else None
                order = record_order(session, pk, on=today, setting=setting) if pk is not None else None
                shown = totals_evidence(session, pk) if pk is not None else None
                views.append(
                    {
                        "company": str(company.id),
                        **(found.to_json() if found else {"invoices": 0}),
                        "record_order": order.to_json() if order else None,
                        "totals": shown.to_json() if shown else None,
                    }
                )
                if found is not None and order is not None and shown is not None and not args.json:
                    _print(str(company.id), found)
                    print(f"  record order: {order.line()}")
                    for line in shown.lines():
                        print(f"  {line}")
    if args.json:
        emit_json({"companies": views})
    return 0


def _print(company: str, found: Any) -> None:
    print(f"{company}: {found.invoices} invoices with money on them, as Bokio showed them")
    for rule in found.rules:
        mark = "CONTRADICTED" if rule.contradicted else "ok"
        examples = "; ".join(
            f"{k}: {', '.join(v)}" for k, v in rule.examples.items() if v and k != "undecided"
        )
        print(f"  [{mark}] {rule.line()}" + (f" ({examples})" if examples else ""))
    stop = found.stop_reason()
    if stop:
        print(f"  auto-booking stopped: {stop}")
        print("  fix: set the rule in [bokio] to what the books show, or correct the invoices in Bokio")
    for suspect in found.suspects.values():
        print(f"  held: {suspect.reason()}")
