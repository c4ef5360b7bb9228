"""Small builders for sandbox tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from syncd.sandbox import jsonutil


def body(response: httpx.Response) -> Any:
    """Response JSON with Decimal money."""
    assert response.content, f"empty body, status {response.status_code}"
    return jsonutil.loads(response.content)


def post(client: httpx.Client, path: str, payload: Any = None) -> httpx.Response:
    content = b"" if payload is None else jsonutil.dumps(payload)
    return client.post(path, content=content, headers={"Content-Type": "application/json"})


def put(client: httpx.Client, path: str, payload: Any) -> httpx.Response:
    return client.put(path, content=jsonutil.dumps(payload), headers={"Content-Type": "application/json"})


def make_customer(client: httpx.Client, name: str = "Fjällbygg AB") -> dict[str, Any]:
    response = post(
        client,
        "/customers",
        {
            "name": name,
            "type": "company",
            "orgNumber": "556291-4175",
            "paymentTerms": "30",
            "address": {"line1": "Storgatan 1", "city": "Umeå", "postalCode": "903 26", "country": "SE"},
        },
    )
    assert response.status_code == 200, response.text
    return body(response)  # type: ignore[no-any-return]


def sales_line(price: str, rate: int = 25, quantity: str = "1") -> dict[str, Any]:
    return {
        "itemType": "salesItem",
        "description": "Konsulttimmar",
        "productType": "services",
        "unitType": "hour",
        "quantity": Decimal(quantity),
        "unitPrice": Decimal(price),
        "taxRate": Decimal(rate),
    }


def make_invoice(
    client: httpx.Client, customer_id: str, *lines: dict[str, Any], publish: bool = True, **extra: Any
) -> dict[str, Any]:
    payload = {
        "customerRef": {"id": customer_id},
        "invoiceDate": "2026-03-01",
        "lineItems": list(lines) or [sales_line("1000")],
        **extra,
    }
    response = post(client, "/invoices", payload)
    assert response.status_code == 200, response.text
    invoice = body(response)
    if publish:
        response = post(client, f"/invoices/{invoice['id']}/publish")
        assert response.status_code == 200, response.text
        invoice = body(response)
    return invoice  # type: ignore[no-any-return]
