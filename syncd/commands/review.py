"""``syncd review list|show|accept|reject``: decide what the matcher was unsure of."""

from __future__ import annotations

import argparse
import getpass
from decimal import Decimal
from typing import Any

from syncd.allocations import review
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.match import selected_companies
from syncd.db import utcnow
from syncd.mirror import repo


def register(subparsers: Any) -> None:
    """Add the ``review`` command group."""
    parser = subparsers.add_parser(
        "review", help="list, show, accept or reject proposals waiting for a person"
    )
    actions = parser.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    for name, help_text in (
        ("list", "proposals waiting for review"),
        ("show", "one proposal: the bank line, candidates, evidence and what would be pushed"),
        ("accept", "accept a proposal (its whole group); the push is queued"),
        ("reject", "reject a proposal; the pair is never proposed again"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--company", help="Bokio company id (default: the only configured one)")
        if name != "list":
            action.add_argument("ref", help="allocation id or group id (from `syncd review list`)")
        if name in {"accept", "reject"}:
            action.add_argument("--by", default=None, help="who decides (default: the login name)")
            action.add_argument(
                "--dry-run", action="store_true", help="show what would change; change nothing"
            )
        add_json_flag(action)
        action.set_defaults(handler=_HANDLERS[name])


def _company(app: Any, args: argparse.Namespace) -> tuple[Any, int]:
    companies = selected_companies(app.settings, args.company)
    if len(companies) > 1:
        from syncd.errors import ConfigError

        raise ConfigError("several companies are configured: name one with --company")
    company = companies[0]
    with app.sessions.begin() as session:
        company_id = repo.ensure_company(session, str(company.id), company.name).id
    return company, company_id


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
    steps = [f"payment {amount_sek} SEK on {date}, then record it"] if amount_sek > 0 else []
    for s in settlements:
        scheme = f" ({s['vat_scheme']})" if s.get("vat_scheme") else ""
        steps.append(f"{s['type']} settlement {s['amount']} SEK{scheme}, then record it")
    return steps


def _print(p: review.Proposal, *, detail: bool) -> None:
    data = proposal_json(p)
    line = data["bank_line"]
    payer = line["payer"] or "?"
    print(f"[{p.group_id}] {line['booking_date']} {line['amount']} {line['currency']} from {payer}")
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
        emit_json(data)
    return 0


def _show(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        _, company_id = _company(app, args)
        with app.sessions() as session:
            p = review.proposal(session, company_id, args.ref)
            if args.json:
                emit_json(proposal_json(p))
            else:
                _print(p, detail=True)
    return 0


def _decide(args: argparse.Namespace, action: str) -> int:
    by = args.by or getpass.getuser()
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
            result = {"action": action, "dry_run": args.dry_run, "allocations": [r.id for r in rows]}
            if args.dry_run:
                session.rollback()
    if args.json:
        emit_json(result)
    else:
        verb = {"accept": "accepted", "reject": "rejected"}[action]
        note = " (dry run: nothing changed)" if args.dry_run else ""
        print(f"{verb} allocation(s) {', '.join(map(str, result['allocations']))}{note}")
        if action == "accept" and not args.dry_run:
            print("the push to Bokio is queued: `syncd push` sends it (the daemon does so on its own)")
    return 0


_HANDLERS = {
    "list": _list,
    "show": _show,
    "accept": lambda args: _decide(args, "accept"),
    "reject": lambda args: _decide(args, "reject"),
}
