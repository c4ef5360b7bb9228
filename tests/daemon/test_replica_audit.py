"""Replicas that all schedule every company's weekly audit audit each company once, not once each.

Two Daemons (two replicas: separate Apps and engines) on one database; requests are counted by
the sandbox (what Bokio would bill), time moves on the sandbox's manual clock.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from syncd.app import App
from syncd.audit.run import last_run
from syncd.audit.tables import AuditRun
from syncd.daemon import service
from syncd.daemon.service import Daemon
from syncd.ops.locks import company_job_lock
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.seed import seed_demo
from syncd.settings import BokioSettings, CompanySettings, DaemonSettings, Settings
from tests.conftest import Database
from tests.pull.harness import COMPANY, START, TOKEN, company_settings

WEEK = 7 * 24 * 3600


def replica(database: Database, sandbox: Sandbox) -> Daemon:
    settings = Settings(
        database_url=SecretStr(database.url),
        bokio=BokioSettings(base_url="http://sandbox.test/v1", rate_limit_per_minute=1_000_000),
        daemon=DaemonSettings(audit_interval_s=WEEK),
        companies=(company_settings(),),
    )
    return Daemon(App(settings, transport=SandboxTransport(sandbox), clock=sandbox.clock), serve_ops=False)


def bokio_requests(sandbox: Sandbox) -> int:
    counters = sandbox.counters.get(COMPANY)
    return counters.requests if counters is not None else 0


def audits(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditRun)) or 0


def test_a_second_replica_does_not_audit_a_company_the_first_audited_this_week(database: Database) -> None:
    clock = ManualClock(START)
    sandbox = Sandbox(clock=clock, limits=Limits(rate_limit=None), sleep=lambda _s: None)
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, invoices=6, customers=3)
    first, second = replica(database, sandbox), replica(database, sandbox)
    company = first.settings.companies[0]
    try:
        first.audit_job(company)
        spent = bokio_requests(sandbox)
        assert spent > 0
        assert audits(database) == 1

        clock.advance(3600)  # the other replica's timer fires an hour later
        second.audit_job(company)
        assert bokio_requests(sandbox) == spent, "the second replica asked Bokio again"
        assert audits(database) == 1
        found = second.metrics.registry.get_sample_value("syncd_audit_bookings_found", {"company": COMPANY})
        assert found is not None, "the skipping replica still publishes the company's last audit"

        clock.advance(WEEK)  # a week on, the audit is due again and whoever comes first runs it
        second.audit_job(company)
        assert bokio_requests(sandbox) > spent
        assert audits(database) == 2
    finally:
        first.app.close()
        second.app.close()


def test_an_audit_already_running_on_another_replica_is_skipped(database: Database) -> None:
    clock = ManualClock(START)
    sandbox = Sandbox(clock=clock, limits=Limits(rate_limit=None), sleep=lambda _s: None)
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, invoices=6, customers=3)
    daemon = replica(database, sandbox)
    company = daemon.settings.companies[0]
    try:
        with company_job_lock(database.engine, COMPANY, "audit") as held:  # another replica is auditing
            assert held
            daemon.audit_job(company)
        assert bokio_requests(sandbox) == 0
        assert audits(database) == 0
        skipped = daemon.metrics.registry.get_sample_value("syncd_lock_skipped_total", {"job": "audit"})
        assert skipped == 1
    finally:
        daemon.app.close()


def test_a_replica_starting_after_an_audit_publishes_it_from_one_read_of_the_last_audit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(START)
    sandbox = Sandbox(clock=clock, limits=Limits(rate_limit=None), sleep=lambda _s: None)
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, invoices=6, customers=3)
    first, second = replica(database, sandbox), replica(database, sandbox)
    reads: list[str] = []

    def counted(app: App, company: CompanySettings) -> AuditRun | None:
        reads.append(str(company.id))
        return last_run(app, company)

    try:
        first.audit_job(first.settings.companies[0])
        monkeypatch.setattr(service, "last_run", counted)
        second.schedule()  # a replica (re)starting: every company's last audit is looked up
        assert reads == [COMPANY], "schedule() reads each company's last audit once"
        found = second.metrics.registry.get_sample_value("syncd_audit_bookings_found", {"company": COMPANY})
        assert found is not None
    finally:
        first.app.close()
        second.app.close()
