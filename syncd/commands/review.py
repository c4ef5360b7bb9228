"""``syncd review``: decide what the matcher was unsure of, and finish any payment by hand.

``list|show|accept|reject`` work on the matcher's proposals; ``unmatched`` lists bank money
nobody booked (with its notes: an undone booking, a rejection, a dismissal); ``assign`` books a
bank line to an invoice of the person's choice through the outbox; ``dismiss|undismiss`` mark
money handled outside syncd. Every decision records who (``--by``, default the login name, or
``$SUDO_USER`` under sudo) and when. ``--json`` prints amounts as strings, never as floats.
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from syncd.allocations import assign as manual
from syncd.allocations import dismissals, review, unmatched
from syncd.allocations.job import company_rules
from syncd.app import App
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.match import selected_companies
from syncd.db import utcnow
from syncd.domain.models import SettlementType, VatScheme
from syncd.errors import ConfigError, FatalError
from syncd.match.plan import format_amount
from syncd.mirror import repo
from syncd.ops.locks import company_job_lock
from syncd.settings import CompanySettings

_ACTIONS = (
    ("list", "proposals waiting for review"),
    ("show", "one proposal: the bank line, candidates, evidence and what would be pushed"),
    ("accept", "accept a proposal (its whole group); the push is queued"),
    ("reject", "reject a proposal; the pair is never proposed again"),
    ("unmatched", "bank money nobody booked: id, date, amount, payer, reference, file, notes"),
    ("assign", "book a bank line (or part of it) to an invoice of your choice; the push is queued"),
    ("dismiss", "mark a bank line as handled outside syncd (refund, loan, owner's deposit)"),
    ("undismiss", "bring a dismissed bank line back to the unmatched money"),
)
_DECISIONS = {"accept", "reject", "assign", "dismiss", "undismiss"}


def register(subparsers: Any) -> None:
    """Add the ``review`` command group."""
    parser = subparsers.add_parser(
        "review", help="decide proposals; list, assign or dismiss unmatched bank money"
    )
    actions = parser.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    for name, help_text in _ACTIONS:
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--company", help="Bokio company id (default: the only configured one)")
        if name in {"show", "accept", "reject"}:
            action.add_argument("ref", help="allocation id or group id (from `syncd review list`)")
        if name in {"assign", "dismiss", "undismiss"}:
            action.add_argument(
                "bank_line", help="bank line id (the first column of `syncd review unmatched`)"
            )
        if name == "assign":
            _assign_arguments(action)
        if name == "dismiss":
            action.add_argument(
                "--reason", required=True, help="why no booking is needed (refund, loan, ...)"
            )
        if name == "unmatched":
            action.add_argument("--dismissed", action="store_true", help="list the dismissed lines instead")
        if name in _DECISIONS:
            action.add_argument(
                "--by", default=None, help="who decides (default: the login name, or $SUDO_USER under sudo)"
            )
            action.add_argument(
                "--dry-run", action="store_true", help="show what would change; change nothing"
            )
        add_json_flag(action)
        action.set_defaults(handler=_HANDLERS[name])


def _assign_arguments(action: argparse.ArgumentParser) -> None:
    action.add_argument("invoice", help="Bokio invoice number or invoice id")
    action.add_argument(
        "--amount", type=_amount, help="book only this much of the line (default: all it has unbooked)"
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


def _amount(text: str) -> Decimal:
    """``2500``, ``2500.50``, ``2 500,50``: an amount as a person types it."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an amount; write it like 2500,00 or 2500.00"
        ) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"{text!r}: amounts have at most two decimals (öre)")
    return value.quantize(Decimal("0.01"))


def person(by: str | None) -> str:
    """Who decides: ``--by``, else the user behind sudo, else the login name."""
    return (by or "").strip() or os.environ.get("SUDO_USER") or getpass.getuser()


def plain(value: Any) -> Any:
    """JSON-ready data with every Decimal as a string (a float would lose öre)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _company(app: Any, args: argparse.Namespace) -> tuple[CompanySettings, int]:
    companies = selected_companies(app.settings, args.company)
    if len(companies) > 1:
        raise ConfigError("several companies are configured: name one with --company")
    company = companies[0]
    with app.sessions.begin() as session:
        company_id = repo.ensure_company(session, str(company.id), company.name).id
    return company, company_id


class BusyError(FatalError):
    """The company's match job is running; a person's booking waits for it."""


@contextmanager
def _match_lock(app: App, company: CompanySettings) -> Iterator[None]:
    """Hold the company's match lock, so the matcher cannot book the same money meanwhile."""
    with company_job_lock(app.engine, str(company.id), "match") as acquired:
        if not acquired:
            raise BusyError(
                f"company {company.id} is being matched right now (the daemon or another command); "
                "try again in a moment"
            )
        yield


def proposal_json(p: review.Proposal) -> dict[str, Any]:
    """A proposal as a reviewer (or a script) needs it."""
    line = p.bank_line
    return {
        "group": p.group_id,
        "bank_line": {
            "id": line.id,
            "booking_date": line.booking_date,
            "amount": line.amount,
            "currency": line.currency,
            "payer": line.payer_name,
            "references": [r.get("value") for r in line.references.get("items", [])],
            "text": line.free_text,
        },
        "allocations": [
            {
                "id": a.id,
                "invoice": a.invoice_number or a.invoice_bokio_id,
                "customer": p.invoices[a.invoice_bokio_id].customer_name
                if a.invoice_bokio_id in p.invoices
                else None,
                "outstanding": p.invoices[a.invoice_bokio_id].outstanding
                if a.invoice_bokio_id in p.invoices
                else None,
                "tier": a.tier,
                "confidence": a.confidence,
                "overpayment": a.overpayment,
                "explanation": a.explanation,
                "evidence": dict(a.evidence.get("items", [])),
                "would_push": _would_push(
                    a.amount_sek, a.payment_date.isoformat(), a.settlements.get("items", [])
                ),
            }
            for a in p.allocations
        ],
    }


def _would_push(amount_sek: Decimal, date: str, settlements: list[dict[str, Any]]) -> list[str]:
    steps = [f"payment {format_amount(amount_sek)} SEK on {date}, then record it"] if amount_sek > 0 else []
    for s in settlements:
        scheme = f" ({s['vat_scheme']})" if s.get("vat_scheme") else ""
        amount = format_amount(Decimal(str(s["amount"])))
        steps.append(f"{s['type']} settlement {amount} SEK{scheme}, then record it")
    return steps


def _print(p: review.Proposal, *, detail: bool) -> None:
    data = proposal_json(p)
    line = data["bank_line"]
    payer = line["payer"] or "?"
    amount = format_amount(line["amount"])
    print(f"[{p.group_id}] {line['booking_date']} {amount} {line['currency']} from {payer}")
    if detail:
        print(f"    references: {', '.join(line['references']) or '-'}; text: {line['text'] or '-'}")
    for a in data["allocations"]:
        print(f"  #{a['id']} invoice {a['invoice']} ({a['customer'] or '?'}), confidence {a['confidence']}%")
        print(f"      {a['explanation']}")
        if detail:
            for key, value in a["evidence"].items():
                print(f"      {key}: {value}")
            for step in a["would_push"]:
                print(f"      → {step}")


def _list(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        _, company_id = _company(app, args)
        with app.sessions() as session:
            proposals = review.pending(session, company_id)
            data = [proposal_json(p) for p in proposals]
            if not args.json:
                for p in proposals:
                    _print(p, detail=False)
                print(f"{len(proposals)} proposal(s) waiting for review")
    if args.json:
        emit_json(plain(data))
    return 0


def _show(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        _, company_id = _company(app, args)
        with app.sessions() as session:
            p = review.proposal(session, company_id, args.ref)
            if args.json:
                emit_json(plain(proposal_json(p)))
            else:
                _print(p, detail=True)
    return 0


def _decide(args: argparse.Namespace, action: str) -> int:
    by = person(args.by)
    with build_app(args) as app:
        company, company_id = _company(app, args)
        with app.sessions.begin() as session:
            now = utcnow()
            if action == "accept":
                rows = review.accept(
                    session, company_id, args.ref, by=by, payment_account=company.payment_account, now=now
                )
            else:
                rows = review.reject(session, company_id, args.ref, by=by, now=now)
            result = {
                "action": action,
                "dry_run": args.dry_run,
                "by": by,
                "at": now,
                "allocations": [r.id for r in rows],
            }
            if args.dry_run:
                session.rollback()
    if args.json:
        emit_json(plain(result))
    else:
        verb = {"accept": "accepted", "reject": "rejected"}[action]
        note = " (dry run: nothing changed)" if args.dry_run else ""
        print(f"{verb} allocation(s) {', '.join(map(str, result['allocations']))} by {by}{note}")
        if action == "accept" and not args.dry_run:
            print("the push to Bokio is queued: `syncd push` sends it (the daemon does so on its own)")
    return 0


def _unmatched(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        _, company_id = _company(app, args)
        with app.sessions() as session:
            lines = unmatched.unmatched(session, company_id, dismissed=args.dismissed)
    if args.json:
        emit_json(plain([line.to_json() for line in lines]))
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
    fees = []
    for kind, amount in raw:
        try:
            fee_type = SettlementType(kind)
        except ValueError:
            choices = "|".join(t.value for t in SettlementType)
            raise ConfigError(f"--fee {kind} {amount}: the type is one of {choices}") from None
        try:
            value = _amount(amount)
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(f"--fee {kind} {amount}: {exc}") from None
        fees.append(manual.Fee(fee_type, value))
    return tuple(fees)


def _assign(args: argparse.Namespace) -> int:
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
        company, company_id = _company(app, args)
        rules = company_rules(company, app.settings.bokio.settlement_sign)
        with _match_lock(app, company), app.sessions.begin() as session:
            now = utcnow()
            row = manual.assign(
                session,
                company_id,
                request,
                by=by,
                now=now,
                payment_account=company.payment_account,
                rules=rules,
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
                "would_push": _would_push(row.amount_sek, row.payment_date.isoformat(), items),
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


def _dismissal(args: argparse.Namespace, action: str) -> int:
    by = person(args.by)
    with build_app(args) as app:
        company, company_id = _company(app, args)
        with _match_lock(app, company), app.sessions.begin() as session:
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
        print(f"bank line {result['bank_line']} dismissed by {by}: {result['reason']}{note}")
        print(
            "it is no longer unmatched nor matched; "
            f"`syncd review undismiss {result['bank_line']}` brings it back"
        )
    else:
        print(f"bank line {result['bank_line']} brought back by {by}: it is unmatched money again{note}")
    return 0


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _list,
    "show": _show,
    "accept": lambda args: _decide(args, "accept"),
    "reject": lambda args: _decide(args, "reject"),
    "unmatched": _unmatched,
    "assign": _assign,
    "dismiss": lambda args: _dismissal(args, "dismiss"),
    "undismiss": lambda args: _dismissal(args, "undismiss"),
}
