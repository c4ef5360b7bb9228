"""Benchmark: how long ``syncd`` takes to start, next to a bare ``python -c pass``.

Not collected by pytest. Run: ``.venv/bin/python -m tests.bench.bench_startup [--runs N]``.

Builds the demo's database once (``syncd demo``: a company with proposals waiting for review), then
runs the commands ``--runs`` times each, round robin, in fresh interpreters with their bytecode
cached (as pip compiles an installed wheel's; ``PYTHONDONTWRITEBYTECODE`` would time the compiler
too), and prints the best and median wall time and CPU time. Targets on the reference machine:
``syncd --help`` ≤ 0.3 s and ``syncd review show`` ≤ 0.6 s. Figures only; nothing here asserts on time.

Round 1 (2026-11-29, load average ≈2.8, bytecode not cached), wall seconds best / median of 9 runs,
before/after lazy ``syncd.bankfiles`` and ``syncd.match`` inits, structlog without rich and the
PostgreSQL dialect only for a PostgreSQL engine: ``--help`` 0.040 / 0.042 → 0.042 / 0.043,
``status`` 1.026 / 1.216 → 0.961 / 1.091, ``review list`` 0.747 / 0.804 → 0.625 / 0.721,
``review show`` 0.843 / 0.943 → 0.672 / 0.752.

Round 2 (2026-11-29 evening, the same 2 cores shared with other suites, load average 5-7 during
the runs), 9 runs each, before and after interleaved, bytecode cached. Before: the tree after
round 1. After: the database's revision read without Alembic (one query of ``alembic_version``,
the scripts' revision lines), ``review show`` importing only what it shows (no reversals, no
unmatched-money or duplicate modules, no matcher inputs, no bank-file parsing), structlog imported
through ``syncd.logging`` first in every command (``status`` had rich again through the Bokio
client), ``difflib``/``traceback`` only on error paths. Instructions: user-space instructions of
one run under ``valgrind --tool=callgrind`` (deterministic, unlike time on a shared machine):

=====================  ================  ================  ==========================
command                wall best / med   cpu best / med    instructions
=====================  ================  ================  ==========================
python -c pass         0.021 / 0.029     0.020 / 0.021     88 M
  after                0.019 / 0.030     0.018 / 0.020
syncd --help           0.033 / 0.049     0.033 / 0.034     160 M
  after                0.031 / 0.043     0.030 / 0.033     149 M (-7 %)
syncd status           0.848 / 1.009     0.813 / 0.864     3 708 M
  after                0.645 / 0.737     0.632 / 0.671     3 022 M (-19 %)
syncd review list      0.571 / 0.680     0.543 / 0.571     2 539 M
  after                0.545 / 0.692     0.530 / 0.560     2 532 M (-0 %)
syncd review show      0.545 / 0.590     0.525 / 0.545     2 467 M
  after                0.497 / 0.544     0.489 / 0.520     2 342 M (-5 %)
=====================  ================  ================  ==========================

This script alone on the after tree at load ≈7 printed ``review show`` 0.800 / 0.825 wall, 0.534
best CPU: under load, wall time is CPU time plus waiting for a core. What remains in
``review show`` is SQLAlchemy's import (≈0.2 s CPU, with asyncio and importlib.metadata of its
own), mapping and configuring the four table modules' 22 classes (≈0.09 s), pydantic and the
settings models (≈0.06 s) and the matcher package for ``format_amount`` (≈0.02 s; it lives in
``syncd.match.plan``). ``status`` still loads the whole Bokio client (≈0.05 s: ``syncd.bokio``'s
init is eager, and ``pull.pauses`` and ``outbox.tagging`` import it) and ``syncd.pull``'s init with
the puller (≈0.02 s). ``tests/commands/test_output_for_people.py`` checks (without timing) that
the modules taken out stay out.
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

from tests.bench.summary import Figure, emit


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
    scratch = Path(tempfile.mkdtemp())
    workdir = scratch / "demo"
    syncd = [sys.executable, "-m", "syncd"]
    demo = subprocess.run(
        [*syncd, "demo", "--workdir", str(workdir), "--json"], capture_output=True, text=True, check=True
    )
    json.loads(demo.stdout)
    database = workdir / "syncd.sqlite3"
    with sqlite3.connect(database) as db:
        (company,) = db.execute("select bokio_company_id from companies").fetchone()
        (proposal,) = db.execute("select min(id) from allocations where state = 'proposed'").fetchone()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        SYNCD_DATABASE_URL=f"sqlite:///{database}",
        SYNCD_COMPANY_ID=company,
        SYNCD_BOKIO_TOKEN="not-used-no-bokio-call",
        SYNCD_LOG_LEVEL="WARNING",
        PYTHONPYCACHEPREFIX=str(scratch / "pycache"),  # bytecode cached, as pip compiles an install's
    )
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("syncd --help", [*syncd, "--help"]),
        ("syncd --version", [*syncd, "--version"]),
        ("syncd status", [*syncd, "status"]),
        ("syncd review list", [*syncd, "review", "list"]),
        (f"syncd review show {proposal}", [*syncd, "review", "show", str(proposal)]),
    ]
    for _, argv in cases:  # warm-up: writes the bytecode cache, not counted
        _run(argv, env)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in cases}
    for _ in range(args.runs):  # round robin: a burst of load on a shared machine hits every command
        for name, argv in cases:
            runs[name].append(_run(argv, env))
    print(f"{'command':<26} {'best wall':>10} {'median wall':>12} {'best cpu':>9}  ({args.runs} runs)")
    for name, measured in runs.items():
        walls = [wall for wall, _ in measured]
        cpus = [cpu for _, cpu in measured]
        print(f"{name:<26} {min(walls):>9.3f}s {statistics.median(walls):>11.3f}s {min(cpus):>8.3f}s")
    targets = {"syncd --help": "<= 0.3", "syncd review show": "<= 0.6"}
    figures = []
    for name, measured in runs.items():
        label = name.removesuffix(f" {proposal}")
        best = min(wall for wall, _ in measured)
        figures.append(Figure(f"{label}: best wall", round(best, 3), "s", targets.get(label)))
    emit("bench_startup", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
