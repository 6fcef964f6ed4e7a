"""OpenAlex ``/works`` over HTTP: key check, created-date window (publication-date fallback), cursor paging."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import requests

from livereview.connectors.base import SearchResult, Window
from livereview.connectors.http import SourceClient, client_from_settings, redact_url
from livereview.connectors.openalex.parse import NAME, api_message, as_mapping, item_to_record, read_works
from livereview.connectors.payloads import decode_json
from livereview.errors import (
    CursorError,
    MissingCredentialsError,
    SourceHTTPError,
    SourceQueryError,
)
from livereview.records.normalise import (
    clean_text,
    normalise_openalex_id,
)
from livereview.settings import Settings

CREATED_FILTER: tuple[str, str] = ("from_created_date", "to_created_date")
PUBLICATION_FILTER: tuple[str, str] = ("from_publication_date", "to_publication_date")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 100
DEFAULT_OVERLAP_DAYS = 30
#: The API allows far more (100/s); a monitor has no hurry and the key's daily budget is what counts.
DEFAULT_PER_SECOND = 10.0
# what a refusal of the created-date filter has looked like: it names the filter or a paid tier
_PREMIUM_HINT = re.compile(r"premium|subscription|paid plan|created_date|not allowed for your", re.IGNORECASE)
_RATE_HINT = re.compile(r"rate limit|too many|budget|quota|exceeded", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------------
# search (HTTP)
# ---------------------------------------------------------------------------------------------------------
def build_query(query: str, window: Window, *, per_page: int = DEFAULT_PER_PAGE, extra_filters: Iterable[str] = (),
                date_filter: tuple[str, str] = CREATED_FILTER, search_filter: str | None = None) -> dict[str, str]:
    """The query parameters of the first page (cursor ``*``): search text, date window, extra filters.

    ``search_filter`` (e.g. ``title_and_abstract.search``) puts the text in that filter instead of
    ``search=``, which also matches full text.
    """
    start, end = date_filter
    filters = [f"{start}:{window.start.isoformat()}", f"{end}:{window.end.isoformat()}", *extra_filters]
    if query.strip() and search_filter:
        if "," in query:
            raise SourceQueryError(NAME, "a comma in the search text would split the OpenAlex filter; remove it")
        filters.append(f"{search_filter}:{query.strip()}")
    params = {"filter": ",".join(filters), "per_page": str(per_page), "cursor": "*"}
    if query.strip() and not search_filter:
        params["search"] = query.strip()
    return params


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                per_second: float = DEFAULT_PER_SECOND) -> SourceClient:
    """The OpenAlex client; the key travels as ``api_key`` (redacted from every logged URL)."""
    params = {}
    if settings.openalex_api_key is not None and settings.openalex_api_key.get_secret_value().strip():
        params["api_key"] = settings.openalex_api_key.get_secret_value().strip()
    return client_from_settings(NAME, settings.openalex_base_url, settings, per_second=per_second,
                                default_params=params, sleep=sleep)


class _PremiumFilterRefused(Exception):
    """Internal: the created-date filter was refused; carries the API's words for the warning."""


class OpenAlexConnector:
    """``/works?search=…&filter=from_created_date:…,to_created_date:…`` paged to the end with a cursor."""

    name = NAME
    #: the protocol's ``types`` become an OpenAlex ``type:`` filter (OpenAlex type names: article, book, …)
    filters_types = True
    #: the protocol's languages become a ``language:`` filter (two-letter codes)
    filters_languages = True
    #: the paper searched titles, abstracts and keywords: not ``search=``, which also matches full text
    SEARCH_FILTER = "title_and_abstract.search"

    def __init__(self, settings: Settings, *, client: SourceClient | None = None,
                 per_page: int = DEFAULT_PER_PAGE, overlap_days: int = DEFAULT_OVERLAP_DAYS,
                 extra_filters: Iterable[str] = (), types: Sequence[str] = (), languages: Sequence[str] = (),
                 search_filter: str | None = SEARCH_FILTER) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        if overlap_days < 0:
            raise ValueError("overlap_days must not be negative")
        self.settings = settings
        self.client = client or make_client(settings)
        self.per_page = per_page
        self.overlap_days = overlap_days
        self.extra_filters = (*extra_filters, *([f"type:{'|'.join(types)}"] if types else []),
                              *([f"language:{'|'.join(languages)}"] if languages else []))
        self.search_filter = search_filter

    @property
    def has_key(self) -> bool:
        key = self.settings.openalex_api_key
        configured = key is not None and bool(key.get_secret_value().strip())
        return configured or "api_key" in self.client.default_params

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Every work created in ``window`` matching ``query``, all pages, or a :class:`SourceError`."""
        if not self.has_key:
            raise MissingCredentialsError(self.name, "no API key configured (OpenAlex requires one since "
                                                     "February 2026): set LIVEREVIEW_OPENALEX_API_KEY")
        result = SearchResult(source=self.name, stats=self.client.stats)
        try:
            self._page_through(build_query(query, window, per_page=self.per_page, extra_filters=self.extra_filters,
                                           search_filter=self.search_filter),
                               result)
        except _PremiumFilterRefused as refusal:
            shifted = Window(window.start - timedelta(days=self.overlap_days), window.end)
            result.warnings.append(
                f"{self.name}: the created-date filter was refused ({refusal}); searched publication dates "
                f"{shifted} instead (window start moved back {self.overlap_days} days)")
            result.records.clear()
            self._page_through(build_query(query, shifted, per_page=self.per_page, extra_filters=self.extra_filters,
                                           date_filter=PUBLICATION_FILTER, search_filter=self.search_filter), result)
        return result

    def count(self, query: str, window: Window) -> int:
        """How many works ``query`` has in ``window``: ``meta.count`` of one page with ``per_page=1``."""
        if not self.has_key:
            raise MissingCredentialsError(self.name, "no API key configured (OpenAlex requires one since "
                                                     "February 2026): set LIVEREVIEW_OPENALEX_API_KEY")
        common = {"per_page": 1, "extra_filters": self.extra_filters, "search_filter": self.search_filter}
        try:
            resp = self._get(build_query(query, window, **common), first=True, queries=[])
        except _PremiumFilterRefused:
            resp = self._get(build_query(query, window, date_filter=PUBLICATION_FILTER, **common), first=False,
                             queries=[])
        url = redact_url(resp.url or "")
        data = decode_json(resp.content, source=self.name, url=url, content_type=resp.headers.get("Content-Type", ""))
        meta = as_mapping(data.get("meta")) if isinstance(data, Mapping) else {}
        if not isinstance(meta.get("count"), int):
            raise SourceQueryError(self.name, "no meta.count in the answer", url=url)
        return int(meta["count"])

    def pages_bound(self, n: int) -> int:
        """Most requests a window of ``n`` works should take: full pages plus one that finds the end."""
        return math.ceil(n / self.per_page) + 1

    # -- paging -------------------------------------------------------------------------------------------
    def _page_through(self, params: dict[str, str], result: SearchResult) -> None:
        used: set[str] = {params["cursor"]}
        seen: set[str] = set()
        first = True
        while True:
            resp = self._get(params, first=first, queries=result.queries)
            url = redact_url(resp.url or "")
            data = decode_json(resp.content, source=self.name, url=url,
                                content_type=resp.headers.get("Content-Type", ""))
            works = read_works(data, source=self.name, url=url)
            meta = as_mapping(data.get("meta")) if isinstance(data, Mapping) else {}
            count = meta.get("count") if isinstance(meta.get("count"), int) else None
            if first:
                result.total_reported = count
                first = False
            for work in works:
                key = normalise_openalex_id(work.get("id")) or json.dumps(work, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    result.records.append(item_to_record(work, source=self.name))
            next_cursor = meta.get("next_cursor")
            if not works or not next_cursor:
                return
            if next_cursor in used:
                if count is not None and len(seen) < count:
                    raise CursorError(self.name, f"cursor repeated after {len(seen)} of {count} works; "
                                                 "the rest cannot be paged", url=url)
                return
            used.add(str(next_cursor))
            params = {**params, "cursor": str(next_cursor)}

    def _get(self, params: Mapping[str, str], *, first: bool, queries: list[str]) -> requests.Response:
        resp = self.client.get("works", params=params, ok_statuses=frozenset({200, 400, 401, 403}))
        url = redact_url(resp.url or "")
        queries.append(url)
        if resp.status_code == 200:
            return resp
        try:
            data = json.loads(resp.content)
        except ValueError:
            data = None
        message = api_message(data) if isinstance(data, Mapping) else (clean_text(resp.text[:200]) or "")
        created = any(p.startswith(CREATED_FILTER[0]) for p in params.get("filter", "").split(","))
        if first and created and resp.status_code in (400, 403) and _PREMIUM_HINT.search(message):
            raise _PremiumFilterRefused(message)
        if resp.status_code == 401:
            raise MissingCredentialsError(self.name, f"API key rejected: {message or 'unauthorised'}; check "
                                                     "LIVEREVIEW_OPENALEX_API_KEY", url=url, status=401)
        if resp.status_code == 403:
            if _RATE_HINT.search(message):
                raise SourceHTTPError(self.name, f"rate limit or daily budget exhausted: {message}", url=url,
                                      status=403)
            raise MissingCredentialsError(self.name, f"access refused: {message or 'forbidden'}; check the "
                                                     "API key and its plan", url=url, status=403)
        raise SourceQueryError(self.name, f"query rejected: {message or 'bad request'}", url=url,
                               status=resp.status_code)


