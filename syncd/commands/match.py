"""``syncd match``: run the matcher for a company; ``syncd match eval``: score it on a labelled corpus."""

from __future__ import annotations

import argparse
import dataclasses
import sys
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
    evaluate = actions.add_parser(
        "eval",
        help="score the matcher on a labelled evaluation corpus",
        description="Score the matcher per scenario kind (auto-right, auto-wrong, review-right, "
        "review-wrong, missed). Without --corpus: a corpus generated from the bookkeeping rules "
        "(--seed, --size). With --corpus: a frozen, hand-labelled corpus file; 'hand' names the one "
        "checked in at tests/evaluation/corpus/hand_labelled.toml (a source checkout). "
        "Exit 1 when anything was booked automatically and wrongly, 2 for a bad corpus file.",
    )
    evaluate.add_argument("--seed", type=int, default=2026, help="generated corpus: random seed")
    evaluate.add_argument("--size", type=int, default=2000, help="generated corpus: scenarios to generate")
    evaluate.add_argument(
        "--corpus",
        metavar="PATH",
        help="a hand-labelled corpus file (TOML), or 'hand' for the frozen one in tests/evaluation/corpus/",
    )
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
    from syncd.evaluation.frozen import CorpusFileError, load_corpus, resolve_corpus
    from syncd.evaluation.score import evaluate, render_table
    from syncd.match.rules import MatchRules

    load(args)
    if args.corpus:
        try:
            path = resolve_corpus(args.corpus)
            corpus, name = load_corpus(path), str(path)
        except CorpusFileError as exc:
            print(f"syncd: bad corpus: {exc}", file=sys.stderr)
            return 2
    else:
        corpus, name = (
            generate_corpus(seed=args.seed, size=args.size),
            f"generated (seed {args.seed}, size {args.size})",
        )
    report = evaluate(corpus, MatchRules())
    if args.json:
        emit_json(
            {
                "corpus": name,
                "incoming": report.incoming,
                "for_a_person": report.for_a_person,
                "for_confirmation": report.for_confirmation,
                "auto_wrong": report.auto_wrong,
                "auto_share": f"{report.auto_share:.4f}",
                "rank1_share": f"{report.rank1_share:.4f}",
                "outgoing": report.outgoing,
                "outgoing_allocated": report.outgoing_allocated,
                "totals": report.totals(),
                "tiers": {tier: dataclasses.asdict(counts) for tier, counts in report.tiers.items()},
                "kinds": report.kind_figures(),
            }
        )
    else:
        print(f"corpus: {name}")
        print(render_table(report))
    return 0 if report.auto_wrong == 0 else 1
