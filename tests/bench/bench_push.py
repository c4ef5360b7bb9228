"""Benchmark: push 500 allocations into the sandbox under Bokio's rate limit (window scaled down).

Not collected by pytest. Run: ``.venv/bin/python -m tests.bench.bench_push [--db URL]``.

Prints requests per allocation and how close the achieved request rate comes to the bound the
rate limit allows (target ≥ 0.9, with no 429 after the first). The client's limiter is set to the
same budget as the sandbox's (200 requests per 6 s here instead of per 60 s), so syncd paces
itself instead of being told off.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import httpx

from syncd import migrate
from syncd.allocations.lifecycle import AllocationLifecycle
from syncd.bokio import RateLimiter
from syncd.db import make_engine, session_factory
from syncd.logging import configure_logging
from syncd.outbox.client import company_client
from syncd.outbox.pusher import Pusher
from tests.bench.summary import Figure, emit
from tests.outbox.world import (
    COMPANY,
    TOKEN,
    accept_allocations,
    command_states,
    company_pk,
    make_sandbox,
    publish_invoices,
    serving,
)

LIMIT, WINDOW_S = 200, 6.0


def main() -> int:
    configure_logging(level="WARNING", fmt="console")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--allocations", type=int, default=500)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--batch", type=int, default=10, help="claims per transaction")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    sandbox = make_sandbox(rate_limit=LIMIT, rate_window_seconds=WINDOW_S)
    invoices = publish_invoices(sandbox, args.allocations)
    # half with a bank-fee settlement, half payment only: 3 or 5 commands each
    half = args.allocations // 2
    accept_allocations(sessions, sandbox, invoices[:half], settlement=True)
    accept_allocations(sessions, sandbox, invoices[half:], settlement=False, first_index=half)
    # the client's budget: the same 200 per window, with a little slack for clock skew between us and it
    limiter = RateLimiter(max_requests=LIMIT - 2, window_s=WINDOW_S + 0.05)
    with serving(sandbox) as server, httpx.Client() as http:
        client = company_client(http, base_url=server.url, token=TOKEN, company_id=COMPANY, limiter=limiter)
        pusher = Pusher(
            sessions, client, company_id=company_pk(sessions), owner=AllocationLifecycle(), batch=args.batch
        )
        seen_before = len(sandbox.log)
        started = time.monotonic()
        report = pusher.drain()
        elapsed = time.monotonic() - started
    entries = sandbox.log[seen_before:]
    requests = len(entries)
    limited = sum(1 for entry in entries if entry.status == 429)
    # the most a sliding window of LIMIT per WINDOW_S allows in `elapsed`: LIMIT per started window
    bound = LIMIT * math.ceil(elapsed / WINDOW_S)
    achieved_ratio = requests / bound
    print(f"allocations          {args.allocations} ({half} with a settlement)")
    print(f"outbox               {command_states(sessions)}")
    print(f"handled commands     {report.handled}  (refreshed invoices {report.refreshed})")
    print(f"requests             {requests}  ({requests / args.allocations:.2f} per allocation)")
    print(f"429 answers          {limited}")
    print(f"elapsed              {elapsed:.1f} s  ({requests / elapsed:.1f} req/s)")
    print(f"rate-limit bound     {LIMIT} per {WINDOW_S:.0f} s -> {bound:.0f} requests in {elapsed:.1f} s")
    print(f"achieved / bound     {achieved_ratio:.3f}")
    emit(
        "bench_push",
        [
            Figure("requests per allocation", round(requests / args.allocations, 3), "requests"),
            Figure("429 answers after the first", max(0, limited - 1), "answers", "<= 0"),
            Figure("achieved request rate / rate-limit bound", round(achieved_ratio, 3), "", ">= 0.9"),
        ],
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
