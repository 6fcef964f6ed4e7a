"""OpenAlex ``/works`` answers -> records (pure, no HTTP). Endpoint, auth, window, quirks: README.md beside this."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from livereview.connectors.payloads import decode_json
from livereview.errors import (
    SourceParseError,
    SourceQueryError,
)
from livereview.records.fulltext import OpenAccessLink, is_http_url, version_word
from livereview.records.model import Record
from livereview.records.normalise import (
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

_PREPRINT_TYPES = frozenset({"preprint", "posted-content"})


# ---------------------------------------------------------------------------------------------------------
# parsing (pure)
# ---------------------------------------------------------------------------------------------------------
def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """Records from a saved OpenAlex response: a list (``meta`` + ``results``) or a single work object."""
    data = decode_json(payload, source=source)
    return [item_to_record(w, source=source) for w in read_works(data, source=source)]


def item_to_record(work: Mapping[str, Any], *, source: str = NAME) -> Record:
    """One OpenAlex work -> :class:`Record` (``source_id`` = the W-id)."""
    ids = as_mapping(work.get("ids"))
    location = as_mapping(work.get("primary_location"))
    venue = as_mapping(location.get("source"))
    biblio = as_mapping(work.get("biblio"))
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
        author = as_mapping(a.get("author"))
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


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------------------------
# payload checks shared by parse() and search()
# ---------------------------------------------------------------------------------------------------------
def read_works(data: Any, *, source: str, url: str | None = None) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping) and "error" in data and "results" not in data:
        raise SourceQueryError(source, f"API error: {api_message(data)}", url=url)
    if isinstance(data, Mapping) and "results" in data:
        results = data.get("results")
        if not isinstance(results, list) or not all(isinstance(w, Mapping) for w in results):
            raise SourceParseError(source, "list response whose 'results' is not a list of works", url=url)
        return results
    if isinstance(data, Mapping) and normalise_openalex_id(data.get("id")):
        return [data]
    raise SourceParseError(source, "not an OpenAlex works response (neither 'meta' + 'results' nor a work "
                                   "with an 'id')", url=url)


def api_message(data: Mapping[str, Any]) -> str:
    parts = [clean_text(data.get(k)) for k in ("error", "message")]
    text = ": ".join(p for p in parts if p)
    return text[:200] or "unknown error"




# ---------------------------------------------------------------------------------------------------------
# citation graph fields (pure): what a work cites and how often it is cited
# ---------------------------------------------------------------------------------------------------------
def referenced_ids(work: Mapping[str, Any]) -> list[str]:
    """The W-ids a work cites (``referenced_works``), normalised, in order, once."""
    refs = work.get("referenced_works")
    ids = (normalise_openalex_id(r) for r in refs) if isinstance(refs, list) else ()
    return list(dict.fromkeys(i for i in ids if i))


def cited_by_count(work: Mapping[str, Any]) -> int:
    value = work.get("cited_by_count")
    return value if isinstance(value, int) and value >= 0 else 0


# ---------------------------------------------------------------------------------------------------------
# open access (pure): the work's best open-access location, for the full-text finder
# ---------------------------------------------------------------------------------------------------------
def oa_location(work: Mapping[str, Any], *, source: str = NAME) -> OpenAccessLink | None:
    """OpenAlex's ``best_oa_location`` as a link (``landing_page_url``, ``pdf_url``, ``license``, ``version``),
    or None when the work has none (or it is not open access)."""
    loc = as_mapping(work.get("best_oa_location"))
    if not loc or loc.get("is_oa") is False:
        return None
    landing, pdf = loc.get("landing_page_url"), loc.get("pdf_url")
    main = landing if is_http_url(landing) else pdf if is_http_url(pdf) else None
    if main is None:
        return None
    venue_type = as_mapping(loc.get("source")).get("type")
    host = "repository" if venue_type == "repository" else "publisher" if venue_type else None
    return OpenAccessLink(url=main.strip(), source=source, pdf_url=pdf.strip() if is_http_url(pdf) else None,
                          license=clean_text(loc.get("license")), version=version_word(loc.get("version")),
                          host_type=host, oa_status=clean_text(as_mapping(work.get("open_access")).get("oa_status")))
