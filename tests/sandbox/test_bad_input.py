"""Bad input answered like Bokio (issue 13 item 7): a 400 at the field, or a JSON 500, never silence.

The sandbox here is not strict (as ``syncd sandbox serve`` runs by default), so what answers a bad
request is the sandbox's own validation, not the contract checker in front of it.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from syncd.sandbox import ManualClock, Sandbox, SandboxTransport, contract
from syncd.sandbox.ledger import Books
from syncd.sandbox.server import SandboxServer, running
from tests.sandbox.conftest import COMPANY, TOKEN
from tests.sandbox.helpers import body, make_customer, make_invoice, post, put, sales_line

pytestmark = pytest.mark.integration


@pytest.fixture
def lenient(clock: ManualClock) -> Sandbox:
    sandbox = Sandbox(clock=clock, strict=False, sleep=lambda _s: None)
    sandbox.add_company(COMPANY, token=TOKEN)
    return sandbox


@pytest.fixture
def server(lenient: Sandbox) -> Iterator[SandboxServer]:
    with running(lenient) as served:
        yield served


@pytest.fixture
def web(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{server.url}/companies/{COMPANY}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    ) as client:
        yield client


def _broken(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("a bug in the sandbox's books")


def _assert_internal_error(response: httpx.Response) -> None:
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    error = body(response)
    assert error["code"] == "internal-server-error"
    assert error["bokioErrorId"]
    assert error["errors"] == []


def _assert_rejected_at(response: httpx.Response, pointer: str) -> None:
    assert response.status_code == 400, response.text
    error = body(response)
    assert error["code"] == "validation-error"
    assert error["bokioErrorId"]
    assert pointer in [e["field"] for e in error["errors"]], error


def _customer(**fields: Any) -> dict[str, Any]:
    return {"name": "Fjällbygg AB", "type": "company", **fields}


def test_a_failing_handler_is_a_json_500_in_process(
    lenient: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Books, "create_customer", _broken)
    with httpx.Client(
        transport=SandboxTransport(lenient),
        base_url=f"http://sandbox.test/v1/companies/{COMPANY}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        _assert_internal_error(post(client, "/customers", _customer()))
        assert client.get("/customers").status_code == 200


def test_a_failing_handler_is_a_json_500_over_http_and_the_server_keeps_serving(
    web: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Books, "create_customer", _broken)
    _assert_internal_error(post(web, "/customers", _customer()))
    assert web.get("/customers").status_code == 200


def test_a_failure_outside_the_handlers_is_a_json_500_too(
    web: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Sandbox, "handle", _broken)
    _assert_internal_error(web.get("/customers"))


def test_a_request_the_http_server_cannot_read_gets_a_json_500(server: SandboxServer) -> None:
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=5)
    try:
        connection.putrequest("POST", f"/v1/companies/{COMPANY}/customers")
        connection.putheader("Authorization", f"Bearer {TOKEN}")
        connection.putheader("Content-Length", "not a number")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 500
        assert b"internal-server-error" in response.read()
    finally:
        connection.close()


def test_a_number_as_a_customers_address_is_a_400_not_a_dropped_connection(web: httpx.Client) -> None:
    _assert_rejected_at(post(web, "/customers", _customer(address=5)), "#/address")
    assert body(web.get("/customers"))["items"] == []


def test_an_object_as_a_payments_account_number_is_a_400(web: httpx.Client) -> None:
    invoice = make_invoice(web, make_customer(web)["id"])
    payment = {"date": "2026-03-03", "sumBaseCurrency": Decimal(100), "bookkeepingAccountNumber": {"n": 1930}}
    response = post(web, f"/invoices/{invoice['id']}/payments", payment)
    _assert_rejected_at(response, "#/bookkeepingAccountNumber")
    assert body(web.get(f"/invoices/{invoice['id']}/payments"))["items"] == []


def test_an_array_as_a_vat_number_is_a_400_and_not_stored(web: httpx.Client) -> None:
    _assert_rejected_at(post(web, "/customers", _customer(vatNumber=["SE1"])), "#/vatNumber")
    customer = make_customer(web)
    _assert_rejected_at(put(web, f"/customers/{customer['id']}", _customer(vatNumber=["SE1"])), "#/vatNumber")
    assert [c["vatNumber"] for c in body(web.get("/customers"))["items"]] == [customer["vatNumber"]]


def test_an_object_as_a_tag_group_name_is_a_400(web: httpx.Client) -> None:
    _assert_rejected_at(post(web, "/tag-groups", {"name": {"sv": "Projekt"}, "alias": "P"}), "#/name")
    assert body(web.get("/tag-groups"))["items"] == []


def test_a_dimension_number_beyond_int32_is_a_400(web: httpx.Client) -> None:
    group = {"name": "Projekt", "alias": "P", "dimensionNumber": 2**31}
    _assert_rejected_at(post(web, "/tag-groups", group), "#/dimensionNumber")
    _assert_rejected_at(
        post(web, "/tag-groups", {**group, "dimensionNumber": Decimal("6.0")}), "#/dimensionNumber"
    )
    assert body(web.get("/tag-groups"))["items"] == []


def test_a_page_beyond_int32_is_a_400_not_an_echo(web: httpx.Client) -> None:
    _assert_rejected_at(web.get("/customers", params={"page": str(2**31)}), "page")
    assert body(web.get("/customers", params={"page": str(2**31 - 1)}))["currentPage"] == 2**31 - 1


def test_an_empty_or_non_uuid_tag_id_is_a_400(web: httpx.Client) -> None:
    _assert_rejected_at(web.get("/journal-entries", params={"tagId": ""}), "tagId")
    _assert_rejected_at(web.get("/journal-entries", params={"tagId": "project-1"}), "tagId")


def test_an_object_as_a_tag_name_is_a_400_not_stored_as_its_repr(web: httpx.Client) -> None:
    group = body(post(web, "/tag-groups", {"name": "Projekt", "alias": "P"}))
    _assert_rejected_at(post(web, f"/tag-groups/{group['id']}/tags", {"name": {"a": 1}}), "#/name")
    assert body(web.get(f"/tag-groups/{group['id']}"))["tags"] == []


def test_a_tag_id_on_a_journal_entry_must_be_a_uuid(web: httpx.Client) -> None:
    invoice = make_invoice(web, make_customer(web)["id"])
    entry_id = body(post(web, f"/invoices/{invoice['id']}/record"))["journalEntryRef"]["id"]
    response = put(web, f"/journal-entries/{entry_id}/tags", {"tags": [{"tagId": ""}], "items": []})
    _assert_rejected_at(response, "#/tags/0/tagId")
    assert body(web.get(f"/journal-entries/{entry_id}"))["tags"] == []


@pytest.mark.skipif(not contract.spec_available(), reason="needs Bokio's OpenAPI file")
def test_list_responses_stay_valid_after_every_bad_input(web: httpx.Client) -> None:
    invoice = make_invoice(web, make_customer(web)["id"])
    group = body(post(web, "/tag-groups", {"name": "Projekt", "alias": "P"}))
    bad = [
        ("/customers", _customer(address=5)),
        ("/customers", _customer(vatNumber=["SE1"])),
        (f"/invoices/{invoice['id']}/payments", {"date": "2026-03-03", "bookkeepingAccountNumber": {}}),
        ("/tag-groups", {"name": {"sv": "x"}, "alias": "X"}),
        ("/tag-groups", {"name": "Kund", "alias": "K", "dimensionNumber": 2**40}),
        (f"/tag-groups/{group['id']}/tags", {"name": ["a"]}),
    ]
    for path, payload in bad:
        assert post(web, path, payload).status_code == 400, path
    lists = {
        "/companies/{companyId}/customers": "/customers",
        "/companies/{companyId}/tag-groups": "/tag-groups",
        "/companies/{companyId}/journal-entries": "/journal-entries",
        "/companies/{companyId}/invoices/{invoiceId}/payments": f"/invoices/{invoice['id']}/payments",
    }
    for template, path in lists.items():
        response = web.get(path)
        assert response.status_code == 200, path
        assert contract.validate_response("GET", template, 200, response.content) == [], path


def test_invoices_filter_by_project_id_as_bokio_has_since_2026_09_07(web: httpx.Client) -> None:
    make_invoice(web, make_customer(web)["id"])
    response = web.get("/invoices", params={"query": "projectId==4b0f3a8e-0000-4000-8000-000000000001"})
    assert response.status_code == 200, response.text
    assert body(response)["items"] == []
    assert len(body(web.get("/invoices", params={"query": "projectId!=x"}))["items"]) == 1


def test_a_missing_tags_feature_answers_with_the_specs_example_message(
    web: httpx.Client, lenient: Sandbox
) -> None:
    lenient.set_feature(COMPANY, "Tags", False)
    response = web.get("/tag-groups")
    assert response.status_code == 403
    refusal = body(response)
    assert refusal["message"] == "This feature requires the Tags add-on"
    assert refusal["details"]["requiredFeature"] == "Tags"


def test_wrong_types_inside_invoice_lines_and_settlements_are_400s_at_their_fields(web: httpx.Client) -> None:
    customer = make_customer(web)
    line = {**sales_line("100"), "unitPrice": "100", "description": ["Konsult"]}
    draft = {"customerRef": {"id": customer["id"]}, "invoiceDate": "2026-03-01", "lineItems": [line]}
    response = post(web, "/invoices", draft)
    _assert_rejected_at(response, "#/lineItems/0/unitPrice")
    _assert_rejected_at(response, "#/lineItems/0/description")
    invoice = make_invoice(web, customer["id"])
    settlement = {"type": "bankFee", "invoiceSettlementDetails": {"date": 20260303, "sumBaseCurrency": "5"}}
    response = post(web, f"/invoices/{invoice['id']}/settlements", settlement)
    _assert_rejected_at(response, "#/invoiceSettlementDetails/date")
    _assert_rejected_at(response, "#/invoiceSettlementDetails/sumBaseCurrency")
    assert [i["id"] for i in body(web.get("/invoices"))["items"]] == [invoice["id"]]
