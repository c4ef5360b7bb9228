from __future__ import annotations

import httpx
import pytest

from syncd.bokio import Page, PageNumberPaginator, PaginationLoopError, ProtocolError

from .conftest import INVOICE, PREFIX, FakeClock, make_client, paged


def _page(body: object) -> Page[object]:
    return Page.parse(body, lambda raw: raw)


def test_paginator_moves_to_the_next_page_until_the_last_one() -> None:
    paginator = PageNumberPaginator(page_size=2)
    assert paginator.params() == {"page": 1, "pageSize": 2}
    paginator.advance(_page(paged([1, 2], page=1, total_pages=2)))
    assert not paginator.finished
    assert paginator.params()["page"] == 2
    paginator.advance(_page(paged([3], page=2, total_pages=2)))
    assert paginator.finished


def test_paginator_stops_on_an_empty_page_even_if_total_pages_says_more() -> None:
    paginator = PageNumberPaginator()
    paginator.advance(_page(paged([], page=1, total_pages=9)))
    assert paginator.finished


def test_paginator_raises_when_the_same_page_comes_back_twice() -> None:
    paginator = PageNumberPaginator()
    paginator.advance(_page(paged([1], page=1, total_pages=3)))
    with pytest.raises(PaginationLoopError, match="page 1 was returned twice"):
        paginator.advance(_page(paged([1], page=1, total_pages=3)))


def test_page_parse_accepts_the_docs_typo_variant_and_rejects_non_envelopes() -> None:
    page = _page({"totalItems": 1, "pagePages": 1, "currentPage": 1, "result": ["x"]})
    assert page.items == ["x"]
    assert page.total_pages == 1
    with pytest.raises(ProtocolError):
        _page([1, 2])
    with pytest.raises(ProtocolError):
        _page({"totalPages": 1})


def test_page_size_outside_bokio_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        PageNumberPaginator(page_size=101)


def test_client_walks_all_pages_and_asks_for_each_page_number(clock: FakeClock) -> None:
    asked: list[tuple[str | None, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"{PREFIX}/invoices"
        page = int(request.url.params["page"])
        asked.append((request.url.params.get("page"), request.url.params.get("pageSize")))
        items = [{**INVOICE, "id": f"inv-{page}-{i}"} for i in range(2 if page < 3 else 1)]
        return httpx.Response(200, json=paged(items, page=page, total_pages=3))

    client = make_client(handler, clock)
    ids = [inv.id for inv in client.iter_invoices(page_size=2)]
    assert ids == ["inv-1-0", "inv-1-1", "inv-2-0", "inv-2-1", "inv-3-0"]
    assert asked == [("1", "2"), ("2", "2"), ("3", "2")]


def test_client_stops_with_loop_error_when_bokio_ignores_the_page_parameter(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json=paged([INVOICE], page=1, total_pages=5))

    client = make_client(handler, clock)
    with pytest.raises(PaginationLoopError):
        list(client.iter_invoices())
    assert calls == 2


def test_a_malformed_record_is_reported_and_skipped_when_asked(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=paged([{"status": "paid"}, INVOICE]))

    skipped: list[object] = []
    client = make_client(handler, clock)
    invoices = list(client.iter_invoices(on_skip=skipped.append))
    assert [inv.id for inv in invoices] == ["inv-1"]
    assert len(skipped) == 1
