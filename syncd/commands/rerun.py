"""``syncd rerun``: re-run a window of one company's pipeline, without moving live cursors.

* ``pull``   re-lists invoices dated on or after ``--since`` (customers' cursor untouched);
* ``import`` re-imports quarantined bank files received since then (after a fix);
* ``match``  re-matches bank money booked since then (rejected pairs stay rejected);
* ``push``   retries failed outbox commands created since then.

The Bokio calls it will make are printed first; ``--dry-run`` stops there. Every stage holds the
same (company, stage) lock as the daemon, so a rerun never runs beside it on the same stage.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select, update

from syncd.allocations.held import BOOKINGS
from syncd.allocations.match_stage import run_match
from syncd.app import App
from syncd.clock import STOCKHOLM, business_date
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.commands.match import selected_companies
from syncd.daemon.cycle import CompanyCycle, admin_stage
from syncd.errors import ConfigError
from syncd.ingest.importer import ImportStatus, import_file
from syncd.ingest.inbox import move_into
from syncd.mirror import repo
from syncd.outbox.kinds import CommandState
from syncd.outbox.tables import OutboxCommand
from syncd.pull import Puller
from syncd.pull.run import PullConfig
from syncd.settings import CompanySettings

STAGES = ("pull", "import", "match", "push")


def register(subparsers: Any) -> None:
    """Add the ``rerun`` command."""
    rerun = subparsers.add_parser("rerun", help="re-run a date window of one company's pipeline")
    rerun.add_argument("--company", help="Bokio company id (default: the only configured one)")
    rerun.add_argument("--since", required=True, type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    rerun.add_argument("--stage", choices=STAGES, action="append", help="stage(s) to re-run (default: all)")
    rerun.add_argument("--dry-run", action="store_true", help="print the planned Bokio calls and stop")
    add_json_flag(rerun)
    rerun.set_defaults(handler=_rerun)


def _rerun(args: argparse.Namespace) -> int:
    stages = args.stage or list(STAGES)
    with build_app(args) as app:
        companies = selected_companies(app.settings, args.company)
        if len(companies) > 1:
            raise ConfigError("several companies are configured: name one with --company")
        company = companies[0]
        if args.since > business_date(app.clock()):
            raise ConfigError(f"--since {args.since} is in the future")
        puller = app.puller(_window_config(app, args.since))
        planned = _plan(app, company, puller, args.since, stages)
        result: dict[str, Any] = {"company": str(company.id), "since": args.since, "planned": planned}
        if not args.json:
            print(f"rerun of {', '.join(stages)} for {company.id} since {args.since}; planned Bokio calls:")
            for line in planned:
                print(f"  {line}")
        if not args.dry_run:
            result["stages"] = [_run_stage(app, company, puller, stage, args.since) for stage in stages]
    if args.json:
        emit_json(result)
    elif not args.dry_run:
        for stage in result["stages"]:
            print(f"  {stage_text(stage)}")
    return 0 if args.dry_run or all(s.get("ok", True) for s in result["stages"]) else 1


def _window_config(app: App, since: dt.date) -> PullConfig:
    days = (business_date(app.clock()) - since).days
    return dataclasses.replace(PullConfig.from_settings(app.settings), window_days=max(days, 0))


def _plan(app: App, company: CompanySettings, puller: Puller, since: dt.date, stages: list[str]) -> list[str]:
    lines: list[str] = []
    if "pull" in stages:
        report = puller.pull(company, streams=["invoices"], dry_run=True, now=app.clock())
        lines += [call.describe() for call in report.planned]
    if "push" in stages:
        with app.sessions() as session:
            failed = session.scalars(_failed_since(company, since, session)).all()
        lines.append(
            f"push: {len(failed)} failed command(s) to retry, about {len(failed)} request(s) plus read-backs"
        )
    if "import" in stages or "match" in stages:
        lines.append("import and match make no Bokio calls")
    return lines


def _failed_since(company: CompanySettings, since: dt.date, session: Any) -> Any:
    pk = repo.ensure_company(session, str(company.id)).id
    start = dt.datetime.combine(since, dt.time(), tzinfo=STOCKHOLM).astimezone(dt.UTC)
    return select(OutboxCommand.id).where(
        OutboxCommand.company_id == pk,
        OutboxCommand.state == CommandState.FAILED,
        OutboxCommand.created_at >= start,
    )


def _run_stage(
    app: App, company: CompanySettings, puller: Puller, stage: str, since: dt.date
) -> dict[str, Any]:
    now = app.clock()
    if stage == "pull":
        with admin_stage(app, company, "pull"):
            report = puller.pull(company, streams=["invoices"], now=now)
        return {
            "stage": stage,
            "ok": not report.problems,
            "requests": report.total_requests,
            "problems": report.problems,
        }
    if stage == "import":
        return _reimport(app, company, since)
    if stage == "match":
        with admin_stage(app, company, "match"):
            match = run_match(
                app.sessions,
                company,
                now=now,
                today=business_date(now),
                readings=app.settings.bokio.readings(),
                since=since,
            )
        return {"stage": stage, "ok": True, **match.to_json()}
    with admin_stage(app, company, "push"), app.sessions.begin() as session:
        ids = session.scalars(_failed_since(company, since, session)).all()
        session.execute(
            update(OutboxCommand)
            .where(OutboxCommand.id.in_(ids))
            .values(state=CommandState.PENDING, next_attempt_at=now, error=None)
        )
    pushed = CompanyCycle(app, company, puller=puller).push()
    return {"stage": stage, "retried": len(ids), **pushed.to_json()}


def _reimport(app: App, company: CompanySettings, since: dt.date) -> dict[str, Any]:
    inbox = company.bank_inbox
    quarantine = inbox / "quarantine" if inbox else None
    if quarantine is None or not quarantine.is_dir():
        return {"stage": "import", "ok": True, "files": 0, "note": "no quarantine folder"}
    start = dt.datetime.combine(since, dt.time(), tzinfo=STOCKHOLM).timestamp()
    files = sorted(
        p
        for p in quarantine.iterdir()
        if p.is_file() and not p.name.endswith(".error.txt") and p.stat().st_mtime >= start
    )
    outcomes = []
    with admin_stage(app, company, "import"):
        for path in files:
            report = import_file(
                app.sessions,
                str(company.id),
                path,
                max_bytes=app.settings.ingest.max_bytes,
                bank_accounts=company.bank_accounts,
                bookings=BOOKINGS,
            )
            if report.status in (ImportStatus.IMPORTED, ImportStatus.DUPLICATE_FILE):
                archive = inbox / "archive" / business_date(app.clock()).isoformat()  # type: ignore[operator]
                move_into(path, archive)
                path.with_name(path.name + ".error.txt").unlink(missing_ok=True)
            outcomes.append({"file": path.name, "status": report.status.value, "error": report.error})
    ok = all(o["status"] != ImportStatus.QUARANTINED.value for o in outcomes)
    return {"stage": "import", "ok": ok, "files": len(files), "outcomes": outcomes}


def stage_text(stage: dict[str, Any]) -> str:
    """``match: ok; proposed 3, auto_accepted 2`` rather than a Python dict."""
    facts = []
    for key, value in stage.items():
        if key in {"stage", "ok"} or isinstance(value, dict | list) or value is None:
            continue
        facts.append(f"{key.replace('_', ' ')} {value}")
    verdict = "ok" if stage.get("ok", True) else "FAILED"
    return f"{stage['stage']}: {verdict}" + (f"; {', '.join(facts)}" if facts else "")
