from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from syncd.bokio import F
from syncd.bokio.wire import encode_query

from .conftest import PREFIX, FakeClock, make_client, paged


def test_conditions_render_unquoted_as_in_bokio_examples() -> None:
    assert str(F("status") != "draft") == "status!=draft"
    assert str(F("name").contains("John")) == "name~John"
    assert str(F("dueDate") == dt.date(2024, 10, 10)) == "dueDate==2024-10-10"
    assert str(F("totalAmount") >= Decimal("100.50")) == "totalAmount>=100.50"
    assert str(F("totalAmount") < 1000) == "totalAmount<1000"


def test_and_and_or_join_conditions_and_metadata_keys_are_supported() -> None:
    q = (F("dueDate") == dt.date(2024, 10, 10)) & (F("currency") == "SEK")
    assert str(q) == "dueDate==2024-10-10&&currency==SEK"
    q2 = (F("status") == "published") | (F("status") == "overdue") | (F("status") == "underPaid")
    assert str(q2) == "status==published||status==overdue||status==underPaid"
    q3 = (F.metadata("key1") == "value1") & F.metadata("key2").contains("value2")
    assert str(q3) == "metadata.key1==value1&&metadata.key2~value2"


def test_datetimes_are_written_in_utc_with_z_and_naive_ones_are_refused() -> None:
    local = dt.datetime(2026, 1, 1, 1, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert str(F("modifiedDateTime") >= local) == "modifiedDateTime>=2026-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="aware"):
        str(F("modifiedDateTime") >= dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_what_bokio_does_not_document_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="precedence"):
        ((F("a") == 1) & (F("b") == 2)) | (F("c") == 3)
    with pytest.raises(ValueError, match="escaping"):
        str(F("name") == "Tom && Jerry")
    with pytest.raises(TypeError):
        _ = F("name") > "x"
    with pytest.raises(TypeError):
        F("totalAmount").contains(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metadata key"):
        F.metadata("1bad")


def test_query_parameter_is_percent_encoded_with_percent_20_for_spaces() -> None:
    encoded = encode_query({"query": "name==John Doe&&status!=draft||x~a=b"})
    assert encoded == b"query=name%3D%3DJohn%20Doe%26%26status%21%3Ddraft%7C%7Cx~a%3Db"


def test_client_sends_the_query_so_that_bokio_decodes_it_back_exactly(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=paged([]))

    client = make_client(handler, clock)
    query = (F("customerRef") == "Acme AB") & (F("invoiceDate") >= dt.date(2026, 1, 1))
    list(client.iter_invoices(query))
    (request,) = seen
    assert request.url.path == f"{PREFIX}/invoices"
    assert b"query=customerRef%3D%3DAcme%20AB%26%26invoiceDate%3E%3D2026-01-01" in request.url.query
    assert request.url.params["query"] == "customerRef==Acme AB&&invoiceDate>=2026-01-01"
    assert request.url.params["page"] == "1"
