"""syncd's Bokio client against syncd's Bokio sandbox: the two halves of issue 3 held together.

The sandbox runs strict (when Bokio's OpenAPI file is present), so every request body the client
sends and every response it reads is also checked against Bokio's published contract.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from syncd.bokio import (
    BokioClient,
    OperationNotAllowedError,
    OutcomeUnknownError,
    PaymentWrite,
    PrivateTokenAuth,
    RateLimiter,
    RequestRecord,
    SettlementWrite,
    ValidationError,
    build_http_client,
)
from syncd.domain.models import VatScheme
from syncd.domain.references import is_ocr, length_digit_valid
from syncd.sandbox import Limits, ManualClock, Sandbox, SandboxTransport
from syncd.sandbox.contract import spec_available

COMPANY = "7d1f3a52-4b1e-4c58-9a0e-5f2b6c1d0e01"
TOKEN = "sandbox-token-for-client-tests"


class FakeTime:
    """A monotonic clock and sleep that share one timeline with the sandbox's ManualClock."""

    def __init__(self, wall: ManualClock) -> None:
        self.wall = wall
        self.t = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        self.wall.advance(seconds)


def make_sandbox(wall: ManualClock, **limits: object) -> Sandbox:
    sandbox = Sandbox(clock=wall, strict=spec_available(), limits=Limits(**limits), sleep=lambda _s: None)
    sandbox.add_company(COMPANY, token=TOKEN)
    return sandbox


def make_client(
    http: httpx.Client,
    base_url: str,
    *,
    time: FakeTime | None = None,
    records: list[RequestRecord] | None = None,
) -> BokioClient:
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep) if time else RateLimiter()
    return BokioClient(
        http,
        base_url=base_url,
        company_id=COMPANY,
        auth=PrivateTokenAuth(TOKEN),
        limiter=limiter,
        on_request=records.append if records is not None else None,
    )


def customer_body(name: str) -> dict[str, object]:
    return {
        "name": name,
        "type": "company",
        "orgNumber": "556677-8899",
        "paymentTerms": "30",
        "address": {"line1": "Storgatan 1", "city": "Umeå", "postalCode": "903 26", "country": "SE"},
    }


def customer_and_invoice(client: BokioClient) -> str:
    customer = client.create_customer(customer_body("Bergström Bygg AB"))
    invoice = client.create_invoice(
        {
            "customerRef": {"id": customer.id},
            "invoiceDate": "2026-11-02",
            "currency": "SEK",
            "lineItems": [
                {
                    "itemType": "salesItem",
                    "description": "Takarbete",
                    "productType": "services",
                    "unitType": "hour",
                    "quantity": Decimal(10),
                    "unitPrice": Decimal("1000.00"),
                    "taxRate": Decimal(25),
                }
            ],
        }
    )
    return invoice.id


@pytest.fixture
def served() -> Iterator[str]:
    """``syncd sandbox serve`` in a subprocess; yields its base URL."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "syncd", "sandbox", "serve", "--port", "0", "--token", TOKEN]
    command += ["--company-id", COMPANY, "--seed", "none"]
    if spec_available():
        command.append("--strict")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("serving "), line
        yield line.removeprefix("serving ")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.integration
def test_a_full_invoice_lifecycle_over_real_http_moves_paid_amount_status_and_journal(served: str) -> None:
    with build_http_client() as http:
        client = make_client(http, served)
        invoice_id = customer_and_invoice(client)
        published = client.publish_invoice(invoice_id)
        assert published.status == "published"
        assert published.payment_reference is not None
        assert is_ocr(published.payment_reference)
        assert length_digit_valid(published.payment_reference)
        gross = published.total_amount + published.total_tax
        assert gross == Decimal("12500.00")

        day = dt.date(2026, 11, 20)
        payment = client.create_payment(invoice_id, PaymentWrite(day, Decimal("12000.00"), 1930))
        recorded = client.record_payment(invoice_id, payment.id)
        assert recorded.journal_entry_ref is not None
        assert client.get_invoice(invoice_id).status == "underPaid"

        fee = client.create_settlement(invoice_id, SettlementWrite.bank_fee(day, Decimal("100.00")))
        psp = client.create_settlement(
            invoice_id, SettlementWrite.payment_service_fee(day, Decimal("250.00"), VatScheme.EU)
        )
        fx = client.create_settlement(invoice_id, SettlementWrite.currency(day, Decimal("150.00")))
        for settlement in (fee, psp, fx):
            assert client.record_settlement(invoice_id, settlement.id).journal_entry_ref is not None

        final = client.get_invoice(invoice_id)
        assert final.paid_amount == Decimal("12500.00")
        assert final.status == "paid"
        entries = list(client.iter_journal_entries())
        assert len(entries) >= 4  # the payment and three settlements were bookkept


def test_every_error_kind_keeps_bokios_fields() -> None:
    wall = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sandbox = Sandbox(clock=wall, strict=False, sleep=lambda _s: None)
    sandbox.add_company(COMPANY, token=TOKEN)
    with httpx.Client(transport=SandboxTransport(sandbox)) as http:
        client = make_client(http, "http://sandbox.test/v1")
        invoice_id = customer_and_invoice(client)
        with pytest.raises(OperationNotAllowedError) as refused:
            client.create_payment(invoice_id, PaymentWrite(dt.date(2026, 11, 3), Decimal("5"), 1930))
        client.publish_invoice(invoice_id)
        with pytest.raises(ValidationError) as error:
            client.create_payment(invoice_id, PaymentWrite(dt.date(2026, 11, 3), Decimal(0), 3001))
    assert refused.value.code == "operation-not-allowed"
    assert "draft" in str(refused.value)
    assert error.value.status == 400
    assert error.value.bokio_error_id
    assert error.value.code == "validation-error"
    fields = {f.field for f in error.value.field_errors}
    assert {"#/sumBaseCurrency", "#/bookkeepingAccountNumber"} <= fields, "all field pointers are kept"


def test_the_client_waits_out_a_scripted_429_then_succeeds() -> None:
    wall = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sandbox = make_sandbox(wall)
    time = FakeTime(wall)
    sandbox.faults.inject("rate_limit", "/companies/*/invoices", method="GET", times=1, retry_after=7.0)
    with httpx.Client(transport=SandboxTransport(sandbox)) as http:
        client = make_client(http, "http://sandbox.test/v1", time=time)
        assert list(client.iter_invoices()) == []
    assert any(s >= 7.0 for s in time.slept)
    statuses = [e.status for e in sandbox.log if e.template.endswith("/invoices")]
    assert statuses == [429, 200]


def test_after_commit_then_drop_the_client_never_posts_the_payment_again() -> None:
    wall = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sandbox = make_sandbox(wall)
    with httpx.Client(transport=SandboxTransport(sandbox)) as http:
        client = make_client(http, "http://sandbox.test/v1", time=FakeTime(wall))
        invoice_id = customer_and_invoice(client)
        client.publish_invoice(invoice_id)
        sandbox.faults.inject("drop", "/companies/*/invoices/*/payments", method="POST", times=1)
        with pytest.raises(OutcomeUnknownError):
            client.create_payment(invoice_id, PaymentWrite(dt.date(2026, 11, 3), Decimal("100.00"), 1930))
        payments = list(client.iter_payments(invoice_id))
    posts = [e for e in sandbox.log if e.method == "POST" and e.template.endswith("/payments")]
    assert len(posts) == 1, "exactly one POST reached Bokio"
    assert len(payments) == 1, "the dropped write did happen, once"


def test_the_client_never_exceeds_200_requests_in_any_60_seconds(tmp_path: object) -> None:
    wall = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sandbox = make_sandbox(wall)  # Bokio's default: 200 per rolling 60 s
    time = FakeTime(wall)
    with httpx.Client(transport=SandboxTransport(sandbox)) as http:
        client = make_client(http, "http://sandbox.test/v1", time=time)
        for _ in range(450):
            client.get_company_information()
    times = sorted(dt.datetime.fromisoformat(e.time) for e in sandbox.log)
    assert len(times) == 450
    assert all(e.status == 200 for e in sandbox.log), "the sandbox never had to say 429"
    window = dt.timedelta(seconds=60)
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        assert end - start + 1 <= 200


def test_concurrent_writers_never_have_two_writes_in_flight_on_one_path() -> None:
    wall = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sandbox = make_sandbox(wall)
    with httpx.Client(transport=SandboxTransport(sandbox)) as setup_http:
        setup = make_client(setup_http, "http://sandbox.test/v1")
        invoice_ids = [customer_and_invoice(setup) for _ in range(6)]
    sandbox.faults.inject("latency", "/companies/*/customers", method="POST", times=30, seconds=0.02)
    limiter = RateLimiter()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with httpx.Client(transport=SandboxTransport(sandbox)) as http:
                client = BokioClient(
                    http,
                    base_url="http://sandbox.test/v1",
                    company_id=COMPANY,
                    auth=PrivateTokenAuth(TOKEN),
                    limiter=limiter,
                )
                for i in range(5):
                    client.create_customer(customer_body(f"Kund {n}-{i} AB"))
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert invoice_ids
    high = sandbox.high_water()
    post_customers = [
        n for key, n in high.items() if key.startswith(COMPANY) and "POST" in key and "customers" in key
    ]
    assert post_customers == [1]
    assert not [e for e in sandbox.log if e.status == 429]
