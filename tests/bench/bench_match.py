"""Matcher benchmark: bank lines against half as many open invoices, CPU time and memory per size.

Not collected by pytest. Run: ``nice .venv/bin/python -m tests.bench.bench_match [--quick] [--before]``.

Two series, each size in a child process of its own (so its peak RSS is its own), CPU time of
``propose`` alone (``time.process_time``, best of three up to 100k lines):

- *random prices*: amounts drawn from 200-50,000 SEK, customers from 480 names per company;
  target 100k lines x 50k invoices ≤ 10 s and ≤ 1 GB.
- *ambiguous* (``--ambiguous-sizes``, to 300k lines): amounts from a price list of 60 points
  (1-3 units), so many invoices share an amount; about five invoices per customer, customers (and
  customers with nearly the same name) growing with the book. Target: growth ≤ 1.2 x n log n
  from 10k to 100k and from 100k to 300k lines.

``--before`` also runs the previous matcher (kept as the test oracle, ``tests/match/oracle_match``)
at each size, side by side. Prints ``BENCH-SUMMARY`` last (``tests.bench.summary``).

Measured 2026-11-30 04:16-04:55 UTC, ``--before``, 2 cores shared with three other helpers (load
average 11-24): CPU seconds of ``propose``, peak RSS of the whole child (test data included).

=========================  ===============  ===============
size (lines x invoices)    before           now
=========================  ===============  ===============
random 100k x 50k          8.64 s, 236 MiB  8.29 s, 256 MiB
ambiguous 10k x 5k         0.62 s,  60 MiB  0.55 s,  60 MiB
ambiguous 30k x 15k        2.63 s, 113 MiB  1.85 s, 102 MiB
ambiguous 100k x 50k       13.3 s, 390 MiB  7.49 s, 246 MiB
ambiguous 300k x 150k      89.1 s, 1.9 GiB  33.0 s, 667 MiB
growth 10k->100k           1.71 x n log n   1.09 x n log n
growth 100k->300k          2.04 x n log n   1.34 x n log n
=========================  ===============  ===============

Before, the payer tier scored every customer sharing a name word with the payer (a block grows
with the book); now it scores only those whose open invoices can add up to the amount. The
100k->300k growth left (1.34; 300k is measured once, not best of three) is not more work: under
cProfile every function's call count grows exactly 3x from 100k to 300k (the payer tier is 6 % of
the time); the same calls cost more each in a 3x larger heap (cache misses, garbage collection).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncd.domain.models import BankLine, Direction, OpenInvoice, PspCharge, PspPayoutLine
from syncd.domain.money import from_ore, quantize
from syncd.domain.references import make_ocr
from syncd.match import MatchMemory, MatchRules, propose
from tests.bench.summary import Figure, emit

TODAY = dt.date(2026, 3, 2)
SURNAMES = [
    "Bergström",
    "Lindqvist",
    "Åkesson",
    "Ekholm",
    "Nordin",
    "Karlsson",
    "Sjöberg",
    "Dahlin",
    "Wikström",
    "Grönlund",
    "Östlund",
    "Blomqvist",
    "Hedlund",
    "Mattsson",
    "Sandberg",
    "Lundgren",
    "Forsberg",
    "Axelsson",
    "Engström",
    "Nyberg",
    "Björk",
    "Falk",
    "Holm",
    "Svensson",
]
TRADES = [
    "Bygg",
    "Måleri",
    "Transport",
    "Fastigheter",
    "Design",
    "El",
    "Konsult",
    "Redovisning",
    "VVS",
    "Media",
    "Café",
    "IT",
    "Snickeri",
    "Trädgård",
    "Frakt",
    "Städ",
    "Bageri",
    "Event",
    "Logistik",
    "Tak",
]
COMPANIES = 10


PRICES = [Decimal(p) for p in range(495, 30_000, 495)][:60]
"""The ambiguous series' price list: repeated price points, as a small business invoices."""


def _customer(rng: random.Random, n_invoices: int, *, ambiguous: bool) -> str:
    if not ambiguous:
        return f"{SURNAMES[rng.randrange(len(SURNAMES))]} {TRADES[rng.randrange(len(TRADES))]} AB"
    c = rng.randrange(max(1, n_invoices // 5))  # about five invoices per customer
    return f"{SURNAMES[c % len(SURNAMES)]} {TRADES[c // len(SURNAMES) % len(TRADES)]} {c // 480} AB"


def build(
    n_lines: int, seed: int = 1, *, ambiguous: bool = False
) -> tuple[list[OpenInvoice], list[BankLine], list[PspPayoutLine]]:
    rng = random.Random(seed)
    n_invoices = n_lines // 2
    invoices: list[OpenInvoice] = []
    for k in range(n_invoices):
        company = f"company-{k % COMPANIES}"
        customer = _customer(rng, n_invoices, ambiguous=ambiguous)
        foreign = k % 40 == 0
        rate = Decimal("11.45") if foreign else Decimal(1)
        amount = (
            rng.choice(PRICES) * rng.randint(1, 3) * Decimal("1.25")
            if ambiguous
            else from_ore(rng.randint(20_000, 5_000_000))
        )
        issued = TODAY - dt.timedelta(days=rng.randint(5, 120))
        invoices.append(
            OpenInvoice(
                company,
                f"inv-{k}",
                str(10_000 + k),
                make_ocr(f"{10_000 + k}{k % 7}"),
                f"{company}/{customer}",
                customer,
                "EUR" if foreign else "SEK",
                rate,
                amount,
                amount,
                quantize(amount * rate),
                issued,
                issued + dt.timedelta(days=30),
            )
        )
    lines: list[BankLine] = []
    payouts: list[PspPayoutLine] = []
    for i in range(n_lines):
        inv = invoices[(i * 7919) % n_invoices]
        other = invoices[(i * 104_729 + 1) % n_invoices]
        kind = i % 20
        booked = TODAY - dt.timedelta(days=rng.randint(0, 30))
        amount = inv.outstanding_sek
        refs: tuple[str, ...] = ()
        text = payer = ""
        direction = Direction.CREDIT
        payout_id = None
        if kind <= 10:
            refs = (inv.ocr or "",)
        elif kind == 11:
            refs, amount = (inv.ocr or "",), amount - Decimal("25.00")
        elif kind == 12:
            text = f"Faktura {inv.invoice_number}"
        elif kind == 13 and other.company_id == inv.company_id:
            refs, amount = (inv.ocr or "", other.ocr or ""), amount + other.outstanding_sek
        elif kind == 14:
            ocr = inv.ocr or "0"
            refs = (ocr[:-1] + str((int(ocr[-1]) + 3) % 10),)
        elif kind in {15, 16}:
            payer = inv.customer_name.upper()
        elif kind == 17:
            direction, refs = Direction.DEBIT, (inv.ocr or "",)
        elif kind == 18:
            payer = f"{SURNAMES[rng.randrange(len(SURNAMES))].upper()} {rng.randint(1, 999)}"
            amount = from_ore(rng.randint(10_000, 900_000))
        elif kind == 19 and inv.currency == "SEK":
            fee = quantize(inv.outstanding * Decimal("0.014") + Decimal("1.80"))
            payout_id = f"po_{i}"
            charge = PspCharge(f"ch_{i}", inv.outstanding, fee, "SEK", inv.invoice_number)
            payouts.append(
                PspPayoutLine(inv.company_id, "stripe", payout_id, inv.outstanding - fee, "SEK", (charge,))
            )
            amount = inv.outstanding - fee
        lines.append(
            BankLine(
                inv.company_id,
                f"bl-{i}",
                booked,
                amount,
                "SEK",
                direction,
                False,
                refs,
                text,
                payer,
                "",
                payout_id,
            )
        )
    return invoices, lines, payouts


Row = dict[str, Any]
HERE = Path(__file__).resolve()
QUICK = ("20000", "5000,20000")
"""``--quick``: random and ambiguous sizes that run in seconds (a smoke run, not the targets' sizes)."""
TARGET_LINES = 100_000
GROWTH_TARGET = "<= 1.2"


def _implementation(before: bool) -> Callable[..., Any]:
    if not before:
        return propose
    sys.path.insert(0, str(HERE.parents[1] / "match"))
    previous: Callable[..., Any] = importlib.import_module("oracle_match.engine").propose
    return previous


def measure(n_lines: int, *, ambiguous: bool, before: bool, repeat: int) -> Row:
    """Best CPU time of ``repeat`` runs at one size, the process's peak RSS and the matcher's part."""
    invoices, lines, payouts = build(n_lines, ambiguous=ambiguous)
    match = _implementation(before)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu: list[float] = []
    allocations = auto = 0
    for _ in range(repeat):
        start = time.process_time()
        result = match(invoices, lines, MatchRules(), MatchMemory(), today=TODAY, psp_payouts=payouts)
        cpu.append(time.process_time() - start)
        allocations = len(result.allocations)
        auto = sum(1 for a in result.allocations if a.decision.value == "auto")
        del result
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n_lines,
        "cpu": min(cpu),
        "rss_mib": rss / 1024,
        "matcher_mib": (rss - rss_before) / 1024,
        "allocations": allocations,
        "auto": auto,
    }


def _child(n_lines: int, *, ambiguous: bool, before: bool) -> Row:
    """One size in a fresh process, so the peak RSS is that size's alone."""
    command = [sys.executable, "-m", "tests.bench.bench_match", "--one", str(n_lines)]
    command += ["--ambiguous"] * ambiguous + ["--before"] * before
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=HERE.parents[2])
    row: Row = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def growth(small: Row, large: Row) -> float:
    """How much faster than n log n the CPU time grew from ``small`` to ``large`` (1.0: exactly)."""
    nlogn = (large["n"] * math.log(large["n"])) / (small["n"] * math.log(small["n"]))
    return float(large["cpu"] / small["cpu"] / nlogn)


def _pairs(rows: list[Row]) -> list[tuple[Row, Row]]:
    """First size → 100k and 100k → largest when 100k was run; else first → largest."""
    middle = next((r for r in rows[1:-1] if r["n"] == TARGET_LINES), None)
    if middle is None and rows[-1]["n"] == TARGET_LINES and len(rows) > 1:
        return [(rows[0], rows[-1])]
    if middle is None:
        return [(rows[0], rows[-1])] if len(rows) > 1 else []
    return [(rows[0], middle), (middle, rows[-1])]


def _print(label: str, row: Row) -> None:
    print(
        f"  {label:<6} {row['n']:>7} lines vs {row['n'] // 2:>6} invoices: {row['cpu']:6.2f} s CPU, "
        f"peak RSS {row['rss_mib']:5.0f} MiB (matcher {row['matcher_mib']:4.0f}), "
        f"{row['allocations']} allocations, {row['auto']} auto"
    )


def series(sizes: list[int], *, ambiguous: bool, before: bool) -> tuple[list[Row], list[Row]]:
    """Each size (the previous matcher first, when asked) and the growth against n log n."""
    rows: list[Row] = []
    old: list[Row] = []
    for n in sizes:
        if before:
            old.append(_child(n, ambiguous=ambiguous, before=True))
            _print("before", old[-1])
        rows.append(_child(n, ambiguous=ambiguous, before=False))
        _print("now" if before else "", rows[-1])
    for label, measured in (("before", old), ("now", rows)):
        for small, large in _pairs(measured) if measured else []:
            print(f"  {label}: {small['n']}->{large['n']}: {growth(small, large):.2f} x n log n")
    return rows, old


def _k(n: int) -> str:
    return f"{n / 1000:g}k"


def _figures(random_rows: list[Row], ambiguous_rows: list[Row]) -> list[Figure]:
    figures: list[Figure] = []
    for label, rows in (("random prices", random_rows), ("ambiguous", ambiguous_rows)):
        for row in rows:
            at_target = row["n"] == TARGET_LINES
            name = f"{label}, {_k(row['n'])} lines x {_k(row['n'] // 2)} invoices"
            figures.append(Figure(f"{name}: CPU", round(row["cpu"], 2), "s", "<= 10" if at_target else None))
            target = "<= 1024" if at_target else None
            figures.append(Figure(f"{name}: peak RSS", round(row["rss_mib"]), "MiB", target))
    for small, large in _pairs(ambiguous_rows):
        name = f"ambiguous growth {_k(small['n'])}->{_k(large['n'])} lines / n log n"
        figures.append(Figure(name, round(growth(small, large), 2), "", GROWTH_TARGET))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,25000,50000,100000", help="random prices; '' to skip")
    parser.add_argument("--ambiguous-sizes", default="10000,30000,100000,300000", help="'' to skip")
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK[0]} and {QUICK[1]}")
    parser.add_argument("--before", action="store_true", help="also run the previous matcher (the oracle)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ambiguous", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        repeat = 3 if args.one <= TARGET_LINES else 1
        row = measure(args.one, ambiguous=args.ambiguous, before=args.before, repeat=repeat)
        print(json.dumps(row))
        return 0
    sizes, ambiguous_sizes = QUICK if args.quick else (args.sizes, args.ambiguous_sizes)
    random_rows: list[Row] = []
    ambiguous_rows: list[Row] = []
    if sizes:
        print("random prices, customers drawn from 480 names per company:")
        random_rows, _ = series([int(n) for n in sizes.split(",")], ambiguous=False, before=args.before)
    if ambiguous_sizes:
        print("repeated price points, about five invoices per customer:")
        sizes_list = [int(n) for n in ambiguous_sizes.split(",")]
        ambiguous_rows, _ = series(sizes_list, ambiguous=True, before=args.before)
    emit("bench_match", _figures(random_rows, ambiguous_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
