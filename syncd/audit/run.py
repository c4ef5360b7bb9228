"""One audit of one company: plan the fiscal years, download one SIE file per year, compare, store.

The job owns its transactions: a read of syncd's own bookings, the downloads (no transaction
open, every call recorded in the request ledger after it), and one write of the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from syncd.app import App
from syncd.audit import expect, store
from syncd.audit.compare import AuditResult, Booking, compare
from syncd.audit.report import result_json
from syncd.audit.tables import AuditRun
from syncd.bokio.client import BokioClient
from syncd.bokio.paths import SIE_DOWNLOAD
from syncd.budget import LedgerRecorder
from syncd.clock import STOCKHOLM
from syncd.domain.invoice_math import SettlementSign
from syncd.errors import ConfigError
from syncd.mirror import repo
from syncd.mirror.tables import Company, FiscalYear
from syncd.settings import CompanySettings
from syncd.sie import Voucher, parse


@dataclass(frozen=True)
class PlannedYear:
    """One fiscal year to audit: one ``GET …/sie/{id}/download``."""

    bokio_id: str
    start: dt.date
    end: dt.date

    def path(self, company: str) -> str:
        return SIE_DOWNLOAD.replace("{companyId}", company).replace("{fiscalYearId}", self.bokio_id)


@dataclass
class CompanyAudit:
    """What one company's audit planned, cost and found (``result`` is None for a dry run)."""

    company: str
    name: str
    years: list[PlannedYear]
    bookings: list[Booking] = field(default_factory=list)
    result: AuditResult | None = None
    requests: int = 0
    list_years: bool = False
    """No fiscal year is mirrored yet: one more request lists them first."""

    @property
    def planned_requests(self) -> int:
        return len(self.years) + int(self.list_years)

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


def _read(app: App, company: CompanySettings) -> tuple[int, list[PlannedYear], list[Booking]]:
    """(company pk, the mirrored fiscal years, syncd's bookings): from the database alone."""
    with app.sessions.begin() as session:
        pk = repo.ensure_company(session, str(company.id), company.name).id
        rows = session.scalars(
            select(FiscalYear).where(FiscalYear.company_id == pk, FiscalYear.deleted_at.is_(None))
        ).all()
        years = [PlannedYear(r.bokio_id, r.start_date, r.end_date) for r in rows]
        sign = SettlementSign(app.settings.bokio.settlement_sign)
        return pk, years, expect.bookings(session, pk, sign=sign)


def _fetch_years(app: App, pk: int, client: BokioClient) -> list[PlannedYear]:
    """The fiscal years from Bokio (one more request), mirrored so the next audit needs none."""
    years = list(client.iter_fiscal_years())
    with app.sessions.begin() as session:
        repo.upsert(session, FiscalYear, pk, years)
    return [PlannedYear(year.id, year.start_date, year.end_date) for year in years]


def choose_years(
    years: list[PlannedYear],
    booked: list[Booking],
    *,
    today: dt.date,
    fiscal_year: str | None = None,
    since: dt.date | None = None,
) -> list[PlannedYear]:
    """The one asked for, those ending on or after ``since``, or those holding a booking (else today)."""
    if fiscal_year is not None:
        chosen = [y for y in years if y.bokio_id == fiscal_year]
        if not chosen:
            known = ", ".join(f"{y.bokio_id} ({y.start}..{y.end})" for y in years) or "none known"
            raise ConfigError(f"fiscal year {fiscal_year} is not one of this company's: {known}")
    elif since is not None:
        chosen = [y for y in years if y.end >= since]
    else:
        dates = {b.date for b in booked} or {today}
        chosen = [y for y in years if any(y.start <= d <= y.end for d in dates)]
    return sorted(chosen, key=lambda y: y.start)


def _in_scope(booked: list[Booking], years: list[PlannedYear]) -> list[Booking]:
    return [b for b in booked if any(y.start <= b.date <= y.end for y in years)]


def audit_company(
    app: App,
    company: CompanySettings,
    *,
    fiscal_year: str | None = None,
    since: dt.date | None = None,
    dry_run: bool = False,
) -> CompanyAudit:
    """Run (or, dry, only plan) the audit of one company; a real run stores its result."""
    pk, years, booked = _read(app, company)
    today = app.clock().astimezone(STOCKHOLM).date()
    audit = CompanyAudit(str(company.id), company.name, [], booked, list_years=not years)
    if years:
        audit.years = choose_years(years, booked, today=today, fiscal_year=fiscal_year, since=since)
        audit.bookings = _in_scope(booked, audit.years)
    if dry_run:
        return audit
    recorder = LedgerRecorder(app.sessions, company_ids={str(company.id): pk})
    client = app.bokio_client(company, on_request=recorder)
    vouchers: list[Voucher] = []
    try:
        if not years:
            years = _fetch_years(app, pk, client)
            audit.years = choose_years(years, booked, today=today, fiscal_year=fiscal_year, since=since)
            audit.bookings = _in_scope(booked, audit.years)
        for year in audit.years:
            vouchers += parse(client.download_sie(year.bokio_id)).vouchers
    finally:
        audit.requests = recorder.flush()
    with app.sessions() as session:
        lines = expect.bank_lines(session, pk)
        explained = expect.explained_bank_lines(session, pk)
    audit.result = compare(
        audit.bookings,
        vouchers,
        bank_accounts=expect.bank_accounts(booked, company.payment_account),
        bank_lines=lines,
        explained_bank_lines=explained,
    )
    _store(app, pk, audit)
    return audit


def _store(app: App, pk: int, audit: CompanyAudit) -> None:
    result = audit.result
    assert result is not None  # noqa: S101 - only called after a comparison
    with app.sessions.begin() as session:
        session.add(
            AuditRun(
                company_id=pk,
                finished_at=app.clock(),
                fiscal_years={"ids": [y.bokio_id for y in audit.years]},
                requests=audit.requests,
                bookings=len(audit.bookings),
                found=len(result.found),
                missing=result.count("missing"),
                changed=result.count("changed"),
                reversed=result.count("reversed"),
                double_booked=result.count("double_booked"),
                unseen_bank_money=result.count("unseen_bank_money"),
                ok=result.ok,
                findings={"items": result_json(result)["findings"]},
            )
        )


def last_run(app: App, company: CompanySettings) -> AuditRun | None:
    """The company's latest stored audit (for the daemon's metrics), detached from its session."""
    with app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == str(company.id)))
        row = None if pk is None else store.latest(session, pk)
        if row is not None:
            session.expunge(row)
        return row
