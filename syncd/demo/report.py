"""The reconciliation report of a demo run, for the finance person who would otherwise do it by hand.

One list of sections (what was booked, what waits for review and why, what nobody could place,
which files came in, what it cost in Bokio requests) rendered two ways from the same content:
rich tables on a terminal, aligned plain text in a pipe or a log. ``--json`` prints the same
facts with money as exact decimals.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from syncd import jsonutil
from syncd.audit.report import result_json, text_lines
from syncd.demo.readback import BankLine, Booking, JournalEntry, Posting, Reconciliation
from syncd.demo.run import DemoRun
from syncd.match.plan import format_amount

PLAIN_WIDTH = 100
POSTING_LABELS = {
    "payment": "payment",
    "bankFee": "bank fee",
    "currency": "currency diff.",
    "paymentServiceFee": "PSP fee",
}


@dataclass(frozen=True, slots=True)
class Column:
    """A table column; ``width`` is where plain text wraps (rich wraps to the terminal)."""

    name: str
    width: int
    right: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """One titled table, or the ``empty`` sentence when it has no rows."""

    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    empty: str = "nothing"
    footer: str = ""


def sek(amount: Decimal, currency: str = "SEK") -> str:
    """``11 364,48 SEK``: how the amount reads in Bokio and on the bank statement."""
    return f"{format_amount(amount)} {currency}"


def _received(line: BankLine) -> str:
    return f"{sek(line.amount, line.currency)}\nfrom {line.payer or 'an unknown payer'}"


def _said(line: BankLine) -> str:
    parts = [f"OCR {line.reference}" if line.reference else "", f"“{line.message}”" if line.message else ""]
    return "; ".join(p for p in parts if p) or "no reference, no message"


def _posting(posting: Posting) -> str:
    label = POSTING_LABELS.get(posting.kind, posting.kind)
    scheme = f" ({posting.vat_scheme})" if posting.vat_scheme else ""
    return f"{label}{scheme} {format_amount(posting.amount)}"


def _entry(entry: JournalEntry | None) -> str:
    if entry is None:
        return "not recorded"
    debit = ",".join(str(line.account) for line in entry.lines if line.debit)
    credit = ",".join(str(line.account) for line in entry.lines if line.credit)
    return f"{entry.number} D {debit} K {credit}"


def _booked(items: Sequence[Booking]) -> Section:
    section = Section(
        "Booked in Bokio",
        (
            Column("Invoice", 22),
            Column("Money received", 28),
            Column("Registered on the invoice", 25),
            Column("Journal entries", 28),
        ),
        empty="nothing was booked",
    )
    previous: BankLine | None = None
    for item in items:
        booked = [_posting(p) for p in item.postings] or ["nothing yet"]
        booked.append(f"→ invoice {item.invoice_status}")
        if item.error:
            booked.append(f"push failed: {item.error}")
        received = "(the same payment)" if item.bank_line is previous else _received(item.bank_line)
        previous = item.bank_line
        section.rows.append(
            (
                f"{item.invoice_number} {item.customer}",
                received,
                "\n".join(booked),
                "\n".join(_entry(p.journal) for p in item.postings),
            )
        )
    total = sum((p.amount for b in items for p in b.postings if p.kind == "payment"), Decimal(0))
    fees = sum((p.amount for b in items for p in b.postings if p.kind != "payment"), Decimal(0))
    return _with_footer(
        section, f"{len(items)} invoice payments, {sek(total)} paid in, settlements {sek(fees)}"
    )


def _why_booked(items: Sequence[Booking]) -> Section:
    section = Section("Why syncd was sure", (Column("Invoice", 8), Column("Reason", 90)))
    section.rows.extend((item.invoice_number, item.explanation) for item in items)
    return section


def _with_footer(section: Section, footer: str) -> Section:
    return Section(section.title, section.columns, section.rows, section.empty, footer)


def sections(rec: Reconciliation) -> list[Section]:
    """The report's content, independent of how it is drawn."""
    review = Section(
        "Waiting for review (`syncd review list`)",
        (Column("Money received", 28), Column("Suggested", 24), Column("Why it needs a person", 46)),
        empty="nothing waits for review",
    )
    for item in rec.review:
        suggested = "\n".join(f"{n} {c}\n{sek(a)}" for n, c, a in item.invoices)
        why = item.explanation + (f"\ncandidates: {item.candidates}" if item.candidates else "")
        review.rows.append((f"{_received(item.bank_line)}\n{_said(item.bank_line)}", suggested, why))
    unmatched = Section(
        "Not matched (book by hand, or wait for more information)",
        (Column("Money received", 30), Column("Reference / message", 30), Column("Why not", 36)),
        empty="every payment was placed",
    )
    unmatched.rows.extend((_received(u.bank_line), _said(u.bank_line), u.reason) for u in rec.unmatched)
    files = Section(
        "Bank files",
        (
            Column("File", 42),
            Column("Format", 9),
            Column("Status", 11),
            Column("Lines", 5, right=True),
            Column("Payouts", 7, right=True),
            Column("Problem", 22),
        ),
        empty="the inbox was empty",
    )
    files.rows.extend(
        (f.name, f.format, f.status, str(f.transactions), str(f.payouts), f.error or "") for f in rec.files
    )
    requests = Section(
        "Bokio requests",
        (Column("Method", 6), Column("Endpoint", 70), Column("Count", 5, right=True)),
        empty="no requests",
        footer=f"{rec.request_total} requests of the {rec.monthly_quota} a company may make a month",
    )
    requests.rows.extend((m, p, str(n)) for m, p, n in rec.requests)
    cycle = Section(
        "The cycle",
        (Column("Stage", 7), Column("Result", 8), Column("Seconds", 7, right=True), Column("Detail", 70)),
    )
    cycle.rows.extend(
        (
            str(s["stage"]),
            "ok" if s["ok"] else ("skipped" if s["skipped"] else "FAILED"),
            str(s["seconds"]),
            str(s["error"] or s["skipped"] or _stage_detail(s)),
        )
        for s in rec.stages
    )
    return [_booked(rec.booked), _why_booked(rec.booked), review, unmatched, files, requests, cycle]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _stage_detail(stage: dict[str, Any]) -> str:
    detail = stage.get("detail") or {}
    if stage["stage"] == "import":
        return (
            f"{_n(detail.get('files', 0), 'file')}, {_n(detail.get('new_transactions', 0), 'bank line')}, "
            f"{_n(detail.get('new_payouts', 0), 'PSP payout')}"
        )
    if stage["stage"] == "pull":
        return f"{detail.get('mode', '')} of open invoices, {detail.get('requests', 0)} requests"
    if stage["stage"] == "match":
        return (
            f"{detail.get('auto_accepted', 0)} auto-accepted, {detail.get('for_review', 0)} for review, "
            f"{detail.get('unmatched', 0)} unmatched"
        )
    if stage["stage"] == "push":
        outcomes = ", ".join(f"{n} {state}" for state, n in (detail.get("outcomes") or {}).items())
        return f"{detail.get('handled', 0)} Bokio writes ({outcomes or 'none'})"
    return ""


def headline(run: DemoRun) -> list[str]:
    """Who, when, and the outcome in one sentence."""
    rec = run.reconciliation
    received = sum((p.amount for p in run.plan.payments), Decimal(0))
    verdict = "succeeded" if run.ok else "had FAILURES (see the cycle below)"
    return [
        f"syncd demo: {rec.company} (Bokio sandbox company {rec.company_id}, seed {run.seed})",
        f"Bank day {rec.day}: {len(run.plan.payments)} payments, {sek(received)}, "
        f"in {len(run.files)} files — one full cycle {verdict} in {run.seconds:.1f} s.",
        f"{len({b.invoice_number for b in rec.booked})} invoices booked in Bokio, {len(rec.review)} payments "
        f"wait for review, {len(rec.unmatched)} not matched.",
        f"syncd's database: {run.database} (the sandbox stopped with the demo).",
    ]


# ----- drawing -------------------------------------------------------------------------------------
def _wrap(cell: str, width: int) -> list[str]:
    lines: list[str] = []
    for part in cell.split("\n"):
        lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines


def _plain_table(section: Section) -> list[str]:
    columns = section.columns
    cells = [[_wrap(cell, c.width) for cell, c in zip(row, columns, strict=True)] for row in section.rows]
    widths = [max([len(c.name), *(len(t) for row in cells for t in row[i])]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        aligned = zip(values, widths, columns, strict=True)
        return ("  " + "  ".join(v.rjust(w) if c.right else v.ljust(w) for v, w, c in aligned)).rstrip()

    out = [line([c.name for c in columns]), line(["-" * w for w in widths])]
    tall = any(len(cell) > 1 for row in cells for cell in row)
    for index, row in enumerate(cells):
        if tall and index:
            out.append("")
        out += [line([cell[k] if k < len(cell) else "" for cell in row]) for k in range(max(map(len, row)))]
    return out


def render_plain(head: Sequence[str], parts: Sequence[Section]) -> str:
    """Aligned plain text (for pipes, files and logs): each wrapped cell in its column."""
    out = [*head, ""]
    for section in parts:
        out += [section.title, "=" * len(section.title)]
        out += _plain_table(section) if section.rows else [f"  {section.empty}"]
        if section.rows and section.footer:
            out += ["", f"  {section.footer}"]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_rich(head: Sequence[str], parts: Sequence[Section], file: TextIO) -> None:
    """Rich tables for a terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file, highlight=False)
    console.print(f"[bold]{head[0]}[/bold]")
    for text in head[1:]:
        console.print(text)
    for section in parts:
        console.print()
        if not section.rows:
            console.print(f"[bold]{section.title}[/bold]: {section.empty}")
            continue
        tall = any("\n" in cell for row in section.rows for cell in row)
        table = Table(
            title=section.title,
            title_justify="left",
            title_style="bold",
            caption=section.footer or None,
            show_lines=tall,
        )
        for col in section.columns:
            table.add_column(col.name, justify="right" if col.right else "left", overflow="fold")
        for row in section.rows:
            table.add_row(*row)
        console.print(table)


def print_report(run: DemoRun, *, as_json: bool = False, file: TextIO | None = None) -> None:
    """Print the report: JSON, rich tables on a terminal, or plain text."""
    out = file or sys.stdout
    if as_json:
        out.write(jsonutil.dumps(report_json(run)) + "\n")
        return
    head, parts = headline(run), sections(run.reconciliation)
    if out.isatty():
        render_rich(head, parts, out)
    else:
        out.write(render_plain(head, parts))
    out.write("\n".join(audit_lines(run)) + "\n")


def audit_lines(run: DemoRun) -> list[str]:
    """The audit against Bokio's ledger, last: ``all N bookings found in Bokio's ledger``."""
    audit = run.audit
    if audit is None or audit.result is None:
        return []
    lines = text_lines(len(audit.bookings), audit.result)
    cost = f"({audit.requests} Bokio request(s), {audit.result.vouchers_read} vouchers read)"
    return [f"Audit: {lines[0]} {cost}", *lines[1:]]


def report_json(run: DemoRun) -> dict[str, Any]:
    """The ``--json`` document: the reconciliation plus how the demo ran."""
    return {
        "demo": {
            "ok": run.ok,
            "seconds": Decimal(str(run.seconds)).quantize(Decimal("0.001")),
            "files": [str(path) for path in run.files],
            "bank_day": run.plan.day,
        },
        **run.reconciliation.to_json(),
        "audit": None
        if run.audit is None or run.audit.result is None
        else {
            "bookings": len(run.audit.bookings),
            "requests": run.audit.requests,
            **result_json(run.audit.result),
        },
    }
