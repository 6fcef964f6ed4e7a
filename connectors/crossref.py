"""Crossref REST API (``/works``): DOI metadata, dates, and the update graph (corrections, retractions).

Why Crossref in a living review: it sees almost every DOI within hours of deposit, and it carries
the notices (``update-to`` / ``updated-by``) that tell us an included study was corrected or
retracted. It has no boolean search: ``query.bibliographic`` is relevance-ranked free text, so the
flow applies the review's boolean filter to what comes back.

Paging is by deep-paging cursor (``cursor=*`` then ``next-cursor``). Crossref's cursor is a
server-side scroll id that usually stays *the same string* from page to page (see the two recorded
pages in ``tests/fixtures/crossref``), so a repeated cursor is normal here and not a stop signal;
a cursor that does not advance shows up as a page of items we have already seen, and that is
refused with :class:`CursorError`. Cursors expire after about five minutes of inactivity.

Abstracts are JATS XML fragments. They are never handed to an XML parser (entity expansion):
markup is stripped with regular expressions, keeping section titles as ``"Label: text"``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import requests

from connectors.base import SearchResult, Window
from connectors.http import SourceClient, client_from_settings, redact_url
from connectors.payloads import decode_json
from livereview.errors import CursorError, SourceHTTPError, SourceParseError, SourceQueryError
from livereview.settings import Settings
from records.model import Record, Relation
from records.normalise import (
    clean_inline_markup,
    clean_text,
    format_author,
    normalise_doi,
    normalise_issns,
    normalise_language,
    normalise_pages,
    parse_year,
)

NAME = "crossref"
RAW_FORMAT = "crossref-json"

#: The window is applied to the *index* date: it moves whenever Crossref (re)indexes a record, so
#: late deposits and metadata updates (new ``updated-by`` notices) are seen by the next run.
DATE_FILTER: tuple[str, str] = ("from-index-date", "until-index-date")
#: Crossref's documented maximum for ``rows``; fewest requests per window.
MAX_ROWS = 1000
DEFAULT_ROWS = 1000
#: Request ceiling before the API's own ``x-rate-limit-*`` headers are seen (list queries in the polite
#: pool have been limited to a few per second since December 2025); only ever tightened from headers.
DEFAULT_PER_SECOND = 3.0
PLUS_TOKEN_HEADER = "Crossref-Plus-API-Token"  # noqa: S105 - a header name, not a secret

# Crossref update types -> (relation on the notice, relation on the updated work)
_UPDATE_KINDS: dict[str, tuple[str, str]] = {
    "retraction": ("retraction-of", "retraction-in"),
    "withdrawal": ("retraction-of", "retraction-in"),
    "removal": ("retraction-of", "retraction-in"),
    "correction": ("erratum-for", "erratum-in"),
    "erratum": ("erratum-for", "erratum-in"),
    "corrigendum": ("erratum-for", "erratum-in"),
    "partial_retraction": ("erratum-for", "erratum-in"),
    "addendum": ("erratum-for", "erratum-in"),
    "clarification": ("erratum-for", "erratum-in"),
    "expression_of_concern": ("expression-of-concern-for", "expression-of-concern-in"),
    "new_version": ("update-of", "updated-by"),
    "new_edition": ("update-of", "updated-by"),
}
_RETRACTING = frozenset({"retraction", "withdrawal", "removal"})
# Crossref ``relation`` keys we keep (the rest: reviews, citations, versions, are not review-relevant)
_RELATION_KINDS = {"has-preprint": "has-preprint", "is-preprint-of": "preprint-of"}
_DATE_FIELDS = ("issued", "published-print", "published-online", "published", "posted")


# ---------------------------------------------------------------------------------------------------------
# parsing (pure)
# ---------------------------------------------------------------------------------------------------------
def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """Records from a saved Crossref response: a ``work-list`` envelope or a single ``work``."""
    message, kind = _message(payload, source=source)
    if kind == "work":
        return [item_to_record(message, source=source)]
    return [item_to_record(item, source=source) for item in _items(message, source=source)]


def item_to_record(item: Mapping[str, Any], *, source: str = NAME) -> Record:
    """One Crossref work item -> :class:`Record` (``source_id`` = DOI)."""
    doi = normalise_doi(item.get("DOI"))
    updates_to = _update_relations(item.get("update-to"), notice=True)
    updated_by = _update_relations(item.get("updated-by"), notice=False)
    relations = _dedupe_relations([*updates_to, *updated_by, *_preprint_relations(item.get("relation"))])
    retracted = any(_update_type(u) in _RETRACTING for u in _dicts(item.get("updated-by")))
    published = _first_date(item, _DATE_FIELDS)
    year = parse_year(published) if published else _year_of(item.get("created"))
    kind = item.get("type")
    types = [kind] if isinstance(kind, str) and kind else []
    if item.get("subtype") == "preprint" or kind == "preprint":
        types.append("preprint")
    return Record(
        source=source,
        source_id=doi,
        title=_title(item),
        abstract=jats_to_text(item.get("abstract")),
        authors=_authors(item.get("author")),
        year=year,
        journal=_journal(item),
        volume=_field(item.get("volume")),
        issue=_field(item.get("issue")),
        pages=normalise_pages(item.get("page")),
        doi=doi,
        issn=normalise_issns([*_strings(item.get("ISSN")),
                              *(d.get("value") for d in _dicts(item.get("issn-type")))]),
        language=normalise_language(item.get("language")),
        publication_types=list(dict.fromkeys(types)),
        published_date=published,
        url=item.get("URL") if isinstance(item.get("URL"), str) else None,
        is_retracted=retracted,
        relations=relations,
        raw=json.dumps(item, ensure_ascii=False),
        raw_format=RAW_FORMAT,
    )


# JATS/HTML inline markup -> ``<i>``, which ``clean_inline_markup`` knows may stand where a space belongs
_INLINE_MAP = re.compile(r"<(/?)(?:jats:)?(?:italic|bold|sc|scp|underline|monospace|styled-content|"
                         r"named-content|ext-link|uri|i|b|u|em|strong)\b[^>]*>", re.IGNORECASE)
# ``<scp>T</scp>reebase``: a small-caps first letter belongs to the word that follows
_SMALLCAP_INITIAL = re.compile(r"(?<![^\s(\[\"'‘“])<(?:jats:)?(?:scp|sc)>(\w)</(?:jats:)?(?:scp|sc)>"
                               r"(?=[a-z])")
_TITLE_TAG = re.compile(r"<(?:jats:)?title\b[^>]*>(.*?)</(?:jats:)?title>", re.IGNORECASE | re.DOTALL)
_GENERIC_HEADING = re.compile(r"^(?:abstract|summary|graphical abstract|structured abstract|resumen|résumé)$",
                              re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:)\]])(?=[\s.,;:)\]]|$)")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")


def jats_to_text(value: object) -> str | None:
    """Plain text from a JATS (or HTML) fragment, without an XML parser.

    A generic heading ("Abstract") is dropped; section titles become ``"Label: "`` before their text.
    Entities are decoded only after tags are gone, so ``&lt;`` in the text survives as ``<``.
    """
    if not isinstance(value, str) or not value.strip():
        return None

    def label(m: re.Match[str]) -> str:
        text = _inline(m.group(1)) or ""
        if not text or _GENERIC_HEADING.match(text.rstrip(":. ")):
            return " "
        return f" {text.rstrip(':. ')}: "

    text = _TITLE_TAG.sub(label, value)
    return _tidy(_inline(text))


def _inline(value: str) -> str | None:
    text = _SMALLCAP_INITIAL.sub(r"\1", value)
    text = _INLINE_MAP.sub(lambda m: f"<{m.group(1)}i>", text)
    return clean_inline_markup(text)


def _tidy(text: str | None) -> str | None:
    """Whitespace left by pretty-printed XML before closing punctuation: ``Grenfell ).`` -> ``Grenfell).``."""
    if not text:
        return None
    text = _SPACE_AFTER_OPEN.sub(r"\1", _SPACE_BEFORE_PUNCT.sub(r"\1", text))
    return text.strip() or None


def _title(item: Mapping[str, Any]) -> str | None:
    title = next((t for t in (_tidy(_inline(s)) for s in _strings(item.get("title"))) if t), None)
    subtitle = next((t for t in (_tidy(_inline(s)) for s in _strings(item.get("subtitle"))) if t), None)
    if title and subtitle and subtitle.lower() not in title.lower():
        return f"{title} {subtitle}" if title[-1] in "?!:." else f"{title}: {subtitle}"
    return title or subtitle


def _authors(value: object) -> list[str]:
    out: list[str] = []
    for a in _dicts(value):
        if a.get("family"):
            name = format_author(a.get("family"), a.get("given"))
        else:  # organisations ("name"), and the odd given-name-only author
            name = clean_text(a.get("name")) or clean_text(a.get("given"))
        if name:
            out.append(name)
    return out


def _journal(item: Mapping[str, Any]) -> str | None:
    journal = next((t for t in map(clean_text, _strings(item.get("container-title"))) if t), None)
    if journal is None and item.get("type") == "posted-content":
        # preprints: the server (bioRxiv, SSRN) is named as the "institution"
        names = (clean_text(i.get("name")) for i in _dicts(item.get("institution")))
        journal = next((n for n in names if n), None)
    return journal


def _date_parts(value: object) -> list[int]:
    """``{"date-parts": [[2012, 3, 21]]}`` -> ``[2012, 3, 21]``; ``[[null]]`` -> ``[]``."""
    if not isinstance(value, Mapping):
        return []
    parts = value.get("date-parts")
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
        return []
    out: list[int] = []
    for p in parts[0]:
        if isinstance(p, int) or (isinstance(p, str) and p.isdigit()):
            out.append(int(p))
        else:
            break
    return out


def _first_date(item: Mapping[str, Any], fields: Iterable[str]) -> str | None:
    for name in fields:
        parts = _date_parts(item.get(name))
        if parts and parse_year(parts[0]):
            y, rest = parts[0], parts[1:3]
            return "-".join([f"{y:04d}", *(f"{p:02d}" for p in rest if 1 <= p <= 31)])
    return None


def _year_of(value: object) -> int | None:
    parts = _date_parts(value)
    return parse_year(parts[0]) if parts else None


def _update_type(update: Mapping[str, Any]) -> str:
    return re.sub(r"[\s-]+", "_", str(update.get("type") or "").strip().lower())


def _update_relations(value: object, *, notice: bool) -> list[Relation]:
    out: list[Relation] = []
    for u in _dicts(value):
        kind = _update_type(u)
        target = normalise_doi(u.get("DOI"))
        if kind not in _UPDATE_KINDS or not target:
            continue
        relation = _UPDATE_KINDS[kind][0 if notice else 1]
        out.append(Relation(kind=relation, id_type="doi", target=target, note=kind))
    return out


def _preprint_relations(value: object) -> list[Relation]:
    out: list[Relation] = []
    if not isinstance(value, Mapping):
        return out
    for key, kind in _RELATION_KINDS.items():
        for rel in _dicts(value.get(key)):
            id_type = str(rel.get("id-type") or "doi").lower()
            target = normalise_doi(rel.get("id")) if id_type == "doi" else clean_text(rel.get("id"))
            if target:
                out.append(Relation(kind=kind, id_type=id_type, target=target))
    return out


def _dedupe_relations(relations: Iterable[Relation]) -> list[Relation]:
    return list(dict.fromkeys(relations))


def _field(value: object) -> str | None:
    """A short text field; the literal ``"null"`` some members deposit means absent."""
    text = clean_text(value)
    return None if text is None or text.lower() in ("null", "none", "n/a") else text


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------------------------
# payload checks shared by parse() and search()
# ---------------------------------------------------------------------------------------------------------
def _message(payload: bytes, *, source: str, url: str | None = None,
             content_type: str = "") -> tuple[Mapping[str, Any], str]:
    data = decode_json(payload, source=source, url=url, content_type=content_type)
    if not isinstance(data, Mapping) or "message-type" not in data:
        raise SourceParseError(source, "not a Crossref REST API response (no 'message-type' envelope)",
                               url=url)
    _raise_for_failure(data, source=source, url=url)
    kind = data.get("message-type")
    message = data.get("message")
    if kind not in ("work", "work-list") or not isinstance(message, Mapping):
        raise SourceParseError(source, f"expected message-type 'work' or 'work-list', got {kind!r}", url=url)
    return message, str(kind)


def _items(message: Mapping[str, Any], *, source: str, url: str | None = None) -> list[Mapping[str, Any]]:
    items = message.get("items")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise SourceParseError(source, "work-list without an 'items' list of works", url=url)
    return items


def _api_messages(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(types, messages) from Crossref's error envelope, whose ``message`` is a list (or a dict for 500s)."""
    raw = data.get("message")
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else []
    types, messages = [], []
    for e in entries:
        if isinstance(e, Mapping):
            types.append(str(e.get("type") or e.get("name") or ""))
            text = clean_text(e.get("message") or e.get("description"))
            if text:
                messages.append(text.rstrip(". ") + (f" (value: {e['value']})" if e.get("value") else ""))
        elif isinstance(e, str):
            messages.append(e)
    return types, messages


def _raise_for_failure(data: Mapping[str, Any], *, source: str, url: str | None,
                       status: int | None = None) -> None:
    if data.get("status") in (None, "ok"):
        return
    types, messages = _api_messages(data)
    text = "; ".join(messages) or str(data.get("message-type") or "unknown error")
    if "cursor-invalid" in types:
        raise CursorError(source, f"cursor rejected: {text} (cursors expire after ~5 minutes idle)",
                          url=url, status=status)
    if data.get("message-type") == "exception":
        raise SourceHTTPError(source, f"server error: {_first_line(text)}", url=url, status=status)
    raise SourceQueryError(source, f"query rejected: {text}", url=url, status=status)


_JAVA_FRAME = re.compile(r"\s(?:at\s+[\w$.<>/-]+\(|Caused by:|\.\.\.\s*\d+\s+more)")


def _first_line(text: str, limit: int = 160) -> str:
    """Keep the exception message, drop the stack trace that follows it."""
    m = _JAVA_FRAME.search(text)
    text = (text[: m.start()] if m else text).strip()
    return text[:limit] + ("…" if len(text) > limit else "")


# ---------------------------------------------------------------------------------------------------------
# search (HTTP)
# ---------------------------------------------------------------------------------------------------------
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

    def __init__(self, settings: Settings, *, client: SourceClient | None = None, rows: int = DEFAULT_ROWS,
                 types: Sequence[str] = (), date_filter: tuple[str, str] = DATE_FILTER) -> None:
        if not 1 <= rows <= MAX_ROWS:
            raise ValueError(f"rows must be between 1 and {MAX_ROWS}, got {rows}")
        self.settings = settings
        self.client = client or make_client(settings)
        self.rows = rows
        self.types = tuple(types)
        self.date_filter = date_filter

    def params(self, query: str, window: Window) -> dict[str, str]:
        """The query parameters of the first page (cursor ``*``)."""
        start, end = self.date_filter
        filters = [f"{start}:{window.start.isoformat()}", f"{end}:{window.end.isoformat()}"]
        filters += [f"type:{t}" for t in self.types]
        params = {"filter": ",".join(filters), "rows": str(self.rows), "cursor": "*"}
        if query.strip():
            params["query.bibliographic"] = query.strip()
        return params

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Every work of ``window`` matching ``query`` (free text), all pages, or a :class:`SourceError`."""
        result = SearchResult(source=self.name, stats=self.client.stats)
        params = self.params(query, window)
        seen: set[str] = set()
        page = 0
        while True:
            page += 1
            resp = self._get(params)
            result.queries.append(redact_url(resp.url or ""))
            message, _kind = _message(resp.content, source=self.name, url=redact_url(resp.url or ""),
                                      content_type=resp.headers.get("Content-Type", ""))
            items = _items(message, source=self.name, url=redact_url(resp.url or ""))
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

    def pages_bound(self, n: int) -> int:
        """Most requests a window of ``n`` works should take: full pages plus one that finds the end."""
        return math.ceil(n / self.rows) + 1

    # -- HTTP ---------------------------------------------------------------------------------------------
    def _get(self, params: Mapping[str, str]) -> requests.Response:
        try:
            resp = self.client.get("works", params=params, ok_statuses=frozenset({200, 400, 404}))
        except SourceHTTPError as exc:
            if exc.status is not None and exc.status >= 500:
                raise SourceHTTPError(self.name, _first_line(exc.problem), url=exc.url,
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
            _raise_for_failure(data, source=self.name, url=url, status=resp.status_code)
        text = clean_text(resp.text[:300]) or "empty body"
        raise SourceQueryError(self.name, f"request refused: {_first_line(text)}", url=url,
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


__all__ = ["DATE_FILTER", "CrossrefConnector", "advertised_rate", "item_to_record",
           "jats_to_text", "make_client", "parse"]
