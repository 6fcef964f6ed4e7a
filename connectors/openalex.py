"""OpenAlex (``/works``): a broad open index with abstracts, ids (DOI, PMID, PMCID) and retraction flags.

Why OpenAlex: it merges Crossref, PubMed, repositories and publisher pages, so it finds records
the others index late or not at all. Since February 2026 every call needs an API key; without one
:meth:`OpenAlexConnector.search` raises :class:`MissingCredentialsError` and the flow skips the
source with a warning.

Windows are on the *creation* date (``from_created_date`` / ``to_created_date``). Those filters
have been reserved to premium keys at times: when the API refuses them, the connector falls back to
the publication date with the window start moved back by an overlap (late-indexed papers carry an
older publication date) and says so in a warning. Paging: ``cursor=*`` then ``meta.next_cursor``
(``null`` at the end), ``per_page`` ≤ 100.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

import requests

from connectors.base import SearchResult, Window
from connectors.http import SourceClient, client_from_settings, redact_url
from connectors.payloads import decode_json
from livereview.errors import (
    CursorError,
    MissingCredentialsError,
    SourceHTTPError,
    SourceParseError,
    SourceQueryError,
)
from livereview.settings import Settings
from records.model import Record
from records.normalise import (
    clean_inline_markup,
    clean_text,
    dedupe_list,
    normalise_doi,
    normalise_issns,
    normalise_language,
    normalise_openalex_id,
    normalise_pages,
    normalise_pmid,
    parse_year,
    split_name,
)

NAME = "openalex"
RAW_FORMAT = "openalex-json"

CREATED_FILTER: tuple[str, str] = ("from_created_date", "to_created_date")
PUBLICATION_FILTER: tuple[str, str] = ("from_publication_date", "to_publication_date")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 100
DEFAULT_OVERLAP_DAYS = 30
#: The API allows far more (100/s); a monitor has no hurry and the key's daily budget is what counts.
DEFAULT_PER_SECOND = 10.0
_PREPRINT_TYPES = frozenset({"preprint", "posted-content"})
# what a refusal of the created-date filter has looked like: it names the filter or a paid tier
_PREMIUM_HINT = re.compile(r"premium|subscription|paid plan|created_date|not allowed for your", re.IGNORECASE)
_RATE_HINT = re.compile(r"rate limit|too many|budget|quota|exceeded", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------------
# parsing (pure)
# ---------------------------------------------------------------------------------------------------------
def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """Records from a saved OpenAlex response: a list (``meta`` + ``results``) or a single work object."""
    data = decode_json(payload, source=source)
    return [work_to_record(w, source=source) for w in _works(data, source=source)]


def work_to_record(work: Mapping[str, Any], *, source: str = NAME) -> Record:
    """One OpenAlex work -> :class:`Record` (``source_id`` = the W-id)."""
    ids = _mapping(work.get("ids"))
    location = _mapping(work.get("primary_location"))
    venue = _mapping(location.get("source"))
    biblio = _mapping(work.get("biblio"))
    openalex_id = normalise_openalex_id(work.get("id") or ids.get("openalex"))
    kind = work.get("type")
    types = [kind] if isinstance(kind, str) and kind else []
    if kind in _PREPRINT_TYPES or work.get("type_crossref") == "posted-content":
        types.append("preprint")
    issns = [venue.get("issn_l"), *(venue.get("issn") if isinstance(venue.get("issn"), list) else [])]
    keywords = [k.get("display_name") for k in _dicts(work.get("keywords"))]
    return Record(
        source=source,
        source_id=openalex_id,
        title=clean_inline_markup(work.get("title") or work.get("display_name")),
        abstract=rebuild_abstract(work.get("abstract_inverted_index")),
        authors=_authors(work.get("authorships")),
        year=parse_year(work.get("publication_year")) or parse_year(work.get("publication_date")),
        journal=clean_text(venue.get("display_name")),
        volume=clean_text(biblio.get("volume")),
        issue=clean_text(biblio.get("issue")),
        pages=normalise_pages(biblio.get("first_page"), biblio.get("last_page")),
        doi=normalise_doi(work.get("doi") or ids.get("doi")),
        pmid=_pmid(ids.get("pmid")),
        pmcid=_pmcid(ids.get("pmcid")),
        openalex_id=openalex_id,
        issn=normalise_issns(i for i in issns if i),
        language=normalise_language(work.get("language")),
        publication_types=list(dict.fromkeys(types)),
        keywords=dedupe_list(keywords),
        published_date=clean_text(work.get("publication_date")),
        url=_string(location.get("landing_page_url")) or _string(work.get("doi")),
        is_retracted=work.get("is_retracted") is True,
        raw=json.dumps(work, ensure_ascii=False),
        raw_format=RAW_FORMAT,
    )


def rebuild_abstract(index: object) -> str | None:
    """Text from ``abstract_inverted_index`` (``{word: [positions]}``); None when absent or empty."""
    if not isinstance(index, Mapping) or not index:
        return None
    slots: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            continue
        for p in positions:
            if isinstance(p, int) and p >= 0:
                slots[p] = str(word)
    if not slots:
        return None
    text = " ".join(slots[p] for p in sorted(slots))
    if not re.search(r"</?[A-Za-z][^<>]*>", text):
        # plain text: a bare "<" (p < 0.05) is not markup; escape it so the tag stripper leaves it alone
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return clean_text(text)


def _authors(value: object) -> list[str]:
    out: list[str] = []
    for a in _dicts(value):
        author = _mapping(a.get("author"))
        name = author.get("display_name") or a.get("raw_author_name")
        formatted = split_name(name) if isinstance(name, str) else None
        if formatted:
            out.append(formatted)
    return out


def _last_segment(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().rstrip("/").rsplit("/", 1)[-1]


def _pmid(value: object) -> str | None:
    """``https://pubmed.ncbi.nlm.nih.gov/29456894`` -> ``29456894``."""
    seg = _last_segment(value)
    return normalise_pmid(seg) if seg and seg.isdigit() else None


def _pmcid(value: object) -> str | None:
    """OpenAlex writes ``…/pmc/articles/5815332`` (digits only): that is ``PMC5815332``."""
    seg = _last_segment(value)
    if not seg:
        return None
    seg = seg.upper()
    if seg.isdigit():
        return f"PMC{seg}"
    return seg if re.fullmatch(r"PMC\d+", seg) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------------------------
# payload checks shared by parse() and search()
# ---------------------------------------------------------------------------------------------------------
def _works(data: Any, *, source: str, url: str | None = None) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping) and "error" in data and "results" not in data:
        raise SourceQueryError(source, f"API error: {_api_message(data)}", url=url)
    if isinstance(data, Mapping) and "results" in data:
        results = data.get("results")
        if not isinstance(results, list) or not all(isinstance(w, Mapping) for w in results):
            raise SourceParseError(source, "list response whose 'results' is not a list of works", url=url)
        return results
    if isinstance(data, Mapping) and normalise_openalex_id(data.get("id")):
        return [data]
    raise SourceParseError(source, "not an OpenAlex works response (neither 'meta' + 'results' nor a work "
                                   "with an 'id')", url=url)


def _api_message(data: Mapping[str, Any]) -> str:
    parts = [clean_text(data.get(k)) for k in ("error", "message")]
    text = ": ".join(p for p in parts if p)
    return text[:200] or "unknown error"


# ---------------------------------------------------------------------------------------------------------
# search (HTTP)
# ---------------------------------------------------------------------------------------------------------
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

    def __init__(self, settings: Settings, *, client: SourceClient | None = None,
                 per_page: int = DEFAULT_PER_PAGE, overlap_days: int = DEFAULT_OVERLAP_DAYS,
                 extra_filters: Iterable[str] = ()) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        if overlap_days < 0:
            raise ValueError("overlap_days must not be negative")
        self.settings = settings
        self.client = client or make_client(settings)
        self.per_page = per_page
        self.overlap_days = overlap_days
        self.extra_filters = tuple(extra_filters)

    @property
    def has_key(self) -> bool:
        key = self.settings.openalex_api_key
        configured = key is not None and bool(key.get_secret_value().strip())
        return configured or "api_key" in self.client.default_params

    def params(self, query: str, window: Window, *,
               date_filter: tuple[str, str] = CREATED_FILTER) -> dict[str, str]:
        """The query parameters of the first page (cursor ``*``)."""
        start, end = date_filter
        filters = [f"{start}:{window.start.isoformat()}", f"{end}:{window.end.isoformat()}",
                   *self.extra_filters]
        params = {"filter": ",".join(filters), "per_page": str(self.per_page), "cursor": "*"}
        if query.strip():
            params["search"] = query.strip()
        return params

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Every work created in ``window`` matching ``query``, all pages, or a :class:`SourceError`."""
        if not self.has_key:
            raise MissingCredentialsError(self.name, "no API key configured (OpenAlex requires one since "
                                                     "February 2026): set LIVEREVIEW_OPENALEX_API_KEY")
        result = SearchResult(source=self.name, stats=self.client.stats)
        try:
            self._page_through(self.params(query, window), result)
        except _PremiumFilterRefused as refusal:
            shifted = Window(window.start - timedelta(days=self.overlap_days), window.end)
            result.warnings.append(
                f"{self.name}: the created-date filter was refused ({refusal}); searched publication dates "
                f"{shifted} instead (window start moved back {self.overlap_days} days)")
            result.records.clear()
            self._page_through(self.params(query, shifted, date_filter=PUBLICATION_FILTER), result)
        return result

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
            works = _works(data, source=self.name, url=url)
            meta = _mapping(data.get("meta")) if isinstance(data, Mapping) else {}
            count = meta.get("count") if isinstance(meta.get("count"), int) else None
            if first:
                result.total_reported = count
                first = False
            for work in works:
                key = normalise_openalex_id(work.get("id")) or json.dumps(work, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    result.records.append(work_to_record(work, source=self.name))
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
        message = _api_message(data) if isinstance(data, Mapping) else (clean_text(resp.text[:200]) or "")
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


__all__ = ["CREATED_FILTER", "PUBLICATION_FILTER", "OpenAlexConnector", "make_client", "parse",
           "rebuild_abstract", "work_to_record"]
