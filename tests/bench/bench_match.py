"""Matcher benchmark: 100,000 bank lines against 50,000 open invoices, mixed tiers.

Run ``python tests/bench/bench_match.py`` (not collected by pytest). Prints wall time per size,
the ratio of the growth to n·log n, and the process's peak resident memory.
Targets: 100k lines ≤ 10 s, ≤ 1 GB.

A second series (``--ambiguous-sizes``, to 300k lines by default) has realistic ambiguity: amounts
from a price list of 60 points (1-3 units), so many invoices share an amount, and about five
invoices per customer, customers growing with the book; it reports its growth against n log n.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import resource
import sys
import time
from decimal import Decimal

from syncd.domain.models import BankLine, Direction, OpenInvoice, PspCharge, PspPayoutLine
from syncd.domain.money import from_ore, quantize
from syncd.domain.references import make_ocr
from syncd.match import MatchMemory, MatchRules, propose

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


def run(n_lines: int, *, ambiguous: bool = False) -> tuple[float, int, int]:
    invoices, lines, payouts = build(n_lines, ambiguous=ambiguous)
    start = time.perf_counter()
    result = propose(invoices, lines, MatchRules(), MatchMemory(), today=TODAY, psp_payouts=payouts)
    elapsed = time.perf_counter() - start
    auto = sum(1 for a in result.allocations if a.decision.value == "auto")
    return elapsed, len(result.allocations), auto


def series(sizes: list[int], *, ambiguous: bool) -> list[tuple[int, float]]:
    """Time each size and print its growth against n log n."""
    rows = []
    for n in sizes:
        elapsed, allocations, auto = run(n, ambiguous=ambiguous)
        rows.append((n, elapsed))
        print(
            f"{n:>7} lines vs {n // 2:>6} invoices: {elapsed:6.2f} s ({allocations} allocations, {auto} auto)"
        )
    base_n, base_t = rows[0]
    for n, t in rows[1:]:
        nlogn = (n * math.log(n)) / (base_n * math.log(base_n))
        print(
            f"  {base_n}->{n}: time x{t / base_t:.2f}, n log n x{nlogn:.2f}, ratio {t / base_t / nlogn:.2f}"
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,25000,50000,100000")
    parser.add_argument("--ambiguous-sizes", default="10000,30000,100000,300000", help="'' to skip")
    args = parser.parse_args()
    print("random prices, customers drawn from 480 names per company:")
    rows = series([int(n) for n in args.sizes.split(",")], ambiguous=False)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak resident memory (whole process, incl. test data): {peak_kib / 1024:.0f} MiB")
    ok = rows[-1][1] <= 10 and peak_kib <= 1024 * 1024
    print("targets (100k ≤ 10 s, ≤ 1 GB):", "met" if ok else "MISSED")
    if args.ambiguous_sizes:
        print("repeated price points, about five invoices per customer:")
        series([int(n) for n in args.ambiguous_sizes.split(",")], ambiguous=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory after the ambiguous series: {peak:.0f} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
