"""One demo run: sandbox up, syncd configured for it, a bank day in the inbox, one full cycle.

Everything syncd does here goes through its real paths — HTTP to the sandbox server, files in an
inbox folder, the embedded SQLite database — so the demo shows the product, not a mock of it.
The database and inbox are recreated each run so that the same seed always tells the same story.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from pydantic import SecretStr

from syncd import migrate
from syncd.app import App
from syncd.audit.run import CompanyAudit, audit_company
from syncd.daemon.cycle import CycleReport, run_once
from syncd.demo.bankday import bank_files
from syncd.demo.payments import BankDay
from syncd.demo.readback import Reconciliation, collect
from syncd.demo.world import DemoCompany, build_sandbox, open_invoices
from syncd.sandbox.server import running
from syncd.settings import BokioSettings, CompanySettings, Settings

DEFAULT_WORKDIR = Path("var/demo")
SETTLED_AGE_S = 60
"""Back-date the files: the inbox leaves alone anything modified in the last two seconds."""


@dataclass(frozen=True, slots=True)
class DemoRun:
    """What a demo run did: the day's plan, the cycle's stage reports and what came of it."""

    company: DemoCompany
    seed: int
    database: Path
    plan: BankDay
    files: tuple[Path, ...]
    cycles: tuple[CycleReport, ...]
    reconciliation: Reconciliation
    seconds: float
    audit: CompanyAudit | None = None
    """The audit against the sandbox's ledger (its SIE export) after the cycle."""

    @property
    def ok(self) -> bool:
        """Every stage of the cycle succeeded and the audit found every booking in Bokio's ledger."""
        return all(cycle.ok for cycle in self.cycles) and (self.audit is None or self.audit.ok)


def _fresh(workdir: Path) -> tuple[Path, Path]:
    """A new empty database path and inbox under ``workdir`` (the previous run's are removed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "syncd.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    inbox = workdir / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir()
    return database, inbox


def settings_for(company: DemoCompany, *, base_url: str, database: Path, inbox: Path) -> Settings:
    """syncd's settings for the demo company: built in code, no config file or environment read."""
    return Settings(
        database_url=SecretStr(f"sqlite:///{database}"),
        bokio=BokioSettings(base_url=base_url),
        companies=(
            CompanySettings(
                id=UUID(company.id),
                name=company.name,
                token=SecretStr(company.token),
                bank_inbox=inbox,
            ),
        ),
    )


def write_inbox(inbox: Path, files: dict[str, bytes]) -> tuple[Path, ...]:
    """Drop the files as a bank's file transfer would: written whole, then renamed into place."""
    written = []
    settled = time.time() - SETTLED_AGE_S
    for name, data in files.items():
        part = inbox / f".{name}.part"
        part.write_bytes(data)
        os.utime(part, (settled, settled))
        target = inbox / name
        part.replace(target)
        written.append(target)
    return tuple(written)


def run_demo(
    workdir: Path = DEFAULT_WORKDIR, *, seed: int = 1, then: Callable[[DemoRun, Settings], None] | None = None
) -> DemoRun:
    """Seed, serve, configure, write the bank day, run one full cycle, and read back the result.

    ``then`` runs while the sandbox still serves (``syncd demo --web`` keeps the web app up there).
    """
    started = time.monotonic()
    database, inbox = _fresh(workdir)
    sandbox, company = build_sandbox(seed)
    with running(sandbox) as server:
        settings = settings_for(company, base_url=server.url, database=database, inbox=inbox)
        migrate.upgrade(settings.database_url.get_secret_value())
        plan, files = bank_files(
            open_invoices(sandbox, company.id), day=sandbox.today(), seed=seed, creditor=company.creditor
        )
        written = write_inbox(inbox, files)
        with App(settings) as app:
            cycles = tuple(run_once(app))
            reconciliation = collect(app, settings.companies[0], sandbox, plan, cycles)
            audit = audit_company(app, settings.companies[0])
        seconds = time.monotonic() - started
        run = DemoRun(company, seed, database, plan, written, cycles, reconciliation, seconds, audit)
        if then is not None:
            then(run, settings)
    return run
