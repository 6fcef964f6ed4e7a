"""Europe PMC ``search`` over HTTP: the query with its ``FIRST_IDATE`` window, paged by cursor to the end."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from livereview.connectors.base import SearchResult, Window
from livereview.connectors.europepmc.parse import NAME, Page, parse_page
from livereview.connectors.http import SourceClient, client_from_settings
from livereview.errors import CursorError, SourceParseError
from livereview.settings import Settings

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000


def build_query(query: str, window: Window) -> str:
    """The protocol query restricted to records first indexed in the window (both ends inclusive)."""
    return f"({query}) AND FIRST_IDATE:[{window.start.isoformat()} TO {window.end.isoformat()}]"


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> SourceClient:
    """The Europe PMC client (about 10 requests/s is tolerated)."""
    return client_from_settings(NAME, settings.europepmc_base_url, settings,
                                per_second=10.0, sleep=sleep)

class EuropePMCConnector:
    """Searches Europe PMC for the records first indexed in a window; pages to the end or raises."""

    name = NAME
    filters_types = False

    def __init__(
        self,
        settings: Settings,
        *,
        client: SourceClient | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        result_type: str = "core",
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self.settings = settings
        self.client = client or make_client(settings)
        self.page_size = page_size
        self.result_type = result_type

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Every record of ``query`` first indexed in ``window``; Europe PMC keeps no state between runs."""
        before = self.client.stats.snapshot()
        text = build_query(query, window)
        result = SearchResult(source=self.name, queries=[text])
        cursor, seen, pages = "*", {"*"}, 0
        while True:
            page = self._page(text, cursor)
            pages += 1
            if page.hit_count is None:
                raise SourceParseError(self.name, f"search: no hitCount on page {pages} ({window})")
            result.total_reported = page.hit_count
            result.records.extend(page.records)
            nxt = page.next_cursor
            if not page.records or not nxt or nxt == cursor or len(result.records) >= page.hit_count:
                break
            if nxt in seen:
                raise CursorError(self.name, f"the cursor went back to an earlier page after page {pages} "
                                  f"({window})")
            if pages >= math.ceil(page.hit_count / self.page_size) + 1:
                raise CursorError(self.name, f"still paging after {pages} pages for {page.hit_count} hits "
                                  f"({window}); the cursor does not end")
            seen.add(nxt)
            cursor = nxt
        if len(result.records) != result.total_reported:
            result.warnings.append(f"Europe PMC reported {result.total_reported} hits for {window} "
                                   f"but delivered {len(result.records)}")
        result.stats = self.client.stats.since(before)
        return result

    def count(self, query: str, window: Window) -> int:
        """How many records ``query`` has in ``window``: the ``hitCount`` of one page of size 1 (ids only)."""
        page = self._page(build_query(query, window), "*", page_size=1, result_type="idlist")
        if page.hit_count is None:
            raise SourceParseError(self.name, f"search: no hitCount in the count request ({window})")
        return page.hit_count

    def _page(self, text: str, cursor: str, *, page_size: int | None = None, result_type: str | None = None) -> Page:
        params = {"query": text, "format": "json", "resultType": result_type or self.result_type,
                  "pageSize": str(page_size or self.page_size), "cursorMark": cursor}
        if self.settings.contact_email:
            params["email"] = self.settings.contact_email
        return parse_page(self.client.get("search", params=params).content, source=self.name)


