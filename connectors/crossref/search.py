"""Crossref ``/works`` over HTTP: polite pool, index-date window, cursor paging, rate adapted to its headers."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from livereview.connectors.base import SearchResult, Window
from livereview.connectors.crossref.parse import (
    NAME,
    first_line,
    item_to_record,
    raise_for_failure,
    read_items,
    read_message,
)
from livereview.connectors.http import SourceClient, client_from_settings, redact_url
from livereview.errors import CursorError, SourceHTTPError, SourceQueryError
from livereview.records.normalise import (
    clean_text,
    normalise_doi,
)
from livereview.settings import Settings

#: The window is applied to the *index* date: it moves whenever Crossref (re)indexes a record, so
#: late deposits and metadata updates (new ``updated-by`` notices) are seen by the next run.
DATE_FILTER: tuple[str, str] = ("from-index-date", "until-index-date")
#: A table-of-contents query (journals by ISSN) asks what was *created* (first deposited) in the window: the new
#: articles of those journals, not every old one whose metadata Crossref re-indexed.
TOC_DATE_FILTER: tuple[str, str] = ("from-created-date", "until-created-date")
_ISSN_LIST = re.compile(r"^issn:\d{4}-\d{3}[\dXx](,issn:\d{4}-\d{3}[\dXx])*$")


def is_toc_query(query: str) -> bool:
    """``issn:1234-5678,issn:…``: read journals' tables of contents (ORed ``issn`` filters), no free text."""
    return bool(_ISSN_LIST.match(query.strip()))
#: Crossref's documented maximum for ``rows``; fewest requests per window.
MAX_ROWS = 1000
DEFAULT_ROWS = 1000
#: Request ceiling before the API's own ``x-rate-limit-*`` headers are seen (list queries in the polite
#: pool have been limited to a few per second since December 2025); only ever tightened from headers.
DEFAULT_PER_SECOND = 3.0
PLUS_TOKEN_HEADER = "Crossref-Plus-API-Token"  # noqa: S105 - a header name, not a secret


# ---------------------------------------------------------------------------------------------------------
# search (HTTP)
# ---------------------------------------------------------------------------------------------------------
def build_query(query: str, window: Window, *, rows: int = DEFAULT_ROWS, types: Sequence[str] = (),
                date_filter: tuple[str, str] = DATE_FILTER) -> dict[str, str]:
    """The query parameters of the first page (cursor ``*``): free text, index-date window, record types."""
    toc = is_toc_query(query)
    start, end = TOC_DATE_FILTER if toc and date_filter == DATE_FILTER else date_filter
    filters = [f"{start}:{window.start.isoformat()}", f"{end}:{window.end.isoformat()}"]
    filters += [f"type:{t}" for t in types]
    if toc:
        filters += query.strip().split(",")
    params = {"filter": ",".join(filters), "rows": str(rows), "cursor": "*"}
    if query.strip() and not toc:
        params["query.bibliographic"] = query.strip()
    return params


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                per_second: float = DEFAULT_PER_SECOND) -> SourceClient:
    """The Crossref client: polite pool (``mailto`` + User-Agent), Plus token header when configured."""
    params = {"mailto": settings.contact_email} if settings.contact_email else {}
    headers = {}
    if settings.crossref_plus_token is not None:
        headers[PLUS_TOKEN_HEADER] = f"Bearer {settings.crossref_plus_token.get_secret_value()}"
    return client_from_settings(NAME, settings.crossref_base_url, settings, per_second=per_second,
                                default_params=params, headers=headers, sleep=sleep)


class CrossrefConnector:
    """``/works?query.bibliographic=…&filter=from-index-date:…`` paged to the end with a cursor."""

    name = NAME
    #: the protocol's ``types`` become Crossref ``type:`` filters (journal-article, book-chapter, …)
    filters_types = True

    def __init__(self, settings: Settings, *, client: SourceClient | None = None, rows: int = DEFAULT_ROWS,
                 types: Sequence[str] = (), date_filter: tuple[str, str] = DATE_FILTER) -> None:
        if not 1 <= rows <= MAX_ROWS:
            raise ValueError(f"rows must be between 1 and {MAX_ROWS}, got {rows}")
        self.settings = settings
        self.client = client or make_client(settings)
        self.rows = rows
        self.types = tuple(types)
        self.date_filter = date_filter

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Every work of ``window`` matching ``query`` (free text), all pages, or a :class:`SourceError`."""
        result = SearchResult(source=self.name, stats=self.client.stats)
        params = build_query(query, window, rows=self.rows, types=self.types, date_filter=self.date_filter)
        seen: set[str] = set()
        page = 0
        while True:
            page += 1
            resp = self._get(params)
            result.queries.append(redact_url(resp.url or ""))
            message, _kind = read_message(resp.content, source=self.name, url=redact_url(resp.url or ""),
                                      content_type=resp.headers.get("Content-Type", ""))
            items = read_items(message, source=self.name, url=redact_url(resp.url or ""))
            total = message.get("total-results")
            if result.total_reported is None and isinstance(total, int):
                result.total_reported = total
            fresh = 0
            for item in items:
                key = normalise_doi(item.get("DOI")) or json.dumps(item, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                fresh += 1
                result.records.append(item_to_record(item, source=self.name))
            if items and not fresh:
                raise CursorError(self.name, f"cursor did not advance: page {page} repeated {len(items)} "
                                             f"works already received ({len(seen)} of {total})",
                                  url=redact_url(resp.url or ""))
            if fresh < len(items):
                result.warnings.append(f"{self.name}: page {page} repeated {len(items) - fresh} works "
                                       "already received on an earlier page (kept once)")
            next_cursor = message.get("next-cursor")
            if (not items or len(items) < self.rows or not next_cursor
                    or (isinstance(total, int) and len(seen) >= total)):
                break
            params = {**params, "cursor": str(next_cursor)}
        return result

    def count(self, query: str, window: Window) -> int:
        """How many works ``query`` has in ``window``: ``total-results`` of one request with ``rows=0``."""
        params = build_query(query, window, rows=0, types=self.types, date_filter=self.date_filter)
        params.pop("cursor", None)
        resp = self._get(params)
        url = redact_url(resp.url or "")
        message, _kind = read_message(resp.content, source=self.name, url=url,
                                      content_type=resp.headers.get("Content-Type", ""))
        total = message.get("total-results")
        if not isinstance(total, int):
            raise SourceQueryError(self.name, "no total-results in the answer", url=url)
        return total

    def pages_bound(self, n: int) -> int:
        """Most requests a window of ``n`` works should take: full pages plus one that finds the end."""
        return math.ceil(n / self.rows) + 1

    # -- HTTP ---------------------------------------------------------------------------------------------
    def _get(self, params: Mapping[str, str]) -> requests.Response:
        try:
            resp = self.client.get("works", params=params, ok_statuses=frozenset({200, 400, 404}))
        except SourceHTTPError as exc:
            if exc.status is not None and exc.status >= 500:
                raise SourceHTTPError(self.name, first_line(exc.problem), url=exc.url,
                                      status=exc.status) from exc
            raise
        self._adapt_rate(resp)
        if resp.status_code != 200:
            self._raise_refusal(resp)
        return resp

    def _raise_refusal(self, resp: requests.Response) -> None:
        url = redact_url(resp.url or "")
        try:
            data = json.loads(resp.content)
        except ValueError:
            data = None
        if isinstance(data, Mapping):
            raise_for_failure(data, source=self.name, url=url, status=resp.status_code)
        text = clean_text(resp.text[:300]) or "empty body"
        raise SourceQueryError(self.name, f"request refused: {first_line(text)}", url=url,
                               status=resp.status_code)

    def _adapt_rate(self, resp: requests.Response) -> None:
        """Tighten the client's rate to what Crossref advertises (``x-rate-limit-limit`` per interval)."""
        rate = advertised_rate(resp.headers)
        if rate is not None and rate < 1.0 / max(self.client.limiter.interval, 1e-9):
            self.client.limiter.set_rate(rate)


def advertised_rate(headers: Mapping[str, str]) -> float | None:
    """Requests per second from ``x-rate-limit-limit: 50`` / ``x-rate-limit-interval: 1s``; None if absent."""
    limit, interval = headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-interval")
    if not limit or not interval:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", interval)
    try:
        count = float(limit)
    except ValueError:
        return None
    if not m or count <= 0:
        return None
    seconds = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2) or "s"]
    return count / seconds if seconds > 0 else None


