from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from syncd.bokio import JournalEntryTagsWrite, PaymentWrite, SettlementWrite, TagWeight
from syncd.bokio.models import InvoiceSettlement, InvoiceStatus, VatScheme
from syncd.domain.models import SettlementType
from syncd.jsonutil import dumps, loads

from .conftest import PREFIX, FakeClock, make_client


def test_a_payment_of_point_one_plus_point_two_is_sent_as_exactly_0_3(clock: FakeClock) -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        assert request.headers["Content-Type"] == "application/json"
        text = (
            b'{"id":"p1","invoiceId":"i1","date":"2026-03-01",'
            b'"sumBaseCurrency":0.3,"bookkeepingAccountNumber":1930}'
        )
        return httpx.Response(200, content=text)

    amount = Decimal("0.1") + Decimal("0.2")
    payment = make_client(handler, clock).create_payment("i1", PaymentWrite(dt.date(2026, 3, 1), amount))
    assert bodies == [b'{"date":"2026-03-01","sumBaseCurrency":0.3,"bookkeepingAccountNumber":1930}']
    assert payment.sum_base_currency == Decimal("0.3")
    assert isinstance(payment.raw["sumBaseCurrency"], Decimal)


def test_amounts_in_responses_are_parsed_straight_to_decimal_without_float(clock: FakeClock) -> None:
    text = (
        b'{"id":"inv-1","status":"underPaid","totalAmount":1250.10,"totalTax":250.02,'
        b'"paidAmount":1000.07,"currency":"EUR","currencyRate":11.4523,"lineItems":[{"id":1,'
        b'"itemType":"salesItem","quantity":3,"unitPrice":333.37,"taxRate":25}]}'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=text)

    invoice = make_client(handler, clock).get_invoice("inv-1")
    assert invoice.total_amount == Decimal("1250.10")
    assert str(invoice.total_amount) == "1250.10"
    assert invoice.paid_amount == Decimal("1000.07")
    assert invoice.currency_rate == Decimal("11.4523")
    assert invoice.line_items[0].unit_price == Decimal("333.37")
    assert invoice.status is InvoiceStatus.UNDERPAID


def test_unknown_fields_and_enum_values_are_tolerated_and_kept_in_raw() -> None:
    from syncd.bokio.models import Invoice

    invoice = Invoice.model_validate(loads('{"id":"i","status":"partiallyRefunded","newField":{"a":1.5}}'))
    assert invoice.status == "partiallyRefunded"
    assert invoice.raw["newField"] == {"a": Decimal("1.5")}


def test_settlement_reads_both_details_spellings_and_read_only_types() -> None:
    recorded = InvoiceSettlement.model_validate(
        loads(
            '{"id":"s1","invoiceId":"i1","type":"bankFee","settlementDetails":{"date":"2024-10-15",'
            '"sumBaseCurrency":15.5},"journalEntryRef":{"id":"je-1"}}'
        )
    )
    assert recorded.details.sum_base_currency == Decimal("15.5")
    assert recorded.journal_entry_ref is not None
    assert recorded.journal_entry_ref.id == "je-1"
    bad_debt = InvoiceSettlement.model_validate(
        loads(
            '{"id":"s2","type":"badDebt","invoiceSettlementDetails":{"date":"2024-10-15","sumBaseCurrency":100}}'
        )
    )
    assert bad_debt.type is SettlementType.BAD_DEBT
    psp = InvoiceSettlement.model_validate(
        loads(
            '{"id":"s3","type":"paymentServiceFee","invoiceSettlementDetails":{"date":"2024-10-15",'
            '"sumBaseCurrency":25,"vatScheme":"eu"}}'
        )
    )
    assert psp.details.vat_scheme is VatScheme.EU


def test_wrapped_single_object_bodies_and_attachment_file_name_quirk(clock: FakeClock) -> None:
    answers = {
        f"{PREFIX}/company-information": {
            "companyInformation": {"id": "co", "name": "Acme AB", "hasBBA": True}
        },
        f"{PREFIX}/fiscal-years/fy1": {
            "fiscalYear": {
                "id": "fy1",
                "startDate": "2026-01-01",
                "endDate": "2026-12-31",
                "accountingMethod": "accrual",
                "status": "open",
            }
        },
        f"{PREFIX}/invoices/i1": {"id": "i1", "attachmentRefs": [{"id": "a1", "fileName": "scan.pdf"}]},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.path])

    client = make_client(handler, clock)
    info = client.get_company_information()
    assert (info.name, info.has_bba) == ("Acme AB", True)
    assert client.get_fiscal_year("fy1").end_date == dt.date(2026, 12, 31)
    refs = client.get_invoice("i1").attachment_refs
    assert refs is not None
    assert refs[0].name == "scan.pdf"


def test_chart_of_accounts_is_a_plain_array(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["query"] == "account==1930"
        return httpx.Response(
            200, json=[{"account": 1930, "name": "Företagskonto", "accountType": "basePlanAccount"}]
        )

    from syncd.bokio import F

    (account,) = make_client(handler, clock).list_accounts(F("account") == 1930)
    assert account.account == 1930


def test_settlement_write_bodies_match_bokios_three_creatable_shapes() -> None:
    day = dt.date(2024, 10, 15)
    assert dumps(SettlementWrite.bank_fee(day, Decimal("100")).to_body()) == (
        '{"type":"bankFee","invoiceSettlementDetails":{"date":"2024-10-15","sumBaseCurrency":100}}'
    )
    assert dumps(SettlementWrite.currency(day, Decimal("-12.40")).to_body()) == (
        '{"type":"currency","invoiceSettlementDetails":{"date":"2024-10-15","sumBaseCurrency":-12.40}}'
    )
    assert dumps(SettlementWrite.payment_service_fee(day, Decimal("25"), VatScheme.EU).to_body()) == (
        '{"type":"paymentServiceFee","invoiceSettlementDetails":{"date":"2024-10-15",'
        '"sumBaseCurrency":25,"vatScheme":"eu"}}'
    )
    with pytest.raises(ValueError, match="vat_scheme"):
        SettlementWrite(SettlementType.PAYMENT_SERVICE_FEE, day, Decimal(1))
    with pytest.raises(ValueError, match="cannot create"):
        SettlementWrite(SettlementType.BAD_DEBT, day, Decimal(1))


def test_journal_entry_tags_body_and_its_rules() -> None:
    body = JournalEntryTagsWrite(
        tags=[TagWeight("t1", Decimal("0.6")), TagWeight("t2", Decimal("0.4"))]
    ).to_body()
    assert json.loads(dumps(body)) == {
        "tags": [{"tagId": "t1", "weight": 0.6}, {"tagId": "t2", "weight": 0.4}],
        "items": [],
    }
    with pytest.raises(ValueError, match="never both"):
        JournalEntryTagsWrite(tags=[TagWeight("t1")], items={1: [TagWeight("t1")]}).to_body()


def test_the_encoder_refuses_floats_and_non_finite_decimals() -> None:
    with pytest.raises(TypeError, match="float"):
        dumps({"sumBaseCurrency": 0.3})
    with pytest.raises(ValueError, match="JSON number"):
        dumps(Decimal("NaN"))
    assert dumps(Decimal("1E+2")) == "100"
    assert dumps({"name": 'Åsa "Q"'}) == '{"name":"Åsa \\"Q\\""}'
