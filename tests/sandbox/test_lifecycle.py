"""An invoice's whole life through a plain httpx.Client on the in-process transport."""

from __future__ import annotations

from decimal import Decimal

import httpx

from syncd.domain.references import is_ocr, length_digit_valid
from syncd.sandbox import ManualClock, Sandbox
from tests.sandbox.helpers import body, make_customer, make_invoice, post, put, sales_line


def test_a_draft_invoice_reports_net_totals_and_a_due_date_from_the_customer_terms(
    client: httpx.Client,
) -> None:
    customer = make_customer(client)
    invoice = make_invoice(
        client,
        customer["id"],
        sales_line("5000"),
        sales_line("500", quantity="10"),
        sales_line("100", rate=12),
        publish=False,
    )
    assert invoice["status"] == "draft"
    assert invoice["invoiceNumber"] is None
    assert invoice["paymentReference"] is None
    assert invoice["totalAmount"] == Decimal("10100.00")
    assert invoice["totalTax"] == Decimal("2512.00")
    assert invoice["dueDate"] == "2026-03-31"
    assert [line["id"] for line in invoice["lineItems"]] == [1, 2, 3]


def test_publishing_assigns_a_sequential_number_and_a_luhn_valid_ocr(client: httpx.Client) -> None:
    customer = make_customer(client)
    first = make_invoice(client, customer["id"])
    second = make_invoice(client, customer["id"])
    assert int(second["invoiceNumber"]) == int(first["invoiceNumber"]) + 1
    for invoice in (first, second):
        assert is_ocr(invoice["paymentReference"])
        assert length_digit_valid(invoice["paymentReference"])
        assert invoice["status"] == "published"
        assert invoice["publishedDateTime"] == "2026-03-02T09:00:00Z"


def test_only_drafts_can_be_updated_or_deleted(client: httpx.Client) -> None:
    customer = make_customer(client)
    draft = make_invoice(client, customer["id"], publish=False)
    changed = put(client, f"/invoices/{draft['id']}", {**draft, "lineItems": [sales_line("200")]})
    assert changed.status_code == 200
    assert body(changed)["totalAmount"] == Decimal("200.00")
    published = make_invoice(client, customer["id"])
    refused = put(client, f"/invoices/{published['id']}", published)
    assert refused.status_code == 400
    assert body(refused)["code"] == "operation-not-allowed"
    refused = client.delete(f"/invoices/{published['id']}")
    assert refused.status_code == 400
    assert body(refused)["code"] == "operation-not-allowed"
    assert client.delete(f"/invoices/{draft['id']}").status_code == 204
    assert body(client.get(f"/invoices/{draft['id']}"))["code"] == "not-found"


def test_validation_errors_list_every_field_with_a_json_pointer(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.strict = False  # strict mode would (rightly) reject this request as a contract violation
    response = post(
        client,
        "/invoices",
        {
            "lineItems": [
                {"itemType": "salesItem", "description": "x", "productType": "goods", "unitPrice": 1}
            ]
        },
    )
    assert response.status_code == 400
    error = body(response)
    assert error["code"] == "validation-error"
    assert error["bokioErrorId"]
    fields = {e["field"] for e in error["errors"]}
    assert {"#/invoiceDate", "#/lineItems/0/taxRate", "#/customerRef/id"} <= fields


def test_payments_and_settlements_move_paid_amount_status_and_journal_entries(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    customer = make_customer(client)
    invoice = make_invoice(client, customer["id"], sales_line("1000"))  # gross 1250
    iid = invoice["id"]
    recorded = body(post(client, f"/invoices/{iid}/record"))
    assert recorded["journalEntryRef"]["id"]
    assert post(client, f"/invoices/{iid}/record").status_code == 400

    payment = body(
        post(
            client,
            f"/invoices/{iid}/payments",
            {"date": "2026-03-05", "sumBaseCurrency": Decimal("1000.00"), "bookkeepingAccountNumber": 1930},
        )
    )
    assert body(client.get(f"/invoices/{iid}"))["status"] == "underPaid"
    payment = body(post(client, f"/invoices/{iid}/payments/{payment['id']}/record"))
    entry = body(client.get(f"/journal-entries/{payment['journalEntryRef']['id']}"))
    assert {(i["account"], i["debit"], i["credit"]) for i in entry["items"]} == {
        (1930, Decimal("1000.00"), 0),
        (1510, 0, Decimal("1000.00")),
    }
    assert post(client, f"/invoices/{iid}/payments/{payment['id']}/record").status_code == 400

    settlements = [
        {
            "type": "bankFee",
            "invoiceSettlementDetails": {"date": "2026-03-05", "sumBaseCurrency": Decimal("50")},
        },
        {
            "type": "paymentServiceFee",
            "invoiceSettlementDetails": {
                "date": "2026-03-05",
                "sumBaseCurrency": Decimal("150"),
                "vatScheme": "eu",
            },
        },
        {
            "type": "currency",
            "invoiceSettlementDetails": {"date": "2026-03-05", "sumBaseCurrency": Decimal("50")},
        },
    ]
    for payload in settlements:
        created = post(client, f"/invoices/{iid}/settlements", payload)
        assert created.status_code == 200, created.text
        recorded = post(client, f"/invoices/{iid}/settlements/{body(created)['id']}/record")
        assert body(recorded)["journalEntryRef"]["id"]
    final = body(client.get(f"/invoices/{iid}"))
    assert final["paidAmount"] == Decimal("1250.00")
    assert final["status"] == "paid"
    eu_fee = body(client.get(f"/invoices/{iid}/settlements"))["items"][1]
    fee_entry = body(client.get(f"/journal-entries/{eu_fee['journalEntryRef']['id']}"))
    assert {i["account"] for i in fee_entry["items"]} == {6570, 1510, 2645, 2614}
    for item_entry in body(client.get("/journal-entries", params={"pageSize": 100}))["items"]:
        assert sum(i["debit"] for i in item_entry["items"]) == sum(i["credit"] for i in item_entry["items"])


def test_overpayment_overdue_and_deleting_a_recorded_payment(
    client: httpx.Client, clock: ManualClock
) -> None:
    customer = make_customer(client)
    iid = make_invoice(client, customer["id"], sales_line("100"))["id"]  # gross 125, due 2026-03-31
    clock.advance(40 * 86400)
    assert body(client.get(f"/invoices/{iid}"))["status"] == "overdue"
    payment = body(
        post(
            client,
            f"/invoices/{iid}/payments",
            {"date": "2026-04-10", "sumBaseCurrency": Decimal("130"), "bookkeepingAccountNumber": 1930},
        )
    )
    assert body(client.get(f"/invoices/{iid}"))["status"] == "overPaid"
    post(client, f"/invoices/{iid}/payments/{payment['id']}/record")
    assert client.delete(f"/invoices/{iid}/payments/{payment['id']}").status_code == 204
    assert body(client.get(f"/invoices/{iid}"))["paidAmount"] == 0
    reversals = body(client.get("/journal-entries", params={"query": "reversingJournalEntryId!=x"}))["items"]
    assert any(e["reversingJournalEntryId"] for e in reversals)


def test_a_settlement_with_the_wrong_details_is_refused_with_pointers(client: httpx.Client) -> None:
    customer = make_customer(client)
    iid = make_invoice(client, customer["id"])["id"]
    response = post(
        client,
        f"/invoices/{iid}/settlements",
        {
            "type": "paymentServiceFee",
            "invoiceSettlementDetails": {"date": "2026-03-05", "sumBaseCurrency": Decimal(10)},
        },
    )
    assert response.status_code == 400
    assert body(response)["errors"][0]["field"] == "#/invoiceSettlementDetails/vatScheme"


def test_strict_mode_fails_loudly_on_a_request_that_breaks_the_spec(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    if not sandbox.strict:
        import pytest

        pytest.skip("Bokio OpenAPI file not found")
    response = post(client, "/invoices", {"lineItems": "not a list"})
    assert response.status_code == 500
    assert body(response)["code"] == "sandbox-contract-violation"
    assert "lineItems" in sandbox.contract_violations[-1]


def test_payments_on_a_draft_are_not_allowed(client: httpx.Client) -> None:
    customer = make_customer(client)
    draft = make_invoice(client, customer["id"], publish=False)
    response = post(
        client,
        f"/invoices/{draft['id']}/payments",
        {"date": "2026-03-05", "sumBaseCurrency": Decimal(1), "bookkeepingAccountNumber": 1930},
    )
    assert body(response)["code"] == "operation-not-allowed"


def test_crediting_makes_a_draft_credit_note_whose_publication_credits_the_invoice(
    client: httpx.Client,
) -> None:
    customer = make_customer(client)
    invoice = make_invoice(client, customer["id"], sales_line("100", quantity="4"))
    note = body(post(client, f"/invoices/{invoice['id']}/credit"))
    assert note["status"] == "draft"
    assert note["invoiceRef"]["id"] == invoice["id"]
    partial = {**note, "lineItems": [{**note["lineItems"][0], "quantity": Decimal(3)}]}
    updated = body(put(client, f"/credit-notes/{note['id']}", partial))
    assert updated["totalAmount"] == Decimal("300.00")
    published = body(post(client, f"/credit-notes/{note['id']}/publish"))
    assert published["invoiceNumber"] == "CN-1"
    assert put(client, f"/credit-notes/{note['id']}", partial).status_code == 400
    assert body(post(client, f"/credit-notes/{note['id']}/record"))["journalEntryRef"]
    after = body(client.get(f"/invoices/{invoice['id']}"))
    assert after["status"] == "underPaid"
    assert after["creditNoteRefs"] == [{"id": note["id"]}]
    second = body(post(client, f"/invoices/{invoice['id']}/credit"))
    second = body(
        put(
            client,
            f"/credit-notes/{second['id']}",
            {**second, "lineItems": [{**second["lineItems"][0], "quantity": Decimal(1)}]},
        )
    )
    post(client, f"/credit-notes/{second['id']}/publish")
    assert body(client.get(f"/invoices/{invoice['id']}"))["status"] == "credited"
    assert body(client.get("/credit-notes"))["totalItems"] == 2


def test_customers_keep_modified_date_time_and_only_api_customers_can_be_deleted(
    client: httpx.Client, clock: ManualClock, sandbox: Sandbox
) -> None:
    customer = make_customer(client)
    clock.advance(3600)
    changed = body(put(client, f"/customers/{customer['id']}", {**customer, "name": "Nytt Namn AB"}))
    assert changed["modifiedDateTime"] == "2026-03-02T10:00:00Z" != customer["modifiedDateTime"]
    found = body(client.get("/customers", params={"query": "modifiedDateTime>=2026-03-02T09:30:00Z"}))
    assert [c["name"] for c in found["items"]] == ["Nytt Namn AB"]
    assert client.delete(f"/customers/{customer['id']}").status_code == 204
    sandbox.strict = False
    invalid = post(
        client,
        "/customers",
        {"type": "company", "address": {"line1": "a", "city": "b", "postalCode": "1", "country": "XX1"}},
    )
    assert {e["field"] for e in body(invalid)["errors"]} == {"#/name", "#/address/country"}


def test_tags_on_journal_entries_and_the_price_plan_switch(client: httpx.Client, sandbox: Sandbox) -> None:
    customer = make_customer(client)
    iid = make_invoice(client, customer["id"])["id"]
    entry_id = body(post(client, f"/invoices/{iid}/record"))["journalEntryRef"]["id"]
    group = body(post(client, "/tag-groups", {"name": "Projekt", "alias": "P", "dimensionNumber": 6}))
    tag = body(post(client, f"/tag-groups/{group['id']}/tags", {"name": "Alfa"}))
    tagged = body(
        put(
            client,
            f"/journal-entries/{entry_id}/tags",
            {"tags": [{"tagId": tag["id"], "weight": 1}], "items": []},
        )
    )
    assert tagged["tags"][0]["tagName"] == "Alfa"
    assert tagged["tags"][0]["tagGroupName"] == "Projekt"
    assert body(client.get("/journal-entries", params={"tagId": tag["id"]}))["totalItems"] == 1
    assert client.delete(f"/tag-groups/{group['id']}/tags/{tag['id']}").status_code == 400
    sandbox.set_feature(sandbox.companies.__iter__().__next__(), "Tags", False)
    denied = client.get("/tag-groups")
    assert denied.status_code == 403
    assert body(denied)["error"] == "price_plan_feature_required"
