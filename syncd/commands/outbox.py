"""``syncd outbox list | retry ID | cancel ID``: look at and steer the outbox (no Bokio calls)."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.invoices import invoice_labels, invoice_text
from syncd.db import utcnow
from syncd.outbox import admin


def register(subparsers: Any) -> None:
    """Add the ``outbox`` command group."""
    outbox = subparsers.add_parser("outbox", help="list, retry or cancel outbox commands")
    commands = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = commands.add_parser("list", help="commands, oldest first")
    listing.add_argument("--state", choices=("pending", "sending", "done", "unknown", "failed", "cancelled"))
    add_json_flag(listing)
    listing.set_defaults(handler=_list)
    for name, help_text in (
        ("retry", "send a failed or cancelled command again (read back an unknown one now)"),
        ("cancel", "never send this command (nor its allocation's later ones)"),
    ):
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("id", type=int)
        parser.set_defaults(handler=_change, action=name)


def _list(args: argparse.Namespace) -> int:
    with build_app(args) as app, app.sessions() as session:
        rows = admin.list_commands(session, state=args.state)
        labels = invoice_labels(session, (row["invoice"] for row in rows))
    for row in rows:  # "invoice" stays the Bokio id (scripts use it); "invoice_label" names it
        row["invoice_label"] = labels.get(row["invoice"] or "")
    if args.json:
        emit_json({"commands": rows})
        return 0
    for row in rows:
        error = (row["error"] or {}).get("message", "")
        invoice = invoice_text(row["invoice_label"], row["invoice"])
        owner = (
            f"duplicate of {row['duplicate_of']} on {invoice}"
            if row["duplicate_of"]
            else f"alloc {row['allocation_id']} step {row['seq']}, {invoice}"
        )
        print(
            f"#{row['id']} {row['kind']} [{row['state']}] {owner}, "
            f"attempts {row['attempts']}" + (f" - {error}" if error else "")
        )
    if not rows:
        print("no commands")
    return 0


def _change(args: argparse.Namespace) -> int:
    with build_app(args) as app, app.sessions.begin() as session:
        change = admin.retry if args.action == "retry" else admin.cancel
        message = change(session, args.id, utcnow(), owner=AllocationLifecycle(app.settings.bokio.readings()))
    print(f"#{args.id}: {message}")
    return 0
