"""The client's SIE download against the sandbox in process: bytes as served, one recorded request,
Bokio's 404 for a fiscal year it does not know, and a file the reader reads back."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from syncd.bokio import BokioClient, NotFoundError, PrivateTokenAuth, RateLimiter, RequestRecord
from syncd.sandbox import ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.contract import spec_available
from syncd.sandbox.seed import create_published_invoice, pay_invoice
from syncd.sie import parse
from tests.sandbox.helpers import sales_line

COMPANY = "6b2f9e1c-3a4d-4e5f-8a7b-9c0d1e2f3a4b"
TOKEN = "sie-download-token"
YEAR = "835ba700-b306-4bd9-8447-59207b6b0002"


@pytest.fixture
def sandbox() -> Sandbox:
    sandbox = Sandbox(clock=ManualClock(), strict=spec_available())
    company = sandbox.add_company(COMPANY, token=TOKEN, name="Åsa Öberg Ärende AB")
    company.fiscal_years[YEAR] = {
        "id": YEAR,
        "startDate": "2026-01-01",
        "endDate": "2026-12-31",
        "accountingMethod": "accrual",
        "status": "open",
    }
    with sandbox.lock:
        books = sandbox.books(COMPANY)
        customer = books.create_customer({"name": "Bergström Bygg AB", "type": "company"})
        line = sales_line("1000")
        invoice = create_published_invoice(books, customer["id"], [line], "2026-11-02")
        books.record_invoice(invoice["id"])
        pay_invoice(books, invoice["id"], Decimal("1250.00"), "2026-11-20")
    return sandbox


def test_the_sie_download_is_one_recorded_request_whose_file_the_reader_reads_back(sandbox: Sandbox) -> None:
    records: list[RequestRecord] = []
    http = httpx.Client(transport=SandboxTransport(sandbox))
    client = BokioClient(
        http,
        base_url="http://s/v1",
        company_id=COMPANY,
        auth=PrivateTokenAuth(TOKEN),
        limiter=RateLimiter(),
        on_request=records.append,
    )
    sie = parse(client.download_sie(YEAR))
    assert [(r.method, r.path_template, r.status) for r in records] == [
        ("GET", "/companies/{companyId}/sie/{fiscalYearId}/download", 200)
    ]
    assert sie.company_name == "Åsa Öberg Ärende AB"
    assert [v.text for v in sie.vouchers] == ["Faktura 1001", "Inbetalning faktura 1001"]
    payment = sie.vouchers[1]
    assert sorted((r.account, r.amount) for r in payment.lines) == [
        (1510, Decimal("-1250.00")),
        (1930, Decimal("1250.00")),
    ]
    with pytest.raises(NotFoundError):
        client.download_sie("240a4af0-edfd-47b1-b4ab-f30450eaac19")
    assert sandbox.contract_violations == []
