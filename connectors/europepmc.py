"""Europe PMC REST ``search``: ``parse`` for its JSON (core, lite, idlist) and :class:`EuropePMCConnector`.

Endpoint: ``GET <europepmc_base_url>search?query=…&format=json&resultType=core&pageSize=…&cursorMark=…``.
The window is put on the first index date (``FIRST_IDATE:[YYYY-MM-DD TO YYYY-MM-DD]``, both ends
inclusive), which only moves forward, so a record indexed late still lands in a later window.

Quirks (seen in real responses and other clients' tests):

* paging is by cursor only: ``cursorMark=*``, then ``nextCursorMark``. The end shows as the same cursor
  echoed back, as a missing ``nextCursorMark`` (zero-hit answers omit it) or as an empty page; every
  page repeats ``hitCount``, which also ends the loop once that many records have arrived (saving the
  empty last call) and caps the number of pages, so a misbehaving cursor cannot loop forever;
* ``pageSize`` is at most 1000; ``abstractText`` marks structured sections with ``<h4>Label</h4>``
  and keeps inline ``<i>``/``<sub>``; titles keep PubMed's ``[bracketed]`` English translations;
* a list with one element can arrive as a bare object (``commentCorrectionList.commentCorrection``),
  so every list field is read through :func:`_as_list`;
* there is no retraction flag: a record is retracted when ``pubTypeList`` holds "Retracted
  Publication" or ``commentCorrectionList`` has a "Retraction in" entry (PubMed's RefTypes spelled out);
* ``source`` is MED (PubMed), PMC, PPR (preprints), AGR, CBA, CTX, ETH, HIR, PAT; ``id`` is only unique
  within a source, hence ``source_id = "<source>:<id>"``;
* lite results carry ``authorString``/``journalTitle``/``journalIssn``/``pubType`` as flat strings
  instead of the core lists; idlist results carry only identifiers.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.base import SearchResult, Window
from connectors.http import SourceClient, client_from_settings
from connectors.payloads import decode_json
from connectors.pubmed.parse import RETRACTED_TYPE, relation_kind
from livereview.errors import CursorError, SourceParseError, SourceQueryError
from livereview.settings import Settings
from records.model import Record, Relation
from records.normalise import (
    clean_inline_markup,
    clean_text,
    dedupe_list,
    format_author,
    normalise_doi,
    normalise_issns,
    normalise_language,
    normalise_pages,
    normalise_pmcid,
    normalise_pmid,
    parse_year,
    strip_title_brackets,
)

RAW_FORMAT = "europepmc-json"
#: Landing page of a record (for people, in digests); not an API host.
RECORD_URL = "https://europepmc.org/article/{source}/{id}"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
PREPRINT_SOURCE = "PPR"

_H4_RE = re.compile(r"<h4>(.*?)</h4>", re.IGNORECASE | re.DOTALL)
_MEDLINE_NAME_RE = re.compile(r"^(?P<family>.+?)\s+(?P<initials>[A-Z]{1,4})$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def build_query(query: str, window: Window) -> str:
    """The protocol query restricted to records first indexed in the window (both ends inclusive)."""
    return f"({query}) AND FIRST_IDATE:[{window.start.isoformat()} TO {window.end.isoformat()}]"


def europepmc_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> SourceClient:
    """The Europe PMC client (about 10 requests/s is tolerated)."""
    return client_from_settings("europepmc", settings.europepmc_base_url, settings,
                                per_second=10.0, sleep=sleep)


@dataclass
class Page:
    """One search answer: its records and the paging facts around them."""

    records: list[Record] = field(default_factory=list)
    hit_count: int | None = None
    next_cursor: str | None = None


def parse(payload: bytes, *, source: str = "europepmc") -> list[Record]:
    """The records of one saved search answer (JSON; resultType core, lite or idlist)."""
    return parse_page(payload, source=source).records


def parse_page(payload: bytes, *, source: str = "europepmc") -> Page:
    """Records, ``hitCount`` and ``nextCursorMark`` of a search answer; anything else is a typed error."""
    data = _load(payload, source)
    if "resultList" not in data:
        message = clean_text(data.get("errMsg") or data.get("message"))
        if message:
            raise SourceQueryError(source, f"search refused: {message}")
        raise SourceParseError(source, "search: the JSON has no resultList")
    result_list = data["resultList"] if isinstance(data["resultList"], dict) else {"result": None}
    results = result_list.get("result", [])
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise SourceParseError(source, "search: resultList.result is not a list of records")
    hit_count = data.get("hitCount")
    if hit_count is not None and not isinstance(hit_count, int):
        raise SourceParseError(source, f"search: hitCount is not a number ({hit_count!r})")
    next_cursor = data.get("nextCursorMark")
    return Page(records=[_record(item, source) for item in results], hit_count=hit_count,
                next_cursor=str(next_cursor) if next_cursor else None)


class EuropePMCConnector:
    """Searches Europe PMC for the records first indexed in a window; pages to the end or raises."""

    name = "europepmc"

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
        self.client = client or europepmc_client(settings)
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

    def _page(self, text: str, cursor: str) -> Page:
        params = {"query": text, "format": "json", "resultType": self.result_type,
                  "pageSize": str(self.page_size), "cursorMark": cursor}
        if self.settings.contact_email:
            params["email"] = self.settings.contact_email
        return parse_page(self.client.get("search", params=params).content, source=self.name)


# -- payload -------------------------------------------------------------------------------------------------
def _load(payload: bytes, source: str) -> dict[str, Any]:
    data = decode_json(payload, source=source)
    if not isinstance(data, dict):
        raise SourceParseError(source, "search: the JSON is not an object")
    return data


def _as_list(value: object) -> list[Any]:
    """Europe PMC writes a one-element list as the element itself."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _get(data: object, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# -- one result ----------------------------------------------------------------------------------------------
def _record(item: dict[str, Any], source: str) -> Record:
    src = clean_text(item.get("source"))
    ident = clean_text(item.get("id"))
    journal_info = item.get("journalInfo") if isinstance(item.get("journalInfo"), dict) else {}
    pub_types = _pub_types(item, src)
    relations = _relations(item)
    year = (parse_year(item.get("pubYear")) or parse_year(journal_info.get("yearOfPublication"))
            or parse_year(item.get("firstPublicationDate")))
    return Record(
        source=source,
        source_id=f"{src}:{ident}" if src and ident else ident,
        title=strip_title_brackets(clean_inline_markup(item.get("title"))),
        abstract=_abstract(item.get("abstractText")),
        authors=_authors(item),
        year=year,
        journal=_journal(item, journal_info),
        volume=clean_text(journal_info.get("volume") or item.get("journalVolume")),
        issue=clean_text(journal_info.get("issue") or item.get("issue")),
        pages=normalise_pages(item.get("pageInfo")),
        doi=normalise_doi(item.get("doi")),
        pmid=normalise_pmid(item.get("pmid") or (ident if src == "MED" else None)),
        pmcid=normalise_pmcid(item.get("pmcid") or (ident if src == "PMC" else None)),
        issn=_issns(item, journal_info),
        language=normalise_language(item.get("language")),
        publication_types=pub_types,
        keywords=_keywords(item),
        published_date=_published_date(item, journal_info),
        url=RECORD_URL.format(source=src, id=ident) if src and ident else None,
        is_retracted=(any(t.lower() == RETRACTED_TYPE for t in pub_types)
                      or any(r.kind == "retraction-in" for r in relations)),
        relations=relations,
        raw=json.dumps(item, ensure_ascii=False),
        raw_format=RAW_FORMAT,
    )


def _abstract(value: object) -> str | None:
    """Plain text; ``<h4>Background</h4>…`` sections become ``BACKGROUND: …`` as PubMed writes them."""
    if not value:
        return None
    text = _H4_RE.sub(lambda m: f" {(clean_text(m.group(1)) or '').rstrip(':').upper()}: ", str(value))
    return clean_inline_markup(text)


def _authors(item: dict[str, Any]) -> list[str]:
    """Structured ``authorList`` (core); else the MEDLINE-style ``authorString`` (lite)."""
    authors = _as_list(_get(item, "authorList", "author"))
    if authors:
        names = []
        for author in authors:
            if not isinstance(author, dict):
                continue
            if author.get("collectiveName"):
                names.append(clean_inline_markup(author["collectiveName"]))
            elif author.get("lastName"):
                names.append(format_author(author["lastName"], author.get("firstName"),
                                           initials=author.get("initials")))
            else:
                names.append(_medline_name(author.get("fullName")))
        return [n for n in names if n]
    text = clean_text(item.get("authorString"))
    if not text:
        return []
    return [n for n in (_medline_name(part) for part in text.rstrip(".").split(",")) if n]


def _medline_name(value: object) -> str | None:
    """``Smith JA`` -> ``Smith, J. A.``; anything else (a group name) as given."""
    text = clean_text(value)
    if not text:
        return None
    match = _MEDLINE_NAME_RE.match(text)
    if match:
        return format_author(match["family"], None, initials=match["initials"])
    return text


def _journal(item: dict[str, Any], journal_info: dict[str, Any]) -> str | None:
    """Journal title; for books the series / book title, for preprints the server (``bioRxiv``)."""
    book = item.get("bookOrReportDetails") if isinstance(item.get("bookOrReportDetails"), dict) else {}
    for value in (_get(journal_info, "journal", "title"), item.get("journalTitle"),
                  book.get("comprisingTitle"), book.get("publisher")):
        text = clean_inline_markup(value)
        if text:
            return text
    return None


def _issns(item: dict[str, Any], journal_info: dict[str, Any]) -> list[str]:
    journal = journal_info.get("journal") if isinstance(journal_info.get("journal"), dict) else {}
    flat = str(item.get("journalIssn") or "").split(";")
    return normalise_issns([journal.get("issn"), journal.get("essn"), *flat])


def _pub_types(item: dict[str, Any], src: str | None) -> list[str]:
    types = _as_list(_get(item, "pubTypeList", "pubType"))
    if not types and item.get("pubType"):
        types = str(item["pubType"]).split(";")
    if src == PREPRINT_SOURCE:
        types = ["preprint", *types]
    return dedupe_list(types)


def _keywords(item: dict[str, Any]) -> list[str]:
    """MeSH descriptors, then keywords (the order the PubMed parser uses)."""
    mesh = [h.get("descriptorName") for h in _as_list(_get(item, "meshHeadingList", "meshHeading"))
            if isinstance(h, dict)]
    return dedupe_list([*mesh, *_as_list(_get(item, "keywordList", "keyword"))])


def _published_date(item: dict[str, Any], journal_info: dict[str, Any]) -> str | None:
    """The issue date at the precision given (``2025 Dec`` -> ``2025-12``), else first publication date."""
    printed = clean_text(journal_info.get("printPublicationDate"))
    if printed and re.fullmatch(r"\d{4}-\d{2}-\d{2}", printed):
        tokens = (clean_text(journal_info.get("dateOfPublication")) or "").split()
        has_month = len(tokens) >= 2 and tokens[1].isalpha() and tokens[1][:3].lower() in _MONTHS
        if has_month and len(tokens) >= 3 and tokens[2].isdigit():
            return printed
        return printed[:7] if has_month else printed[:4]
    first = clean_text(item.get("firstPublicationDate"))
    if first and re.fullmatch(r"\d{4}(-\d{2}){0,2}", first):
        return first
    year = parse_year(item.get("pubYear"))
    return str(year) if year else None


def _relations(item: dict[str, Any]) -> list[Relation]:
    """Retractions, errata, updates, expressions of concern: by target id and (when cited) DOI."""
    out: list[Relation] = []
    for entry in _as_list(_get(item, "commentCorrectionList", "commentCorrection")):
        if not isinstance(entry, dict):
            continue
        kind = relation_kind(entry.get("type"))
        if kind is None:
            continue
        note = clean_text(entry.get("reference"))
        src, ident = clean_text(entry.get("source")), clean_text(entry.get("id"))
        pmid = normalise_pmid(ident) if src == "MED" else None
        pmcid = normalise_pmcid(ident) if src == "PMC" else None
        if pmid:
            out.append(Relation(kind=kind, id_type="pmid", target=pmid, note=note))
        elif pmcid:
            out.append(Relation(kind=kind, id_type="pmcid", target=pmcid, note=note))
        elif ident and src:
            out.append(Relation(kind=kind, id_type="europepmc", target=f"{src}:{ident}", note=note))
        doi = normalise_doi(note) if note and "10." in note else None
        if doi:
            out.append(Relation(kind=kind, id_type="doi", target=doi, note=note))
    return list(dict.fromkeys(out))
