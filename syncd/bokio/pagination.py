"""Page-number pagination over Bokio's ``{totalItems, totalPages, currentPage, items}`` envelope.

A small state object with no HTTP in it (style practice 5): the client asks it which page to
fetch, feeds it each parsed envelope, and stops when it says so. Termination is guaranteed three
ways: an empty page stops, ``currentPage >= totalPages`` stops, and a page number that comes back
a second time raises :class:`~syncd.bokio.errors.PaginationLoopError` (Singer's loop guard) instead
of spinning the scheduler forever on an API bug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from syncd.bokio.errors import ErrorContext, PaginationLoopError, ProtocolError

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One parsed envelope; ``items`` are already typed."""

    total_items: int
    total_pages: int
    current_page: int
    items: list[T]
    size: int = -1  # items Bokio sent (before skipping bad ones); -1 means len(items)

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.items))

    @classmethod
    def parse(cls, body: Any, item: Callable[[Any], T | None]) -> Page[T]:
        """Read the envelope; ``item`` may return None to skip a record it reported elsewhere.

        The docs' ``result`` / ``pagePages`` typo variant is tolerated."""
        if not isinstance(body, dict):
            raise ProtocolError(f"expected a paged object, got {type(body).__name__}")
        raw_items = body.get("items", body.get("result"))
        if not isinstance(raw_items, list):
            raise ProtocolError("paged response has no 'items' list")
        try:
            total_pages = int(body.get("totalPages", body.get("pagePages", 0)) or 0)
            current = int(body.get("currentPage", 0) or 0)
            total_items = int(body.get("totalItems", len(raw_items)) or 0)
        except (TypeError, ValueError) as exc:
            raise ProtocolError(f"paged response has non-integer counters: {exc}") from exc
        parsed = [item(x) for x in raw_items]
        return cls(total_items, total_pages, current, [p for p in parsed if p is not None], len(raw_items))


@dataclass
class PageNumberPaginator:
    """Which page to fetch next, and when to stop."""

    start_page: int = 1
    page_size: int = MAX_PAGE_SIZE
    current_page: int = field(init=False)
    finished: bool = field(init=False, default=False)
    _seen: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self.current_page = self.start_page

    def params(self) -> dict[str, int]:
        return {"page": self.current_page, "pageSize": self.page_size}

    def has_more(self, page: Page[Any]) -> bool:
        return page.size > 0 and (page.current_page or self.current_page) < page.total_pages

    def advance(self, page: Page[Any], *, context: ErrorContext | None = None) -> None:
        """Record ``page`` and move to the next one, or mark the paginator finished."""
        # Bokio echoes the page it served; fall back to what we asked for if it says 0
        served = page.current_page or self.current_page
        if served in self._seen:
            raise PaginationLoopError(
                f"page {served} was returned twice (asked for {self.current_page}); stopping",
                context=context,
            )
        self._seen.add(served)
        if not self.has_more(page):
            self.finished = True
            return
        self.current_page = served + 1
