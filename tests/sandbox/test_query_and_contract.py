"""Pagination, the query grammar, and every implemented route's responses against Bokio's spec."""

from __future__ import annotations

import base64
from decimal import Decimal

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxTransport
from syncd.sandbox.contract import spec_available, spec_templates, validate_response
from syncd.sandbox.router import ROUTES
from syncd.sandbox.seed import Mix, seed_demo
from tests.sandbox.conftest import COMPANY, TOKEN
from tests.sandbox.helpers import body, make_customer, make_invoice, post, put, sales_line


def test_pages_report_totals_and_default_to_25(client: httpx.Client, sandbox: Sandbox) -> None:
    customer = make_customer(client)
    for _ in range(30):
        make_invoice(client, customer["id"], publish=False)
    first = body(client.get("/invoices"))
    assert (first["totalItems"], first["totalPages"], first["currentPage"], len(first["items"])) == (
        30,
        2,
        1,
        25,
    )
    last = body(client.get("/invoices", params={"page": 2}))
    assert len(last["items"]) == 5
    assert body(client.get("/invoices", params={"page": 9}))["items"] == []
    assert client.get("/invoices", params={"pageSize": 101}).status_code == 400


def test_the_query_filter_supports_comparisons_and_or_contains_and_metadata(client: httpx.Client) -> None:
    customer = make_customer(client)
    make_invoice(client, customer["id"], sales_line("100"), metadata={"externalId": "EXT-1"})
    make_invoice(client, customer["id"], sales_line("900"), publish=False, metadata={"externalId": "EXT-2"})
    make_invoice(client, customer["id"], sales_line("500"), currency="EUR", currencyRate=Decimal("11.45"))

    def count(query: str) -> int:
        response = client.get("/invoices", params={"query": query})
        assert response.status_code == 200, response.text
        return int(body(response)["totalItems"])

    assert count("status!=draft") == 2
    assert count("totalAmount>=500&&totalAmount<=1000") == 2
    assert count("currency==EUR||totalAmount<200") == 2
    assert count("metadata.externalId==EXT-2") == 1
    assert count("metadata.externalId~EXT") == 2
    assert count(f"customerRef=={customer['id']}&&dueDate>=2026-03-31") == 3


@pytest.mark.parametrize(
    "query", ["colour==red", "totalAmount~5", "status>draft", "invoiceDate>=yesterday", "nonsense"]
)
def test_unfilterable_fields_bad_operators_and_bad_values_are_400(client: httpx.Client, query: str) -> None:
    response = client.get("/invoices", params={"query": query})
    assert response.status_code == 400
    assert body(response)["code"] == "validation-error"


def test_the_demo_seed_is_deterministic_and_scales_to_many_open_invoices() -> None:
    first, second = Sandbox(), Sandbox()
    a = seed_demo(first, company_id=COMPANY, invoices=20)
    b = seed_demo(second, company_id=COMPANY, invoices=20)
    assert [i["paymentReference"] for i in a.invoices.values()] == [
        i["paymentReference"] for i in b.invoices.values()
    ]
    big = Sandbox()
    company = seed_demo(big, invoices=250, customers=40, mix=Mix(draft=0, paid=0, partial=0, credited=0))
    books = big.books(company.id)
    statuses = {books.view(invoice)["status"] for invoice in company.invoices.values()}
    assert statuses <= {"published", "overdue"}
    assert len(company.invoices) == 250
    assert {i["currency"] for i in company.invoices.values()} == {"SEK", "EUR"}
    rates = {line["taxRate"] for i in company.invoices.values() for line in i["lineItems"]}
    assert rates == {Decimal(25), Decimal(12), Decimal(6)}


@pytest.mark.skipif(not spec_available(), reason="Bokio OpenAPI file not found (SYNCD_BOKIO_OPENAPI)")
def test_every_sandbox_route_exists_in_the_published_spec() -> None:
    missing = {(r.method, r.template) for r in ROUTES} - spec_templates()
    assert missing == set()


@pytest.mark.skipif(not spec_available(), reason="Bokio OpenAPI file not found (SYNCD_BOKIO_OPENAPI)")
def test_every_implemented_route_answers_in_the_shape_the_spec_documents() -> None:
    """Drive each route once on a seeded strict sandbox and validate what came back."""
    sandbox = Sandbox(strict=True)
    seed_demo(sandbox, company_id=COMPANY, token=TOKEN, invoices=12)
    sandbox.add_client("client-1", "secret-1", "https://app.example/callback")
    seen: set[tuple[str, str]] = set()

    def check(response: httpx.Response) -> httpx.Response:
        request = response.request
        entry = sandbox.log[-1]
        seen.add((entry.method, entry.template))
        assert response.status_code < 500, response.text
        problems = validate_response(request.method, entry.template, response.status_code, response.content)
        assert problems == [], problems
        return response

    c = httpx.Client(
        transport=SandboxTransport(sandbox),
        base_url=f"http://s/v1/companies/{COMPANY}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        event_hooks={"response": [lambda r: r.read() and None]},
    )
    for path in (
        "/company-information",
        "/chart-of-accounts",
        "/chart-of-accounts/1930",
        "/fiscal-years",
        "/customers",
        "/invoices",
        "/credit-notes",
        "/journal-entries",
    ):
        check(c.get(path))
    fiscal_id = body(c.get("/fiscal-years"))["items"][0]["id"]
    check(c.get(f"/fiscal-years/{fiscal_id}"))
    check(c.get(f"/sie/{fiscal_id}/download"))
    check(c.get("/sie/835ba700-b306-4bd9-8447-59207b6b0002/download"))  # unknown year: the spec's 404
    customer = body(check(post(c, "/customers", {"name": "Kontrakt AB", "type": "company"})))
    check(c.get(f"/customers/{customer['id']}"))
    check(put(c, f"/customers/{customer['id']}", {"name": "Kontrakt 2 AB", "type": "company"}))
    draft = body(
        check(
            post(
                c,
                "/invoices",
                {
                    "customerRef": {"id": customer["id"]},
                    "invoiceDate": "2026-03-01",
                    "lineItems": [sales_line("10")],
                },
            )
        )
    )
    check(
        put(
            c,
            f"/invoices/{draft['id']}",
            {
                "customerRef": {"id": customer["id"]},
                "invoiceDate": "2026-03-01",
                "lineItems": [sales_line("20")],
            },
        )
    )
    check(c.get(f"/invoices/{draft['id']}"))
    check(c.delete(f"/invoices/{draft['id']}"))
    iid = body(
        check(
            post(
                c,
                "/invoices",
                {
                    "customerRef": {"id": customer["id"]},
                    "invoiceDate": "2026-03-01",
                    "lineItems": [sales_line("10")],
                },
            )
        )
    )["id"]
    check(post(c, f"/invoices/{iid}/publish"))
    check(post(c, f"/invoices/{iid}/record"))
    pay = body(
        check(
            post(
                c,
                f"/invoices/{iid}/payments",
                {"date": "2026-03-02", "sumBaseCurrency": Decimal(5), "bookkeepingAccountNumber": 1930},
            )
        )
    )
    check(c.get(f"/invoices/{iid}/payments"))
    check(c.get(f"/invoices/{iid}/payments/{pay['id']}"))
    check(post(c, f"/invoices/{iid}/payments/{pay['id']}/record"))
    settle = body(
        check(
            post(
                c,
                f"/invoices/{iid}/settlements",
                {
                    "type": "paymentServiceFee",
                    "invoiceSettlementDetails": {
                        "date": "2026-03-02",
                        "sumBaseCurrency": Decimal(1),
                        "vatScheme": "domestic",
                    },
                },
            )
        )
    )
    check(c.get(f"/invoices/{iid}/settlements"))
    check(c.get(f"/invoices/{iid}/settlements/{settle['id']}"))
    recorded = body(check(post(c, f"/invoices/{iid}/settlements/{settle['id']}/record")))
    check(c.delete(f"/invoices/{iid}/settlements/{settle['id']}"))
    check(c.delete(f"/invoices/{iid}/payments/{pay['id']}"))
    note = body(check(post(c, f"/invoices/{iid}/credit")))
    check(c.get(f"/credit-notes/{note['id']}"))
    check(put(c, f"/credit-notes/{note['id']}", note))  # the spec requires id in the body
    check(post(c, f"/credit-notes/{note['id']}/publish"))
    check(post(c, f"/credit-notes/{note['id']}/record"))
    spare = body(check(post(c, f"/invoices/{iid}/credit")))
    check(c.delete(f"/credit-notes/{spare['id']}"))
    check(c.get(f"/journal-entries/{recorded['journalEntryRef']['id']}"))
    group = body(
        check(post(c, "/tag-groups", {"name": "Kostnadsställe", "alias": "K", "dimensionNumber": 1}))
    )
    check(c.get("/tag-groups"))
    check(c.get(f"/tag-groups/{group['id']}"))
    check(put(c, f"/tag-groups/{group['id']}", {"name": "KS", "alias": "KS"}))
    tag = body(check(post(c, f"/tag-groups/{group['id']}/tags", {"name": "Norr"})))
    check(put(c, f"/tag-groups/{group['id']}/tags/{tag['id']}", {"name": "Söder"}))
    check(
        put(
            c,
            f"/journal-entries/{recorded['journalEntryRef']['id']}/tags",
            {"tags": [], "items": [{"id": 1, "tags": [{"tagId": tag["id"], "weight": Decimal("0.5")}]}]},
        )
    )
    check(put(c, f"/journal-entries/{recorded['journalEntryRef']['id']}/tags", {"tags": [], "items": []}))
    check(c.delete(f"/tag-groups/{group['id']}/tags/{tag['id']}"))
    check(c.delete(f"/tag-groups/{group['id']}"))
    check(c.delete(f"/customers/{customer['id']}"))
    general = httpx.Client(transport=SandboxTransport(sandbox), base_url="http://s/v1")
    basic = {"Authorization": "Basic " + base64.b64encode(b"client-1:secret-1").decode()}
    code = sandbox.authorize("client-1", COMPANY, "https://app.example/callback")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/callback"}
    check(general.post("/token", data=form, headers=basic))
    app_token = body(check(general.post("/token", data={"grant_type": "client_credentials"}, headers=basic)))[
        "access_token"
    ]
    conns = body(check(general.get("/connections", headers={"Authorization": f"Bearer {app_token}"})))
    check(
        general.get(
            f"/connections/{conns['items'][0]['id']}", headers={"Authorization": f"Bearer {app_token}"}
        )
    )
    check(
        general.delete(
            f"/connections/{conns['items'][0]['id']}", headers={"Authorization": f"Bearer {app_token}"}
        )
    )
    implemented = {(r.method, r.template) for r in ROUTES} - {("GET", "/authorize")}
    assert implemented - seen == set()
    assert sandbox.contract_violations == []
