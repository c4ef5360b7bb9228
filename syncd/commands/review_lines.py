"""``syncd review unmatched|assign|dismiss|undismiss``: bank money a person books or sets aside.

``unmatched`` lists incoming money nobody booked, with the line ids the other actions take;
``assign`` books a line (or part of it) to the invoice the person names, through the outbox;
``dismiss`` marks money handled outside syncd, ``undismiss`` brings it back. Each takes
``--dry-run`` (checks everything, changes nothing) and ``--json`` (amounts as strings).
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING

from syncd.commands import build_app, emit_json
from syncd.commands.decide import company_of, match_lock, parse_amount, person, plain, would_push
from syncd.db import utcnow
from syncd.domain.models import WRITABLE_SETTLEMENTS, VatScheme
from syncd.errors import ConfigError
from syncd.match.plan import format_amount

if TYPE_CHECKING:  # the allocation modules are imported where used: `review show` needs none of them
    from syncd.allocations import assign as manual


def add_assign_arguments(action: argparse.ArgumentParser) -> None:
    """The invoice, amount, settlements and overpayment options of ``review assign``."""
    action.add_argument("invoice", help="Bokio invoice number or invoice id")
    action.add_argument(
        "--amount", type=parse_amount, help="book only this much of the line (default: all it has unbooked)"
    )
    action.add_argument(
        "--fee",
        nargs=2,
        action="append",
        default=[],
        metavar=("TYPE", "AMOUNT"),
        help="also create a settlement: bankFee|paymentServiceFee (SEK, > 0) or currency (the SEK "
        "difference on a foreign invoice: a loss if positive, a gain if negative); repeatable",
    )
    action.add_argument(
        "--vat-scheme",
        choices=[v.value for v in VatScheme],
        help="VAT scheme of a paymentServiceFee (default: the PSP's configured one)",
    )
    action.add_argument(
        "--overpay", action="store_true", help="allow booking more than the invoice has outstanding"
    )


def unmatched_command(args: argparse.Namespace) -> int:
    """List unmatched (or dismissed) bank lines with their notes."""
    from syncd.allocations import unmatched

    with build_app(args) as app:
        _, company_id = company_of(app, args)
        with app.sessions() as session:
            lines = unmatched.unmatched(session, company_id, dismissed=args.dismissed)
    if args.json:
        emit_json(plain({"dismissed": args.dismissed, "lines": [line.to_json() for line in lines]}))
        return 0
    for line in lines:
        left = "" if line.unallocated == line.amount else f" ({format_amount(line.unallocated)} unbooked)"
        said = f"ref {', '.join(line.references)}" if line.references else f"text {line.text or '-'!r}"
        print(
            f"{line.id:>6}  {line.booking_date}  {format_amount(line.amount):>12} {line.currency}{left}  "
            f"{line.payer or '?'}  {said}  file {line.file or '?'}"
        )
        if line.dismissed is not None:
            d = line.dismissed
            print(f"        dismissed {unmatched.when(d['at'], d['by'])}: {d['reason']}")
        for note in line.notes:
            print(f"        {note}")
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.unallocated
    money = ", ".join(f"{format_amount(v)} {k}" for k, v in sorted(totals.items())) or "nothing"
    what = "dismissed" if args.dismissed else "unmatched"
    print(f"{len(lines)} {what} bank line(s): {money}")
    if lines and not args.dismissed:
        print(
            "book one with `syncd review assign ID INVOICE`, or `syncd review dismiss ID --reason ...` "
            "if it was handled outside syncd"
        )
    return 0


def _fees(raw: list[list[str]]) -> tuple[manual.Fee, ...]:
    from syncd.allocations import assign as manual

    fees = []
    for kind, amount in raw:
        fee_type = next((t for t in WRITABLE_SETTLEMENTS if t.value.casefold() == kind.casefold()), None)
        if fee_type is None:
            choices = "|".join(t.value for t in WRITABLE_SETTLEMENTS)
            raise ConfigError(f"--fee {kind} {amount}: the type is one of {choices}")
        try:
            value = parse_amount(amount)
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(f"--fee {kind} {amount}: {exc}") from None
        fees.append(manual.Fee(fee_type, value))
    return tuple(fees)


def assign_command(args: argparse.Namespace) -> int:
    """Book a bank line to the named invoice, under the match lock so the matcher cannot race it."""
    from syncd.allocations import assign as manual
    from syncd.allocations.match_stage import company_rules  # the matcher's rules: only when booking

    by = person(args.by)
    request = manual.Request(
        bank_line=args.bank_line,
        invoice=args.invoice,
        amount=args.amount,
        fees=_fees(args.fee),
        overpay=args.overpay,
        vat_scheme=VatScheme(args.vat_scheme) if args.vat_scheme else None,
    )
    with build_app(args) as app:
        company, company_id = company_of(app, args)
        rules = company_rules(company, app.settings.bokio.settlement_sign)
        with match_lock(app, company), app.sessions.begin() as session:
            now = utcnow()
            row = manual.assign(
                session,
                company_id,
                request,
                by=by,
                now=now,
                payment_account=company.payment_account,
                rules=rules,
                record_first=app.settings.bokio.record_invoice_first,
            )
            items = row.settlements.get("items", [])
            cash_currency = "SEK" if row.kind == "currency" else row.currency  # the bank line's
            result = {
                "action": "assign",
                "dry_run": args.dry_run,
                "allocation": None if args.dry_run else row.id,
                "bank_line": row.bank_transaction_id,
                "invoice": row.invoice_number or row.invoice_bokio_id,
                "invoice_id": row.invoice_bokio_id,
                "kind": row.kind,
                "currency": row.currency,
                "amount": row.amount,
                "amount_sek": row.amount_sek,
                "cash": row.cash,
                "cash_currency": cash_currency,
                "consumed": row.consumed,
                "overpayment": row.overpayment,
                "settlements": items,
                "would_push": would_push(row.amount_sek, row.payment_date.isoformat(), items),
                "by": by,
                "at": now,
                "explanation": row.explanation,
            }
            if args.dry_run:
                session.rollback()
    if args.json:
        emit_json(plain(result))
        return 0
    booked = (
        f"{format_amount(result['cash'])} {result['cash_currency']} of bank line {result['bank_line']} "
        f"to invoice {result['invoice']}, by {by}"
    )
    if args.dry_run:
        print(f"would book {booked} (dry run: nothing changed)")
    else:
        print(f"allocation {result['allocation']}: booked {booked}")
    for step in result["would_push"]:
        print(f"  → {step}")
    if not args.dry_run:
        print(
            "the push to Bokio is queued: `syncd push` sends it (the daemon does so on its own); "
            f"`syncd undo {result['allocation']}` takes it back"
        )
    return 0


def dismissal_command(args: argparse.Namespace, action: str) -> int:
    """Dismiss a bank line or bring it back (``action``: ``dismiss`` | ``undismiss``)."""
    from syncd.allocations import dismissals

    by = person(args.by)
    with build_app(args) as app:
        company, company_id = company_of(app, args)
        with match_lock(app, company), app.sessions.begin() as session:
            now = utcnow()
            if action == "dismiss":
                row = dismissals.dismiss(
                    session, company_id, args.bank_line, reason=args.reason, by=by, now=now
                )
            else:
                row = dismissals.undismiss(session, company_id, args.bank_line, by=by, now=now)
            result = {
                "action": action,
                "dry_run": args.dry_run,
                "bank_line": row.bank_transaction_id,
                "reason": row.reason,
                "by": by,
                "at": now,
            }
            if args.dry_run:
                session.rollback()
    if args.json:
        emit_json(plain(result))
        return 0
    note = " (dry run: nothing changed)" if args.dry_run else ""
    if action == "dismiss":
        done = "would be dismissed" if args.dry_run else "dismissed"
        print(f"bank line {result['bank_line']} {done} by {by}: {result['reason']}{note}")
        print(
            "it is no longer unmatched nor matched; "
            f"`syncd review undismiss {result['bank_line']}` brings it back"
        )
    else:
        done = "would be brought back" if args.dry_run else "brought back"
        print(f"bank line {result['bank_line']} {done} by {by}: it is unmatched money again{note}")
    return 0
