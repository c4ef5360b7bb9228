"""Each reading of Bokio's open rules, switched per company, shows in the JSON the sandbox returns."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from syncd.sandbox import ManualClock, Readings, Sandbox, SandboxTransport
from syncd.sandbox.readings import AccountingMethod, Rounding, TotalReading
from syncd.sandbox.seed import seed_demo
from tests.sandbox.conftest import COMPANY, TOKEN
from tests.sandbox.helpers import body, make_customer, make_invoice, post, sales_line

EUR_RATE = Decimal("11.4520")


@pytest.fixture
def admin(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=SandboxTransport(sandbox), base_url=f"http://sandbox.test/_sandbox/companies/{COMPANY}"
    ) as c:
        yield c


def switch(admin: httpx.Client, **readings: Any) -> dict[str, Any]:
    """Set readings through the admin API (camelCase keys) and return what it now reports."""
    response = post(admin, "/readings", readings)
    assert response.status_code == 200, response.text
    return body(response)["readings"]  # type: ignore[no-any-return]


def pay(client: httpx.Client, invoice_id: str, amount: str) -> dict[str, Any]:
    response = post(
        client,
        f"/invoices/{invoice_id}/payments",
        {"date": "2026-03-02", "sumBaseCurrency": Decimal(amount), "bookkeepingAccountNumber": 1930},
    )
    assert response.status_code == 200, response.text
    return body(response)  # type: ignore[no-any-return]


def settle(client: httpx.Client, invoice_id: str, kind: str, amount: str) -> dict[str, Any]:
    details = {"date": "2026-03-02", "sumBaseCurrency": Decimal(amount)}
    response = post(
        client, f"/invoices/{invoice_id}/settlements", {"type": kind, "invoiceSettlementDetails": details}
    )
    assert response.status_code == 200, response.text
    return body(response)  # type: ignore[no-any-return]


def invoice(client: httpx.Client, invoice_id: str) -> dict[str, Any]:
    return body(client.get(f"/invoices/{invoice_id}"))  # type: ignore[no-any-return]


def test_the_admin_api_reports_the_default_readings_and_refuses_unknown_switches(admin: httpx.Client) -> None:
    assert body(admin.get("/readings"))["readings"] == {
        "paidIncludesSettlements": True,
        "paidCurrency": "SEK",
        "totalReading": "net",
        "settlementSign": "positive_reduces",
        "rounding": "off",
        "recordRequiresRecordedInvoice": False,
        "accountingMethod": "accrual",
    }
    assert post(admin, "/readings", {"roundingMode": "off"}).status_code == 400
    assert post(admin, "/readings", {"rounding": "sometimes"}).status_code == 400
    assert post(admin, "/readings", {"paidIncludesSettlements": "yes"}).status_code == 400
    assert body(admin.get("/readings"))["readings"]["rounding"] == "off"


@pytest.mark.parametrize(("includes", "paid"), [(True, "1250.00"), (False, "1240.00")])
def test_paid_amount_counts_a_bank_fee_only_when_the_reading_says_settlements_are_paid(
    client: httpx.Client, admin: httpx.Client, includes: bool, paid: str
) -> None:
    switch(admin, paidIncludesSettlements=includes)
    open_invoice = make_invoice(client, make_customer(client)["id"], sales_line("1000"))
    pay(client, open_invoice["id"], "1240.00")
    settle(client, open_invoice["id"], "bankFee", "10.00")
    shown = invoice(client, open_invoice["id"])
    assert shown["paidAmount"] == Decimal(paid)
    assert shown["status"] == "paid"


@pytest.mark.parametrize(("currency", "paid"), [("SEK", "1431.50"), ("invoice", "125.00")])
def test_paid_amount_of_a_euro_invoice_is_in_sek_or_in_euro_by_the_reading(
    client: httpx.Client, admin: httpx.Client, currency: str, paid: str
) -> None:
    switch(admin, paidCurrency=currency)
    euro = make_invoice(
        client, make_customer(client)["id"], sales_line("100"), currency="EUR", currencyRate=EUR_RATE
    )
    pay(client, euro["id"], "1431.50")  # 125.00 EUR at 11.4520
    shown = invoice(client, euro["id"])
    assert shown["paidAmount"] == Decimal(paid)
    assert shown["status"] == "paid"


@pytest.mark.parametrize(("reading", "total"), [("net", "1000.00"), ("gross", "1250.00")])
def test_total_amount_is_net_or_gross_by_the_reading_and_switching_shows_at_once(
    client: httpx.Client, admin: httpx.Client, reading: str, total: str
) -> None:
    created = make_invoice(client, make_customer(client)["id"], sales_line("1000"))
    switch(admin, totalReading=reading)
    shown = invoice(client, created["id"])
    assert (shown["totalAmount"], shown["totalTax"]) == (Decimal(total), Decimal("250.00"))
    listed = body(client.get("/invoices", params={"query": f"totalAmount=={total}"}))
    assert [item["id"] for item in listed["items"]] == [created["id"]]


@pytest.mark.parametrize(
    ("sign", "status", "paid"),
    [("positive_reduces", "paid", "1250.00"), ("currency_positive_is_gain", "underPaid", "1225.00")],
)
def test_a_positive_currency_settlement_reduces_or_raises_what_is_owed_by_the_sign_reading(
    client: httpx.Client, admin: httpx.Client, sign: str, status: str, paid: str
) -> None:
    switch(admin, settlementSign=sign)
    created = make_invoice(client, make_customer(client)["id"], sales_line("1000"))
    pay(client, created["id"], "1237.50")
    settle(client, created["id"], "currency", "12.50")
    shown = invoice(client, created["id"])
    assert (shown["status"], shown["paidAmount"]) == (status, Decimal(paid))


ROUNDED_LINE = "999.68"  # 999.68 + 25 % VAT = 1 249.60 to pay, 1 250.00 rounded


@pytest.mark.parametrize(
    ("rounding", "reading", "total"),
    [
        ("off", "gross", "1249.60"),
        ("in_total", "gross", "1250.00"),
        ("in_total", "net", "1000.08"),
        ("beside_total", "gross", "1249.60"),
    ],
)
def test_oresavrundning_shows_in_total_amount_only_when_the_rounding_is_inside_it(
    client: httpx.Client, admin: httpx.Client, rounding: str, reading: str, total: str
) -> None:
    switch(admin, rounding=rounding, totalReading=reading)
    created = make_invoice(client, make_customer(client)["id"], sales_line(ROUNDED_LINE))
    assert (created["totalAmount"], created["totalTax"]) == (Decimal(total), Decimal("249.92"))


@pytest.mark.parametrize(
    ("rounding", "paid_in_full", "left_open"),
    [("off", "1249.60", None), ("in_total", "1250.00", "1249.60"), ("beside_total", "1250.00", "1249.60")],
)
def test_a_rounded_invoice_closes_on_the_rounded_amount_and_an_unrounded_payment_leaves_it_open(
    client: httpx.Client, admin: httpx.Client, rounding: str, paid_in_full: str, left_open: str | None
) -> None:
    switch(admin, rounding=rounding, totalReading="gross")
    customer = make_customer(client)["id"]
    closed = make_invoice(client, customer, sales_line(ROUNDED_LINE))
    pay(client, closed["id"], paid_in_full)
    assert invoice(client, closed["id"])["status"] == "paid"
    if left_open is not None:
        short = make_invoice(client, customer, sales_line(ROUNDED_LINE))
        pay(client, short["id"], left_open)
        assert invoice(client, short["id"])["status"] == "underPaid"  # 0.40 still owed


def test_recording_a_rounded_invoice_books_the_rounding_on_3740(
    client: httpx.Client, admin: httpx.Client
) -> None:
    switch(admin, rounding="in_total", totalReading="gross")
    created = make_invoice(client, make_customer(client)["id"], sales_line(ROUNDED_LINE))
    recorded = body(post(client, f"/invoices/{created['id']}/record"))
    entry = body(client.get(f"/journal-entries/{recorded['journalEntryRef']['id']}"))
    rows = {item["account"]: (item["debit"], item["credit"]) for item in entry["items"]}
    assert rows[1510] == (Decimal("1250.00"), Decimal(0))
    assert rows[3740] == (Decimal(0), Decimal("0.40"))
    assert any(a["account"] == 3740 for a in body(client.get("/chart-of-accounts")))


@pytest.mark.parametrize("required", [False, True])
def test_recording_a_payment_on_an_unrecorded_invoice_is_refused_only_when_the_reading_requires_it(
    client: httpx.Client, admin: httpx.Client, required: bool
) -> None:
    switch(admin, recordRequiresRecordedInvoice=required)
    created = make_invoice(client, make_customer(client)["id"], sales_line("1000"))
    payment = pay(client, created["id"], "100.00")
    recorded = post(client, f"/invoices/{created['id']}/payments/{payment['id']}/record")
    if not required:
        assert recorded.status_code == 200
        return
    assert recorded.status_code == 400
    error = body(recorded)
    assert error["code"] == "validation-error"
    assert error["bokioErrorId"]
    assert "not recorded" in error["errors"][0]["message"]
    assert post(client, f"/invoices/{created['id']}/record").status_code == 200
    assert post(client, f"/invoices/{created['id']}/payments/{payment['id']}/record").status_code == 200


def test_a_cash_method_company_shows_cash_in_its_fiscal_years(clock: ManualClock) -> None:
    sandbox = Sandbox(clock=clock, sleep=lambda _s: None)
    seed_demo(
        sandbox,
        company_id=COMPANY,
        token=TOKEN,
        invoices=2,
        readings=Readings(accounting_method=AccountingMethod.CASH),
    )
    with httpx.Client(
        transport=SandboxTransport(sandbox),
        base_url=f"http://sandbox.test/v1/companies/{COMPANY}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        years = body(client.get("/fiscal-years"))["items"]
        assert {year["accountingMethod"] for year in years} == {"cash"}
        one = body(client.get(f"/fiscal-years/{years[0]['id']}"))["fiscalYear"]
        assert one["accountingMethod"] == "cash"
        cash = body(client.get("/fiscal-years", params={"query": "accountingMethod==cash"}))
        assert cash["totalItems"] == len(years)


def test_readings_given_to_the_sandbox_apply_to_every_new_company_and_a_reset_can_set_them(
    clock: ManualClock,
) -> None:
    sandbox = Sandbox(
        clock=clock, readings=Readings(total_reading=TotalReading.GROSS, rounding=Rounding.IN_TOTAL)
    )
    assert sandbox.add_company(COMPANY).readings.total_reading is TotalReading.GROSS
    admin = httpx.Client(transport=SandboxTransport(sandbox), base_url="http://sandbox.test/_sandbox")
    reset = post(
        admin, "/reset", {"companyId": COMPANY, "token": TOKEN, "readings": {"accountingMethod": "cash"}}
    )
    assert reset.status_code == 200, reset.text
    shown = body(admin.get(f"/companies/{COMPANY}/readings"))["readings"]
    assert (shown["accountingMethod"], shown["totalReading"], shown["rounding"]) == ("cash", "net", "off")
    assert admin.get("/companies/no-such-company/readings").status_code == 404
