"""``syncd push``: send the outbox to Bokio now (``--dry-run``: what it would send and at what cost).

A long push shows where it is: on a terminal a bar (commands handled of those waiting, and the
invoice in hand), in a log the pusher's ``outbox.progress`` line every 25 commands.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable
from typing import Any

from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.app import App
from syncd.bokio import RequestRecord
from syncd.budget import LedgerRecorder
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.invoices import invoice_labels, invoice_text
from syncd.commands.progress import TerminalBar, terminal_bar
from syncd.daemon.cycle import admin_stage, push_policy
from syncd.errors import ConfigError
from syncd.mirror import repo
from syncd.outbox import store
from syncd.outbox.plan import plan
from syncd.outbox.progress import PushProgress
from syncd.outbox.pusher import Pusher
from syncd.settings import CompanySettings


def register(subparsers: Any) -> None:
    """Add the ``push`` command."""
    parser = subparsers.add_parser("push", help="send accepted allocations to Bokio through the outbox")
    parser.add_argument("--company", help="only this Bokio company id")
    parser.add_argument("--dry-run", action="store_true", help="list commands and Bokio calls; send nothing")
    add_json_flag(parser)
    parser.set_defaults(handler=_push)


def _push(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        companies = [c for c in app.settings.companies if args.company in (None, str(c.id))]
        if not companies:
            raise ConfigError(
                f"company {args.company} is not configured" if args.company else "no companies configured"
            )
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the current command, then exit
        bar = None if args.dry_run else terminal_bar(args)
        reports = [
            _dry_run(app, company) if args.dry_run else _run(app, company, stop, bar) for company in companies
        ]
    if args.json:
        emit_json({"dry_run": args.dry_run, "companies": reports})
    else:
        _print(reports, dry_run=args.dry_run)
    return 1 if any(r.get("failed") for r in reports) else 0


def _company_pk(app: App, company: CompanySettings) -> int:
    with app.sessions.begin() as session:
        return repo.ensure_company(session, str(company.id), company.name).id


def _dry_run(app: App, company: CompanySettings) -> dict[str, Any]:
    pk = _company_pk(app, company)
    with app.sessions() as session:
        planned = [p.to_json() for p in plan(session, pk)]
        labels = invoice_labels(session, (p["invoice_id"] for p in planned))
    for p in planned:
        p["invoice"] = labels.get(p["invoice_id"] or "")
    return {"company": str(company.id), "commands": planned, "calls": sum(p["calls"] for p in planned)}


def _run(
    app: App, company: CompanySettings, stop: threading.Event, bar: TerminalBar | None
) -> dict[str, Any]:
    pk = _company_pk(app, company)
    recorder = LedgerRecorder(app.sessions, company_ids={str(company.id): pk})
    calls: list[RequestRecord] = []

    def on_request(record: RequestRecord) -> None:
        calls.append(record)
        recorder(record)

    with admin_stage(app, company, "push"):
        client = app.bokio_client(company, on_request=on_request)
        pusher = Pusher(
            app.sessions,
            client,
            company_id=pk,
            owner=AllocationLifecycle(app.settings.bokio.readings()),
            policy=push_policy(app.settings),
            now=app.clock,
        )
        recovered = pusher.recover()
        show = _drawn_on(bar, app, pk) if bar is not None else None

        def on_progress(event: PushProgress) -> None:
            recorder.flush()  # the month's request count stays current while a long push runs
            if show is not None:
                show(event)

        try:
            report = pusher.drain(stop=stop.is_set, on_progress=on_progress)
        finally:
            recorder.flush()
            if bar is not None:
                bar.stop()
    with app.sessions() as session:
        states = store.counts(session, pk)
    return {
        "company": str(company.id),
        "recovered": recovered,
        "handled": report.handled,
        "outcomes": report.outcomes,
        "requests": len(calls),
        "outbox": states,
        "failed": states.get("failed", 0),
    }


def _drawn_on(bar: TerminalBar, app: App, company_pk: int) -> Callable[[PushProgress], None]:
    """Start the bar at the commands waiting now; each step names the invoice it worked on."""
    with app.sessions() as session:
        waiting = plan(session, company_pk)
        labels = invoice_labels(session, (p.invoice_id for p in waiting))
    bar.start("pushing", len(waiting))

    def show(event: PushProgress) -> None:
        invoice = invoice_text(labels.get(event.invoice_id), event.invoice_id)
        bar.update(event.handled, f"{event.kind} {invoice}: {event.outcome}")

    return show


def _print(reports: list[dict[str, Any]], *, dry_run: bool) -> None:
    for report in reports:
        if dry_run:
            print(
                f"{report['company']}: would send {len(report['commands'])} command(s) "
                f"with {report['calls']} Bokio call(s)"
            )
            for c in report["commands"]:
                note = f"  ({c['note']})" if c["note"] else ""
                where = f"{invoice_text(c['invoice'], c['invoice_id'])} [{c['state']}]"
                print(f"  #{c['id']} {c['kind']} {where}, {c['calls']} call(s){note}")
            continue
        states = ", ".join(f"{count} {state}" for state, count in sorted(report["outbox"].items()))
        print(
            f"{report['company']}: handled {report['handled']} command(s) with {report['requests']} "
            f"Bokio call(s); outbox: {states or 'empty'}"
        )
