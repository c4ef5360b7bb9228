"""``syncd match``: run the matcher for a company; ``syncd match eval``: score it on a labelled corpus."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from syncd.clock import business_date
from syncd.commands import add_json_flag, build_app, emit_json, load
from syncd.db import utcnow
from syncd.settings import CompanySettings, Settings


def register(subparsers: Any) -> None:
    """Add the ``match`` command group."""
    match = subparsers.add_parser("match", help="propose allocations of bank money to open invoices")
    match.add_argument("--company", help="Bokio company id (default: every configured company)")
    match.add_argument("--dry-run", action="store_true", help="show what would be proposed; change nothing")
    add_json_flag(match)
    match.set_defaults(handler=_match)
    actions = match.add_subparsers(dest="match_command", metavar="ACTION")
    evaluate = actions.add_parser("eval", help="score the matcher on the labelled evaluation corpus")
    evaluate.add_argument("--seed", type=int, default=2026)
    evaluate.add_argument("--size", type=int, default=2000, help="scenarios to generate")
    add_json_flag(evaluate)
    evaluate.set_defaults(handler=_eval)


def selected_companies(settings: Settings, company: str | None) -> tuple[CompanySettings, ...]:
    """One company when asked for, else all configured ones (a clear error when there are none)."""
    if company:
        return (settings.company(company),)
    if not settings.companies:
        from syncd.errors import ConfigError

        raise ConfigError(
            "no company configured: set SYNCD_COMPANY_ID and SYNCD_BOKIO_TOKEN, or [[companies]]"
        )
    return settings.companies


def _match(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        from syncd.allocations.match_stage import run_match  # the matcher: only when matching

        now = utcnow()
        reports = [
            run_match(
                app.sessions,
                company,
                now=now,
                today=business_date(now),
                dry_run=args.dry_run,
                readings=app.settings.bokio.readings(),
            )
            for company in selected_companies(app.settings, args.company)
        ]
    if args.json:
        emit_json({"dry_run": args.dry_run, "companies": [r.to_json() for r in reports]})
        return 0
    for r in reports:
        prefix = "would propose" if r.dry_run else "proposed"
        print(
            f"{r.company}: {r.bank_lines} bank lines, {r.open_invoices} open invoices; {prefix} "
            f"{r.auto_accepted} auto-accepted, {r.for_review} for review, {r.unmatched} unmatched"
            + (f", {r.expired} expired" if r.expired else "")
        )
        for tier, count in r.by_tier.items():
            print(f"  {tier:<28} {count}")
        for problem in r.problems:
            print(f"  ! {problem.code.value}: {problem.message}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from syncd.evaluation.corpus import generate_corpus
    from syncd.evaluation.score import evaluate, render_table
    from syncd.match.rules import MatchRules

    load(args)
    report = evaluate(generate_corpus(seed=args.seed, size=args.size), MatchRules())
    if args.json:
        emit_json(
            {
                "incoming": report.incoming,
                "for_a_person": report.for_a_person,
                "auto_wrong": report.auto_wrong,
                "auto_share": f"{report.auto_share:.4f}",
                "rank1_share": f"{report.rank1_share:.4f}",
                "tiers": {tier: dataclasses.asdict(counts) for tier, counts in report.tiers.items()},
                "kinds": report.kind_figures(),
            }
        )
    else:
        print(render_table(report))
    return 0 if report.auto_wrong == 0 else 1
