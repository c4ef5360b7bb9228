"""``syncd review``: decide what the matcher was unsure of, and finish any payment by hand.

``list|show|accept|reject`` work on the matcher's proposals; ``unmatched`` lists bank money
nobody booked (with its notes: an undone booking, a rejection, a dismissal); ``assign`` books a
bank line to an invoice of the person's choice through the outbox; ``dismiss|undismiss`` mark
money handled outside syncd. Every decision records who (``--by``, default the login name, or
``$SUDO_USER`` under sudo) and when. ``--json`` prints amounts as strings, never as floats.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from syncd.allocations import review
from syncd.commands import add_json_flag, build_app, emit_json, review_lines
from syncd.commands.decide import company_of, person, plain, would_push
from syncd.db import utcnow
from syncd.match.plan import format_amount

_ACTIONS = (
    ("list", "proposals waiting for review"),
    ("show", "one proposal: the bank line, candidates, evidence and what would be pushed"),
    ("accept", "accept a proposal (its whole group); the push is queued"),
    ("reject", "reject a proposal; the pair is never proposed again"),
    ("unmatched", "bank money nobody booked: id, date, amount, payer, reference, file, notes"),
    ("assign", "book a bank line (or part of it) to an invoice of your choice; the push is queued"),
    ("dismiss", "mark a bank line as handled outside syncd (refund, loan, owner's deposit)"),
    ("undismiss", "bring a dismissed bank line back to the unmatched money"),
    ("duplicates", "bank lines held as possible duplicates of an earlier delivery, both files named"),
    ("same", "a held line is the same money as the earlier one: never booked"),
    ("distinct", "a held line is money of its own: matched like any other"),
)
_DECIMAL = re.compile(r"-?\d+\.\d+")
_DECISIONS = {"accept", "reject", "assign", "dismiss", "undismiss", "same", "distinct"}


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
            action.add_argument(
                "ref", help="allocation id, group id, or R<line> for a reversal (from `syncd review list`)"
            )
        if name in {"assign", "dismiss", "undismiss", "same", "distinct"}:
            action.add_argument(
                "bank_line", help="bank line id (the first column of `syncd review unmatched`)"
            )
        if name == "assign":
            review_lines.add_assign_arguments(action)
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
                "would_push": would_push(
                    a.amount_sek, a.payment_date.isoformat(), a.settlements.get("items", [])
                ),
            }
            for a in p.allocations
        ],
    }


def _print(p: review.Proposal, *, detail: bool) -> None:
    data = proposal_json(p)
    line = data["bank_line"]
    payer = line["payer"] or "?"
    amount = format_amount(line["amount"])
    print(f"[{p.group_id}] {line['booking_date']} {amount} {line['currency']} from {payer}")
    if detail:
        print(f"    references: {', '.join(line['references']) or '-'}; text: {line['text'] or '-'}")
    for a in data["allocations"]:
        left = "" if a["outstanding"] is None else f", {format_amount(a['outstanding'])} outstanding"
        print(
            f"  #{a['id']} invoice {a['invoice']} ({a['customer'] or '?'}{left}), "
            f"confidence {a['confidence']}%"
        )
        print(f"      {a['explanation']}")
        if detail:
            for key, value in a["evidence"].items():
                print(f"      {key}: {_evidence_text(value)}")
            for step in a["would_push"]:
                print(f"      → {step}")


def _evidence_text(value: Any) -> Any:
    """Amounts in evidence (stored as decimal text, ``6343.27``) in the Swedish format of the rest."""
    if isinstance(value, Decimal) or (isinstance(value, str) and _DECIMAL.fullmatch(value)):
        return format_amount(Decimal(value))
    return value


def _list(args: argparse.Namespace) -> int:
    from syncd.allocations import reversals  # here, not above: `review show` starts without them
    from syncd.commands import review_bank
    from syncd.ingest import duplicates

    with build_app(args) as app:
        _, company_id = company_of(app, args)
        with app.sessions() as session:
            proposals = review.pending(session, company_id)
            undos = reversals.proposed_undos(session, company_id)
            held = len(duplicates.possible_duplicates(session, company_id))
            data = {
                "proposals": [proposal_json(p) for p in proposals],
                "reversals": [u.to_json() for u in undos],
                "held_duplicates": held,
            }
            if not args.json:
                for p in proposals:
                    _print(p, detail=False)
                for undo in undos:
                    review_bank.print_reversal(undo)
                print(f"{len(proposals)} proposal(s) and {len(undos)} reversal(s) waiting for review")
                if held:
                    print(f"{held} bank line(s) held as possible duplicates: see `syncd review duplicates`")
    if args.json:
        emit_json(plain(data))
    return 0


def _show(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        _, company_id = company_of(app, args)
        with app.sessions() as session:
            p = review.proposal(session, company_id, args.ref)
            if args.json:
                emit_json(plain(proposal_json(p)))
            else:
                _print(p, detail=True)
    return 0


def _decide(args: argparse.Namespace, action: str) -> int:
    from syncd.commands import review_bank

    by = person(args.by)
    with build_app(args) as app:
        if review_bank.is_reversal_ref(args.ref):
            return review_bank.reversal_decision(args, app, action)
        company, company_id = company_of(app, args)
        with app.sessions.begin() as session:
            now = utcnow()
            if action == "accept":
                rows = review.accept(
                    session,
                    company_id,
                    args.ref,
                    by=by,
                    payment_account=company.payment_account,
                    now=now,
                    record_first=app.settings.bokio.record_invoice_first,
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
        if args.dry_run:
            verb = f"would {action}"
        note = " (dry run: nothing changed)" if args.dry_run else ""
        print(f"{verb} allocation(s) {', '.join(map(str, result['allocations']))} by {by}{note}")
        if action == "accept" and not args.dry_run:
            print("the push to Bokio is queued: `syncd push` sends it (the daemon does so on its own)")
    return 0


def _held_lines(args: argparse.Namespace) -> int:
    from syncd.commands import review_bank

    return review_bank.duplicates_command(args)


def _held_line_decision(args: argparse.Namespace, *, same: bool) -> int:
    from syncd.commands import review_bank

    return review_bank.duplicate_decision(args, same=same)


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _list,
    "show": _show,
    "accept": lambda args: _decide(args, "accept"),
    "reject": lambda args: _decide(args, "reject"),
    "unmatched": review_lines.unmatched_command,
    "assign": review_lines.assign_command,
    "dismiss": lambda args: review_lines.dismissal_command(args, "dismiss"),
    "undismiss": lambda args: review_lines.dismissal_command(args, "undismiss"),
    "duplicates": _held_lines,
    "same": lambda args: _held_line_decision(args, same=True),
    "distinct": lambda args: _held_line_decision(args, same=False),
}
