"""``syncd import PATH…``: import bank files or folders of them now (each file atomically).

Unlike the inbox job it leaves the files where they are: an operator importing by hand decides
what to do with them. ``--dry-run`` runs the same import and rolls it back, so the counts it
prints are exactly what a real run would add.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.progress import Progress

from syncd.allocations.held import BOOKINGS
from syncd.allocations.match_stage import company_rules
from syncd.bankfiles import DEFAULT_MAX_BYTES, FileFormat
from syncd.commands import add_json_flag, build_app, emit_json
from syncd.errors import ConfigError
from syncd.ingest.importer import (
    PROGRESS_LOG_BYTES,
    ImportProgress,
    ImportProgressHook,
    ImportReport,
    ImportStatus,
    import_file,
)
from syncd.settings import Settings

PROGRESS_THRESHOLD = 3
_FORMATS = [f.value for f in FileFormat if f is not FileFormat.CSV_CUSTOM]


def register(subparsers: Any) -> None:
    """Add the ``import`` command."""
    parser = subparsers.add_parser(
        "import", help="import bank files (camt, BgMax, bank CSV, PSP reports) into the database"
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files, or folders of files")
    parser.add_argument("--company", help="Bokio company id (default: the only configured company)")
    parser.add_argument("--dry-run", action="store_true", help="report what would be added; write nothing")
    parser.add_argument("--format", choices=_FORMATS, help="skip detection: the files are all this format")
    add_json_flag(parser)
    parser.set_defaults(handler=_import)


def choose_company(settings: Settings, wanted: str | None) -> str:
    """The company to import for: ``wanted`` if configured, else the only one configured."""
    if wanted:
        return str(settings.company(wanted).id)
    if len(settings.companies) == 1:
        return str(settings.companies[0].id)
    known = ", ".join(str(c.id) for c in settings.companies) or "none configured"
    raise ConfigError(f"say which company with --company (choices: {known})", key="companies")


def expand(paths: Sequence[Path]) -> Iterator[Path]:
    """Files as given; a folder stands for its regular, non-hidden files, by name."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            yield path
        else:
            raise ConfigError(f"no such file or folder: {path}")


def _import(args: argparse.Namespace) -> int:
    with build_app(args) as app:
        company = choose_company(app.settings, args.company)
        files = list(expand(args.paths))
        fmt = FileFormat(args.format) if args.format else None
        keys = company_rules(app.settings.company(company)).stripe_reference_keys or None

        def run(path: Path, on_progress: ImportProgressHook | None = None) -> ImportReport:
            return import_file(
                app.sessions,
                company,
                path,
                max_bytes=DEFAULT_MAX_BYTES,
                fmt=fmt,
                dry_run=args.dry_run,
                bank_accounts=app.settings.company(company).bank_accounts,
                stripe_reference_keys=keys,
                on_progress=on_progress,
                bookings=BOOKINGS,
            )

        big = any(path.stat().st_size >= PROGRESS_LOG_BYTES for path in files)
        show_progress = not args.json and (len(files) > PROGRESS_THRESHOLD or big) and sys.stdout.isatty()
        if show_progress:
            with Progress(transient=True) as progress:
                task = progress.add_task("importing", total=len(files))
                reports = []
                for path in files:
                    reports.append(run(path, _file_bar(progress, path)))
                    progress.advance(task)
        else:
            reports = [run(path) for path in files]
    totals = _totals(reports)
    if args.json:
        emit_json(
            {
                "company": company,
                "dry_run": args.dry_run,
                "reports": [r.to_json() for r in reports],
                "totals": totals,
            }
        )
    else:
        _print(reports, totals, dry_run=args.dry_run)
    return 1 if totals["quarantined"] else 0


def _file_bar(progress: Progress, path: Path) -> ImportProgressHook | None:
    """A bar of bytes read for a big file (a small one is done before a bar would help)."""
    if path.stat().st_size < PROGRESS_LOG_BYTES:
        return None
    task = progress.add_task(f"  {path.name}", total=path.stat().st_size)

    def update(event: ImportProgress) -> None:
        progress.update(task, completed=event.bytes_read)

    return update


def _totals(reports: Sequence[ImportReport]) -> dict[str, int]:
    return {
        "files": len(reports),
        "imported": sum(r.status is ImportStatus.IMPORTED for r in reports),
        "duplicate_files": sum(r.status is ImportStatus.DUPLICATE_FILE for r in reports),
        "quarantined": sum(r.status is ImportStatus.QUARANTINED for r in reports),
        "added": sum(r.added for r in reports),
        "already_known": sum(r.already_known for r in reports),
        "linked_batches": sum(r.linked_batches for r in reports),
        "payouts": sum(r.payouts for r in reports),
        "problems": sum(len(r.problems) for r in reports),
    }


def _print(reports: Sequence[ImportReport], totals: dict[str, int], *, dry_run: bool) -> None:
    verb = "would add" if dry_run else "added"
    for r in reports:
        line = (
            f"{r.status.value:<14} {r.format or '?':<18} {r.file}: {verb} {r.added}, known "
            f"{r.already_known}, linked {r.linked_batches}, payouts {r.payouts}, problems {len(r.problems)}"
        )
        print(line)
        if r.error:
            print(f"    {r.error_location or 'file'}: {r.error}" + (f" — {r.hint}" if r.hint else ""))
        for problem in r.problems:  # the problems themselves, not just their count
            print(f"    {problem.severity.value} at {problem.location}: {problem.message}")
    print(
        f"{totals['files']} files: {totals['imported']} imported, {totals['duplicate_files']} duplicate, "
        f"{totals['quarantined']} quarantined; {verb} {totals['added']} transactions "
        f"({totals['already_known']} known), linked {totals['linked_batches']} batches, "
        f"{totals['payouts']} payouts" + (" (dry run: nothing written)" if dry_run else "")
    )
