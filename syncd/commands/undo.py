"""``syncd undo ALLOCATION_ID``: delete exactly what that allocation created in Bokio, for good.

The deletes are queued in the outbox; in the same transaction the (bank line, invoice) pair is
remembered as undone, so the matcher never books that pair again and the bank line shows as
unmatched with "undone on DATE by WHO". An allocation that booked nothing is refused with the
reason (exit code 1).
"""

from __future__ import annotations

import argparse
from typing import Any

from syncd.allocations.tables import Allocation
from syncd.allocations.undo import UndoRefusedError, check_undoable, request_undo
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.decide import person, plain
from syncd.commands.invoices import invoice_labels, invoice_text
from syncd.db import utcnow


def register(subparsers: Any) -> None:
    """Add the ``undo`` command."""
    parser = subparsers.add_parser(
        "undo", help="delete the payment and settlements an allocation created; never book that pair again"
    )
    parser.add_argument("allocation_id", type=int)
    parser.add_argument(
        "--by", default=None, help="who undoes it (default: the login name, or $SUDO_USER under sudo)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show the deletes and Bokio calls; queue nothing"
    )
    add_json_flag(parser)
    parser.set_defaults(handler=_undo)


def _undo(args: argparse.Namespace) -> int:
    by = person(args.by)
    with build_app(args) as app, app.sessions.begin() as session:
        allocation = session.get(Allocation, args.allocation_id)
        if allocation is None:
            raise UndoRefusedError(f"allocation {args.allocation_id} does not exist; see `syncd review list`")
        invoice = allocation.invoice_number or allocation.invoice_bokio_id
        steps = [
            {"kind": s.kind, "bokio_id": s.bokio_id, "invoice": invoice, "invoice_id": s.invoice_id}
            for s in check_undoable(session, allocation)
        ]
        label = invoice_labels(session, [allocation.invoice_bokio_id]).get(allocation.invoice_bokio_id)
        line = allocation.bank_transaction_id
        now = utcnow()
        if not args.dry_run:
            request_undo(session, args.allocation_id, by=by, now=now)
    report = {
        "allocation": args.allocation_id,
        "bank_line": line,
        "invoice": invoice,
        "invoice_label": label,
        "dry_run": args.dry_run,
        "by": by,
        "at": now,
        "deletes": steps,
        "calls": len(steps),
    }
    if args.json:
        emit_json(plain(report))
        return 0
    verb = "would delete" if args.dry_run else "queued deletes of"
    named = invoice_text(label, allocation.invoice_bokio_id)
    print(f"allocation {args.allocation_id}: {verb} {len(steps)} object(s) in Bokio ({len(steps)} call(s))")
    for step in steps:
        print(f"  {step['kind']} {step['bokio_id']} on {named}")
    if not args.dry_run:
        print("they go out with the next `syncd push` (or the daemon's push job)")
        print(
            f"bank line {line} will be unmatched again, undone by {by}; the matcher never books it "
            f"to invoice {invoice} again (`syncd review assign {line} {invoice}` still can)"
        )
    return 0
