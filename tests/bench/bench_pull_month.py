"""A simulated month of the reference company: syncd's Bokio reads vs a naive poller vs the minimum.

Run on demand: ``python tests/bench/bench_pull_month.py`` (not a pytest test). The sandbox runs on
a manual clock; syncd really pulls (in-process transport, SQLite). Scenario: ~250 open invoices,
200 new invoices a month, 22 bank-file days each settling ~9 invoices (each triggers
``refresh_open_invoices``), 10 customer edits, a full sweep every night.

The naive poller (list everything + every invoice's payments and settlements every 15 minutes)
is computed analytically from the day's invoice count, not simulated.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from syncd import migrate
from syncd.domain import invoice_math as im
from syncd.logging import configure_logging
from syncd.pull.cursors import pages_for, window_start
from syncd.sandbox.seed import Mix, create_published_invoice, edit_customer, pay_invoice, seed_demo
from tests.pull.harness import COMPANY, TOKEN, company_settings, make_app, make_sandbox

START = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
PAGE = 100


def main() -> None:
    configure_logging(level="WARNING", fmt="console", secrets=[])
    rng = random.Random(4)
    sandbox = make_sandbox(start=START)
    seed_demo(
        sandbox,
        company_id=COMPANY,
        token=TOKEN,
        customers=60,
        invoices=420,
        mix=Mix(draft=0.0, paid=0.38, partial=0.05, credited=0.02, eur=0.1),
    )
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    migrate.upgrade(url)
    app = make_app(url, sandbox)
    puller, company = app.puller(), company_settings()
    clock = sandbox.clock
    puller.pull(company, full=True, now=clock())  # initial load: not part of the month

    days = 31
    bank_days = [d for d in range(days) if (START + dt.timedelta(days=d)).weekday() < 5][:22]
    edit_days = set(rng.sample(range(days), 10))
    new_per_day = [200 // days + (1 if d < 200 % days else 0) for d in range(days)]
    refresh = sweep = minimum = naive = 0
    settled_total = 0
    for day in range(days):
        today = START + dt.timedelta(days=day)
        clock.set(today + dt.timedelta(hours=1))  # 02:00 Stockholm: nightly full sweep
        sweep += puller.pull(company, full=True, now=clock()).total_requests
        with sandbox.lock:
            books = sandbox.books(COMPANY)
            customers = sorted(books.company.customers)
            clock.set(today + dt.timedelta(hours=7))
            for _ in range(new_per_day[day]):
                line = {
                    "itemType": "salesItem",
                    "description": "Konsult",
                    "productType": "services",
                    "unitType": "hour",
                    "quantity": Decimal(rng.randint(1, 10)),
                    "unitPrice": Decimal(rng.randint(500, 1500)),
                    "taxRate": Decimal(25),
                }
                create_published_invoice(books, rng.choice(customers), [line], sandbox.today().isoformat())
            if day in edit_days:
                edit_customer(books, rng.choice(customers), paymentTerms=str(rng.choice((10, 20, 30))))
                minimum += 1
            invoices_now = len(books.company.invoices)
        naive += 96 * (pages_for(invoices_now, PAGE) + 2 * invoices_now + pages_for(len(customers), PAGE))
        if day not in bank_days:
            continue
        clock.set(today + dt.timedelta(hours=8))
        with sandbox.lock:
            books = sandbox.books(COMPANY)
            views = {i: books.view(inv) for i, inv in books.company.invoices.items()}
            open_ids = sorted((v["dueDate"], i) for i, v in views.items() if v["status"] in im.OPEN_STATUSES)
            settle = [i for _, i in open_ids[: rng.randint(7, 11)]]
            for invoice_id in settle:
                pay_invoice(books, invoice_id, books.remaining(invoice_id), sandbox.today().isoformat())
            start = window_start(sandbox.today(), 30)
            in_window = sum(1 for v in views.values() if dt.date.fromisoformat(v["invoiceDate"]) >= start)
            settled_in_window = sum(
                1 for i in settle if dt.date.fromisoformat(views[i]["invoiceDate"]) >= start
            )
        settled_total += len(settle)
        # a clairvoyant poller: one open listing, the settled invoices' new state by the cheapest
        # route (window listing or GET by id), and their payments + settlements
        minimum += pages_for(len(open_ids), PAGE) + 2 * len(settle)
        minimum += min(len(settle), pages_for(in_window, PAGE) + len(settle) - settled_in_window)
        clock.set(today + dt.timedelta(hours=8, minutes=5))
        refresh += puller.refresh_open_invoices(company, now=clock()).total_requests
    app.close()

    print(
        f"month: {days} days, {len(bank_days)} bank-file days, {settled_total} invoices settled, "
        f"{sum(new_per_day)} new invoices, {len(edit_days)} customer edits"
    )
    print(f"syncd pollers (bank-day refreshes):        {refresh:>9}")
    print(f"syncd nightly full sweeps (separate):      {sweep:>9}")
    print(f"syncd total incl. nightly sweeps:          {refresh + sweep:>9}")
    print(f"naive poller, every 15 min (analytic):     {naive:>9}")
    print(f"theoretical minimum, same freshness:       {minimum:>9}")
    print(f"pollers / minimum:                         {refresh / minimum:>9.2f}  (target <= 1.20)")
    print(f"pollers <= 700:                            {refresh <= 700!s:>9}")


if __name__ == "__main__":
    main()
