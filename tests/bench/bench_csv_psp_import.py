"""Benchmark: import a generated ~200 MB SEB CSV and a ~200 MB Stripe report, beside a camt.053.

Run on demand (pytest does not collect ``bench_*.py``)::

    .venv/bin/python -m tests.bench.bench_csv_psp_import [--mb 200] [--formats seb stripe camt]

Each file is generated, then imported with :func:`syncd.ingest.importer.import_file` (the real
path: hashed, parsed as a stream and inserted in batches inside one transaction) into a freshly
migrated SQLite file — each in a child process of its own, so the peak RSS printed is that one
import's (``resource.getrusage`` of the child). Prints rows per second, MB/s and peak RSS side by
side; target: peak RSS < 250 MB for every format. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from syncd import migrate
from syncd.db import make_engine, session_factory
from syncd.ingest.importer import ImportStatus, import_file
from syncd.ingest.tables import BankTransaction, PspCharge
from tests.bench.bench_camt_import import generate as generate_camt
from tests.bench.summary import Figure, emit

COMPANY = "7e1f0c2d-3a4b-4c5d-8e6f-9a0b1c2d3e4f"
TARGET_MIB = 250
SEB_HEADER = "Bokföringsdatum;Valutadatum;Verifikationsnummer;Text/mottagare;Belopp;Saldo\r\n"
STRIPE_HEADER = (
    "balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,"
    "source_id,description,customer_email,customer_name,payment_metadata[invoice_reference],"
    "automatic_payout_id,automatic_payout_effective_at\n"
)
CHARGES_PER_PAYOUT = 400


def _write_until(path: Path, megabytes: int, head: str, row_text: object, encoding: str) -> int:
    """Write ``head`` then rows from ``row_text(i)`` until the file holds ``megabytes`` MB."""
    target = megabytes * 1024 * 1024
    rows = 0
    with path.open("w", encoding=encoding, newline="") as out:
        written = out.write(head)
        while written < target:
            text = row_text(rows)  # type: ignore[operator]
            written += len(text.encode(encoding))
            out.write(text)
            rows += 1
    return rows


def generate_seb(path: Path, megabytes: int) -> int:
    """A SEB export (metadata line, Text/mottagare, three-decimal amounts), one OCR payment per row."""

    def row(i: int) -> str:
        day = f"2026-{i // 250_000 % 12 + 1:02}-{i // 10_000 % 28 + 1:02}"
        ocr = f"{1_000_000 + i % 8_000_000}"
        return f"{day};{day};{5_400_000_000 + i};BG 5050-1055 {ocr} KUND {i % 9973};{i % 90_000 + 10}.250;{i}.000\r\n"

    return _write_until(path, megabytes, "Kontonummer: 5001 12 345 67\r\n\r\n" + SEB_HEADER, row, "utf-8")


def generate_stripe(path: Path, megabytes: int) -> int:
    """A Stripe payout reconciliation report: payouts of 400 charges, each followed by its payout row."""
    state = {"net": 0}

    def row(i: int) -> str:
        payout = i // (CHARGES_PER_PAYOUT + 1)
        position = i % (CHARGES_PER_PAYOUT + 1)
        po = f"po_{payout:010d}"
        if position == CHARGES_PER_PAYOUT:
            net, state["net"] = state["net"], 0
            return (
                f"txn_p{payout:010d},2026-11-24 00:00:00,2026-11-24 00:00:00,sek,-{net / 100:.2f},0.00,"
                f"-{net / 100:.2f},payout,{po},STRIPE PAYOUT,,,,,\n"
            )
        gross = 10_000 + i % 50_000
        fee = gross * 15 // 1000 + 180
        state["net"] += gross - fee
        return (
            f"txn_{i:012d},2026-11-20 09:14:02,2026-11-23 00:00:00,sek,{gross / 100:.2f},{fee / 100:.2f},"
            f"{(gross - fee) / 100:.2f},charge,ch_{i:012d},Faktura {1000 + i % 90_000},"
            f"kund{i % 9973}@example.se,Kund {i % 9973} AB,{1000 + i % 90_000},{po},2026-11-24 00:00:00\n"
        )

    rows = _write_until(path, megabytes, STRIPE_HEADER, row, "utf-8")
    while rows % (CHARGES_PER_PAYOUT + 1):  # finish the last payout with its payout row
        with path.open("a", encoding="utf-8") as out:
            out.write(row(rows))
        rows += 1
    return rows


GENERATORS = {"seb": generate_seb, "stripe": generate_stripe, "camt": generate_camt}
SUFFIX = {"seb": ".csv", "stripe": ".csv", "camt": ".xml"}


def _child(fmt: str, path: Path, url: str) -> dict[str, object]:
    """Import one file in this (child) process; the figures as JSON."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    report = import_file(sessions, COMPANY, path, max_bytes=path.stat().st_size + 1)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = PspCharge if fmt == "stripe" else BankTransaction
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(table)) or 0
    engine.dispose()
    return {
        "status": report.status.value,
        "error": report.error,
        "rows": rows,
        "seconds": elapsed,
        "peak_mib": peak,
        "before_mib": before,
    }


def _run_one(fmt: str, megabytes: int, tmp: Path) -> dict[str, object]:
    path = tmp / f"bench-{fmt}{SUFFIX[fmt]}"
    started = time.perf_counter()
    GENERATORS[fmt](path, megabytes)
    generated = time.perf_counter() - started
    url = f"sqlite:///{tmp / f'bench-{fmt}.sqlite3'}"
    migrate.upgrade(url)
    child = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_csv_psp_import", "--child", fmt, str(path), url],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    figures["mb"] = path.stat().st_size / 1e6
    figures["generated_s"] = generated
    path.unlink()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of each generated file")
    parser.add_argument("--formats", nargs="+", default=["seb", "stripe", "camt"], choices=sorted(GENERATORS))
    parser.add_argument("--quick", action="store_true", help="5 MB files (for make bench)")
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "PATH", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fmt, path, url = args.child
        print(json.dumps(_child(fmt, Path(path), url)))
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            results[fmt] = _run_one(fmt, 5 if args.quick else args.mb, Path(tmp))
    print(
        f"{'format':8} {'MB':>7} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'MB/s':>6} {'peak RSS':>9}  status"
    )
    ok = True
    figures: list[Figure] = []
    for fmt, r in results.items():
        seconds, rows, mb, peak = float(r["seconds"]), int(r["rows"]), float(r["mb"]), float(r["peak_mib"])  # type: ignore[arg-type]
        print(
            f"{fmt:8} {mb:7.1f} {rows:10,d} {seconds:8.1f} {rows / seconds:9,.0f} {mb / seconds:6.1f} "
            f"{peak:6.0f} MiB  {r['status']}{' ' + str(r['error']) if r['error'] else ''}"
        )
        imported = r["status"] == ImportStatus.IMPORTED.value
        ok = ok and imported and peak < TARGET_MIB
        figures += [
            Figure(f"{fmt} rows/s (wall, SQLite)", round(rows / seconds), "rows/s"),
            Figure(f"{fmt} peak RSS", round(peak), "MiB", f"< {TARGET_MIB}"),
        ]
    print(f"target: peak RSS < {TARGET_MIB} MiB for each format (rows: bank transactions; Stripe: charges)")
    emit("bench_csv_psp_import", figures)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
