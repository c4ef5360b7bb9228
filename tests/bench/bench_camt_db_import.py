"""Benchmark: import a generated ~200 MB camt.053 through the import job into a fresh database.

Run on demand (pytest does not collect ``bench_*.py``)::

    .venv/bin/python -m tests.bench.bench_camt_db_import [--mb 200] [--batch-size 2000]
    .venv/bin/python -m tests.bench.bench_camt_db_import --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

The statement is generated as in :mod:`tests.bench.bench_camt_import`, then imported with
:func:`syncd.ingest.importer.import_file` (streamed: hashed, parsed and inserted in batches inside
one transaction) into a freshly migrated SQLite file, or into a scratch PostgreSQL database created
next to the one ``--postgres`` names and dropped afterwards. Prints transactions per second and
peak RSS; target: peak RSS ≤ 250 MB.

Measured 2026-11-29 on the 2-core machine while other test runs shared it (``--mb 20``, 18,600
transactions), PostgreSQL: 662 tx/s with the many-row ``INSERT … VALUES`` and server-side prepared
statements; 2,125 tx/s with COPY into a staging table + one ``INSERT … SELECT … ON CONFLICT`` per
batch and no prepared plans (:mod:`syncd.ingest.copy`). The parser alone
(:mod:`tests.bench.bench_camt_import`) ran at 3,485 tx/s in the same minutes: it is now the limit
(xml.etree iterparse plus the per-entry mapping), and 10,000 tx/s needs a faster parser first.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from syncd import migrate
from syncd.db import make_engine, session_factory
from syncd.ingest.importer import BATCH_SIZE, ImportStatus, import_file
from syncd.ingest.tables import BankTransaction
from tests.bench.bench_camt_import import generate

COMPANY = "7e1f0c2d-3a4b-4c5d-8e6f-9a0b1c2d3e4f"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@contextmanager
def _database(tmp: Path, postgres: str | None) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a scratch PostgreSQL database dropped after."""
    if postgres is None:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        migrate.upgrade(url)
        yield url
        return
    name = f"syncd_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
        try:
            migrate.upgrade(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the generated statement")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="transactions per insert")
    parser.add_argument("--postgres", metavar="URL", help="import into a scratch database on this server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _database(Path(tmp), args.postgres) as url:
        path = Path(tmp) / "bench.camt053.xml"
        started = time.perf_counter()
        entries = generate(path, args.mb)
        size = path.stat().st_size
        print(f"generated {size / 1e6:.1f} MB, {entries} entries in {time.perf_counter() - started:.1f} s")
        engine = make_engine(url)
        sessions = session_factory(engine)
        rss_before = _peak_mib()
        started = time.perf_counter()
        report = import_file(sessions, COMPANY, path, max_bytes=size + 1, batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        peak = _peak_mib()
        with sessions() as session:
            rows = session.scalar(select(func.count()).select_from(BankTransaction)) or 0
        engine.dispose()
    backend = make_url(url).get_backend_name()
    print(
        f"{backend}: {report.status.value}, added {report.added}, known {report.already_known}, rows {rows}"
    )
    rate, mb_s = report.added / elapsed, size / 1e6 / elapsed
    print(f"imported {report.added} transactions in {elapsed:.1f} s: {rate:,.0f} tx/s, {mb_s:.1f} MB/s")
    print(f"peak RSS: {peak:.0f} MiB (before importing: {rss_before:.0f} MiB); target ≤ 250 MiB")
    ok = report.status is ImportStatus.IMPORTED and rows == report.added and peak <= 250
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
