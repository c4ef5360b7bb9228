"""A sandbox-backed App for pull tests: in-process transport, manual clock, no network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from syncd.app import App
from syncd.domain import invoice_math as im
from syncd.mirror.tables import (
    Company,
    CreditNote,
    Customer,
    Invoice,
    InvoicePayment,
    InvoiceSettlement,
)
from syncd.pull import Puller, PullReport
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.contract import spec_available
from syncd.settings import BokioSettings, CompanySettings, Settings

COMPANY = "5b0c6c43-6f4e-4c1f-9d1e-3f7a2f0f1a01"
OTHER = "7d1e2f30-1111-4a2b-8c3d-4e5f60718293"
TOKEN = "pull-test-token"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def company_settings(company_id: str = COMPANY, token: str = TOKEN) -> CompanySettings:
    return CompanySettings.model_validate({"id": company_id, "token": SecretStr(token)})


def make_sandbox(*, quota: int | None = None, start: datetime = START) -> Sandbox:
    return Sandbox(
        clock=ManualClock(start),
        limits=Limits(rate_limit=None, monthly_quota=quota),
        strict=spec_available(),
        sleep=lambda _s: None,
    )


def make_app(
    database_url: str,
    sandbox: Sandbox,
    companies: tuple[CompanySettings, ...] | None = None,
    **sections: Any,
) -> App:
    """``sections`` are further settings (``pull=PullSettings(page_size=10)``)."""
    settings = Settings(
        database_url=SecretStr(database_url),
        bokio=BokioSettings(base_url="http://sandbox.test/v1", rate_limit_per_minute=1_000_000),
        companies=companies or (company_settings(),),
        **sections,
    )
    return App(settings, transport=SandboxTransport(sandbox), clock=sandbox.clock)


@dataclass
class World:
    """A sandbox company and the app that mirrors it."""

    sandbox: Sandbox
    app: App
    puller: Puller
    company: CompanySettings

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.sandbox.clock, ManualClock)
        return self.sandbox.clock

    def pull(self, **kw: Any) -> PullReport:
        return self.puller.pull(self.company, now=self.clock(), **kw)


def company_pk(session: Session, bokio_id: str = COMPANY) -> int:
    pk = session.scalar(select(Company.id).where(Company.bokio_company_id == bokio_id))
    assert pk is not None
    return pk


def mirror_invoices(session: Session, bokio_id: str = COMPANY) -> dict[str, Invoice]:
    pk = company_pk(session, bokio_id)
    rows = session.scalars(select(Invoice).where(Invoice.company_id == pk, Invoice.deleted_at.is_(None)))
    return {row.bokio_id: row for row in rows}


def live_raws(session: Session, model: Any, bokio_id: str = COMPANY) -> dict[str, Any]:
    pk = company_pk(session, bokio_id)
    rows = session.scalars(select(model).where(model.company_id == pk, model.deleted_at.is_(None)))
    return {row.bokio_id: row.raw for row in rows}


def bokio_invoices(sandbox: Sandbox, company_id: str = COMPANY) -> dict[str, dict[str, Any]]:
    with sandbox.lock:
        books = sandbox.books(company_id)
        return {i: books.view(inv) for i, inv in books.company.invoices.items()}


def assert_open_invoices_match(sandbox: Sandbox, session: Session, company_id: str = COMPANY) -> None:
    """Every invoice open in Bokio or in the mirror is identical in both, outstanding included."""
    bokio = bokio_invoices(sandbox, company_id)
    mirror = mirror_invoices(session, company_id)
    open_bokio = {i for i, v in bokio.items() if v["status"] in im.OPEN_STATUSES}
    open_mirror = {i for i, row in mirror.items() if row.status in im.OPEN_STATUSES}
    assert open_mirror == open_bokio
    with sandbox.lock:
        books = sandbox.books(company_id)
        for invoice_id in open_bokio:
            assert mirror[invoice_id].raw == bokio[invoice_id]
            assert mirror[invoice_id].outstanding == books.remaining(invoice_id)
            assert mirror[invoice_id].amount_problem is None


def assert_everything_matches(sandbox: Sandbox, session: Session, company_id: str = COMPANY) -> None:
    """After a full sweep: invoices, payments, settlements, credit notes, customers all equal Bokio."""
    bokio = bokio_invoices(sandbox, company_id)
    mirror = mirror_invoices(session, company_id)
    assert set(mirror) == set(bokio)
    with sandbox.lock:
        books = sandbox.books(company_id)
        for invoice_id, view in bokio.items():
            assert mirror[invoice_id].raw == view
            assert mirror[invoice_id].outstanding == books.remaining(invoice_id)
        company = books.company
        payments = {p["id"]: p for ps in company.payments.values() for p in ps.values()}
        settlements = {s["id"]: s for ss in company.settlements.values() for s in ss.values()}
        assert live_raws(session, InvoicePayment, company_id) == payments
        assert live_raws(session, InvoiceSettlement, company_id) == settlements
        assert live_raws(session, CreditNote, company_id) == {
            n: dict(v) for n, v in company.credit_notes.items()
        }
        assert live_raws(session, Customer, company_id) == {c: dict(v) for c, v in company.customers.items()}
