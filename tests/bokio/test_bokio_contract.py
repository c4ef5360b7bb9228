"""Every path template the clients use exists, with that method, in Bokio's OpenAPI files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from syncd.bokio import (
    BokioGeneralClient,
    JournalEntryTagsWrite,
    MalformedRecordError,
    PaymentWrite,
    PrivateTokenAuth,
    ProtocolError,
    RateLimiter,
    RequestRecord,
    SettlementWrite,
    build_http_client,
)

from .conftest import BASE, TOKEN, FakeClock, make_client

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _spec_operations() -> set[tuple[str, str]]:
    ops: set[tuple[str, str]] = set()
    for name in ("bokio-openapi-company.yaml", "bokio-openapi-general.yaml"):
        path = REFERENCE / name
        if not path.exists():
            pytest.skip(f"{path} not available")
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for template, item in spec["paths"].items():
            ops |= {
                (method.upper(), template) for method in item if method in {"get", "post", "put", "delete"}
            }
    return ops


def _drain(call: Callable[[], Any]) -> None:
    try:
        result = call()
        if hasattr(result, "__next__"):
            list(result)
    except (MalformedRecordError, ProtocolError):
        pass  # the generic answer does not fit every model; only the request matters here


def test_every_client_operation_uses_a_path_and_method_from_the_spec(clock: FakeClock) -> None:
    records: list[RequestRecord] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204 if request.method == "DELETE" else 200, json={"id": "x"})

    c = make_client(handler, clock, records=records)
    day = dt.date(2026, 3, 1)
    calls: list[Callable[[], Any]] = [
        c.get_company_information,
        c.list_accounts,
        lambda: c.get_account(1930),
        c.iter_fiscal_years,
        lambda: c.get_fiscal_year("f"),
        c.iter_customers,
        lambda: c.get_customer("c"),
        lambda: c.create_customer({"name": "A", "type": "company"}),
        lambda: c.update_customer("c", {}),
        c.iter_invoices,
        lambda: c.get_invoice("i"),
        lambda: c.create_invoice({}),
        lambda: c.publish_invoice("i"),
        lambda: c.record_invoice("i"),
        lambda: c.credit_invoice("i"),
        lambda: c.create_payment("i", PaymentWrite(day, Decimal(1))),
        lambda: c.iter_payments("i"),
        lambda: c.get_payment("i", "p"),
        lambda: c.delete_payment("i", "p"),
        lambda: c.record_payment("i", "p"),
        lambda: c.create_settlement("i", SettlementWrite.bank_fee(day, Decimal(1))),
        lambda: c.iter_settlements("i"),
        lambda: c.get_settlement("i", "s"),
        lambda: c.delete_settlement("i", "s"),
        lambda: c.record_settlement("i", "s"),
        c.iter_credit_notes,
        lambda: c.get_credit_note("n"),
        lambda: c.iter_journal_entries(tag_id="t"),
        lambda: c.get_journal_entry("j"),
        lambda: c.set_journal_entry_tags("j", JournalEntryTagsWrite()),
        c.iter_tag_groups,
        lambda: c.get_tag_group("g"),
        lambda: c.create_tag_group("Project", "P", 6),
        lambda: c.create_tag("g", "Alpha"),
    ]
    general = BokioGeneralClient(
        build_http_client(httpx.MockTransport(handler)),
        base_url=BASE,
        auth=PrivateTokenAuth(TOKEN),
        limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        on_request=records.append,
    )
    calls += [
        general.iter_connections,
        lambda: general.get_connection("x"),
        lambda: general.delete_connection("x"),
    ]
    for call in calls:
        _drain(call)

    used = {(r.method, r.path_template) for r in records}
    assert len(used) == len(calls)
    assert used - _spec_operations() == set()
