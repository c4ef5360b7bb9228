"""``syncd undo ALLOCATION_ID``: queue the deletes of exactly what that allocation created in Bokio."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.allocations.tables import Allocation
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.outbox.undo import UndoRefusedError, request_undo, undo_steps


def register(subparsers: Any) -> None:
    """Add the ``undo`` command."""
    parser = subparsers.add_parser("undo", help="delete the payment and settlements an allocation created")
    parser.add_argument("allocation_id", type=int)
    parser.add_argument(
        "--dry-run", action="store_true", help="show the deletes and Bokio calls; queue nothing"
    )
    add_json_flag(parser)
    parser.set_defaults(handler=_undo)


def _undo(args: argparse.Namespace) -> int:
    with build_app(args) as app, app.sessions.begin() as session:
        allocation = session.get(Allocation, args.allocation_id)
        if allocation is None:
            raise UndoRefusedError(f"allocation {args.allocation_id} does not exist")
        steps = [
            {"kind": s.kind, "bokio_id": s.bokio_id, "invoice": s.invoice_id} for s in undo_steps(allocation)
        ]
        if not args.dry_run:
            request_undo(session, args.allocation_id)
    report = {
        "allocation": args.allocation_id,
        "dry_run": args.dry_run,
        "deletes": steps,
        "calls": len(steps),
    }
    if args.json:
        emit_json(report)
        return 0
    verb = "would delete" if args.dry_run else "queued deletes of"
    print(f"allocation {args.allocation_id}: {verb} {len(steps)} object(s) in Bokio ({len(steps)} call(s))")
    for step in steps:
        print(f"  {step['kind']} {step['bokio_id']} on invoice {step['invoice']}")
    if not args.dry_run:
        print("they go out with the next `syncd push` (or the daemon's push job)")
    return 0
