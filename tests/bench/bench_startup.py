"""Benchmark: how long ``syncd`` takes to start, next to a bare ``python -c pass``.

Not collected by pytest. Run: ``.venv/bin/python -m tests.bench.bench_startup [--runs N]``.

Builds the demo's database once (``syncd demo``: a company with proposals waiting for review), then
runs each command ``--runs`` times in a fresh interpreter and prints the best and median wall
time and CPU time. Targets on the reference machine: ``syncd --help`` ≤ 0.3 s and
``syncd review show`` ≤ 0.6 s. Figures only; nothing here asserts on time.

Measured 2026-11-29 on the 2-core reference machine (shared, load average ≈2.8 during the runs,
so figures are high and noisy), wall seconds, best / median of 9 runs interleaved before/after
the lazy imports (lazy ``syncd.bankfiles`` and ``syncd.match`` inits, structlog without rich,
PostgreSQL dialect only for a PostgreSQL engine):

=====================  ===============  ===============
command                before           after
=====================  ===============  ===============
python -c pass         0.021 / 0.023    0.022 / 0.022
syncd --help           0.040 / 0.042    0.042 / 0.043
syncd status           1.026 / 1.216    0.961 / 1.091
syncd review list      0.747 / 0.804    0.625 / 0.721
syncd review show      0.843 / 0.943    0.672 / 0.752
=====================  ===============  ===============

In a quieter moment the same build gave ``review show`` 0.582 / 0.591 (this script, 5 runs).
What remains is mostly SQLAlchemy (≈0.2 s), the ORM mapping of the table modules and pydantic
settings; ``tests/commands/test_output_for_people.py`` checks (without timing) that the modules
taken out of ``review show``'s import graph stay out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp()) / "demo"
    syncd = [sys.executable, "-m", "syncd"]
    demo = subprocess.run(
        [*syncd, "demo", "--workdir", str(workdir), "--json"], capture_output=True, text=True, check=True
    )
    json.loads(demo.stdout)
    database = workdir / "syncd.sqlite3"
    with sqlite3.connect(database) as db:
        (company,) = db.execute("select bokio_company_id from companies").fetchone()
        (proposal,) = db.execute("select min(id) from allocations where state = 'proposed'").fetchone()
    env = {
        **os.environ,
        "SYNCD_DATABASE_URL": f"sqlite:///{database}",
        "SYNCD_COMPANY_ID": company,
        "SYNCD_BOKIO_TOKEN": "not-used-no-bokio-call",
        "SYNCD_LOG_LEVEL": "WARNING",
    }
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("syncd --help", [*syncd, "--help"]),
        ("syncd --version", [*syncd, "--version"]),
        ("syncd status", [*syncd, "status"]),
        ("syncd review list", [*syncd, "review", "list"]),
        (f"syncd review show {proposal}", [*syncd, "review", "show", str(proposal)]),
    ]
    print(f"{'command':<26} {'best wall':>10} {'median wall':>12} {'best cpu':>9}  ({args.runs} runs)")
    for name, argv in cases:
        runs = [_run(argv, env) for _ in range(args.runs)]
        walls = [wall for wall, _ in runs]
        cpus = [cpu for _, cpu in runs]
        print(f"{name:<26} {min(walls):>9.3f}s {statistics.median(walls):>11.3f}s {min(cpus):>8.3f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
