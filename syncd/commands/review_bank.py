"""``syncd review`` for bank lines the matcher must not touch until a person decides.

- Possible duplicates (``duplicates``, ``same LINE``, ``distinct LINE``): a later delivery syncd
  could not tell apart from an earlier line; both files are named. ``same`` keeps it out for good
  and adds what it knew (an OCR, a payer) to the original; ``distinct`` makes it ordinary money.
- Reversals (``R<line>`` in ``list``; ``accept R<line>`` / ``reject R<line>``): money the bank sent
  back after syncd booked it; accepting queues the undo of exactly that booking, rejecting keeps it.
"""

from __future__ import annotations

import argparse
from typing import Any

from syncd.allocations import reversals
from syncd.commands import emit_json
from syncd.commands.decide import company_of, person, plain
from syncd.db import utcnow
from syncd.ingest import duplicates
from syncd.match.plan import format_amount


def is_reversal_ref(ref: str) -> bool:
    """``R123``: a reversal waiting for a decision (allocation and group refs never start with R)."""
    return len(ref) > 1 and ref[0] in "Rr" and ref[1:].isdigit()


def print_reversal(p: reversals.ProposedUndo) -> None:
    """One proposed undo, as ``review list`` shows it."""
    reason = f", reason {p.return_reason}" if p.return_reason else ""
    money = f"{format_amount(p.amount)} {p.currency}"
    print(f"[{p.ref}] {p.reversal_date} {money} went back to {p.payer or '?'}{reason}")
    for allocation, number, booked in p.allocations:
        print(f"  proposed: undo allocation #{allocation} ({format_amount(booked)} on invoice {number})")
    print(f"      {p.why}")


def reversal_decision(args: argparse.Namespace, app: Any, action: str) -> int:
    """``review accept|reject R<line>``."""
    by = person(args.by)
    _, company_id = company_of(app, args)
    line_id = int(args.ref[1:])
    with app.sessions.begin() as session:
        now = utcnow()
        if action == "accept":
            proposal, commands = reversals.accept_reversal(session, company_id, line_id, by=by, now=now)
            deletes = len(commands)
        else:
            proposal, deletes = reversals.keep_booking(session, company_id, line_id, by=by, now=now), 0
        if args.dry_run:
            session.rollback()
    result = {"action": action, "dry_run": args.dry_run, "by": by, "at": now, "reversal": proposal.to_json()}
    result["deletes_queued"] = 0 if args.dry_run else deletes
    if args.json:
        emit_json(plain(result))
        return 0
    note = " (dry run: nothing changed)" if args.dry_run else ""
    numbers = ", ".join(number for _, number, _ in proposal.allocations)
    if action == "accept":
        done = "would be accepted" if args.dry_run else "accepted"
        print(f"{proposal.ref}: undo of the booking on invoice {numbers} {done} by {by}{note}")
        if not args.dry_run:
            print("the deletes are queued: `syncd push` sends them (the daemon does so on its own)")
    else:
        done = "would be kept" if args.dry_run else "is kept"
        print(f"{proposal.ref}: the booking on invoice {numbers} {done}, decided by {by}{note}")
    return 0


def _print_held(line: duplicates.HeldLine) -> None:
    print(
        f"{line.id:>6}  {line.booking_date}  {format_amount(line.amount)} {line.currency}  "
        f"{line.payer or '?'}  in {line.filename} ({line.location})"
    )
    print(f"        may be line {line.original_id} from {line.original_filename} ({line.original_location})")
    print(f"        {line.reason}")


def duplicates_command(args: argparse.Namespace) -> int:
    """``review duplicates``: bank lines held as possible duplicates."""
    from syncd.commands import build_app

    with build_app(args) as app:
        _, company_id = company_of(app, args)
        with app.sessions() as session:
            held = duplicates.possible_duplicates(session, company_id)
    if args.json:
        emit_json({"duplicates": [line.to_json() for line in held]})
        return 0
    for line in held:
        _print_held(line)
    print(f"{len(held)} bank line(s) held as possible duplicates: `syncd review same|distinct LINE` decides")
    return 0


def _line_id(text: str) -> int:
    if not text.strip().isdigit():
        raise duplicates.DuplicateDecisionError(
            f"no bank line {text!r}: give the id `syncd review duplicates` shows in its first column"
        )
    return int(text)


def duplicate_decision(args: argparse.Namespace, same: bool) -> int:
    """``review same|distinct LINE``."""
    from syncd.commands import build_app

    by = person(args.by)
    with build_app(args) as app:
        _, company_id = company_of(app, args)
        with app.sessions.begin() as session:
            line = duplicates.decide(
                session, company_id, _line_id(args.bank_line), same=same, by=by, now=utcnow()
            )
            if args.dry_run:
                session.rollback()
    result = {"dry_run": args.dry_run, "by": by, "line": line.to_json()}
    if args.json:
        emit_json(result)
        return 0
    note = " (dry run: nothing changed)" if args.dry_run else ""
    if same:
        verdict = "would be marked" if args.dry_run else "is"
        print(
            f"line {line.id} {verdict} the same money as line {line.original_id}: never booked, by {by}{note}"
        )
    else:
        verdict = "would be marked as" if args.dry_run else "is"
        print(f"line {line.id} {verdict} money of its own: the next match run considers it, by {by}{note}")
    return 0
