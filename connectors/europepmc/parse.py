"""Europe PMC ``search`` answers -> records (pure, no HTTP). Endpoint, window and quirks: README.md beside this file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from livereview.connectors.payloads import decode_json
from livereview.errors import SourceParseError, SourceQueryError
from livereview.records.dates import month_number
from livereview.records.fulltext import OpenAccessLink, is_http_url
from livereview.records.model import Record, Relation
from livereview.records.normalise import (
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
from livereview.records.vocabulary import relation_kind, says_retracted

NAME = "europepmc"
RAW_FORMAT = "europepmc-json"
#: Landing page of a record (for people, in digests); not an API host.
RECORD_URL = "https://europepmc.org/article/{source}/{id}"
PREPRINT_SOURCE = "PPR"

_H4_RE = re.compile(r"<h4>(.*?)</h4>", re.IGNORECASE | re.DOTALL)
_MEDLINE_NAME_RE = re.compile(r"^(?P<family>.+?)\s+(?P<initials>[A-Z]{1,4})$")



@dataclass
class Page:
    """One search answer: its records and the paging facts around them."""

    records: list[Record] = field(default_factory=list)
    hit_count: int | None = None
    next_cursor: str | None = None


def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """The records of one saved search answer (JSON; resultType core, lite or idlist)."""
    return parse_page(payload, source=source).records


def parse_page(payload: bytes, *, source: str = NAME) -> Page:
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
    return Page(records=[item_to_record(item, source=source) for item in results], hit_count=hit_count,
                next_cursor=str(next_cursor) if next_cursor else None)


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
def item_to_record(item: dict[str, Any], *, source: str = NAME) -> Record:
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
        is_retracted=says_retracted(pub_types, (r.kind for r in relations)),
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
        has_month = len(tokens) >= 2 and tokens[1].isalpha() and month_number(tokens[1]) is not None
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


# ---------------------------------------------------------------------------------------------------------
# references and citations (pure): ``/{source}/{id}/references`` and ``/{source}/{id}/citations`` answers
# ---------------------------------------------------------------------------------------------------------
@dataclass
class LinkPage:
    """One page of a study's reference list or citing works."""

    records: list[Record] = field(default_factory=list)
    hit_count: int = 0


def parse_links(payload: bytes, *, kind: str, source: str = NAME) -> LinkPage:
    """Records of a ``references`` (``kind="references"``) or ``citations`` answer; thin (no abstract)."""
    data = _load(payload, source)
    outer, inner = ("referenceList", "reference") if kind == "references" else ("citationList", "citation")
    if outer not in data and "hitCount" not in data:
        message = clean_text(data.get("errMsg") or data.get("message"))
        raise SourceParseError(source, f"{kind}: not a {kind} answer" + (f" ({message})" if message else ""))
    hits = data.get("hitCount")
    page = LinkPage(hit_count=hits if isinstance(hits, int) else 0)
    for item in _as_list(_get(data, outer, inner)):
        if not isinstance(item, dict):
            continue
        src, ident = clean_text(item.get("source")), clean_text(str(item.get("id") or ""))
        pmid = normalise_pmid(ident) if src == "MED" else None
        pmcid = normalise_pmcid(ident) if src == "PMC" else None
        title = clean_inline_markup(item.get("title"))
        if not (title or pmid or pmcid or item.get("doi")):
            continue
        page.records.append(Record(
            source=source, source_id=f"{src}:{ident}" if src and ident else (normalise_doi(item.get("doi")) or title),
            title=title, authors=_author_string(item.get("authorString")),
            year=parse_year(item.get("pubYear")), journal=clean_text(item.get("journalAbbreviation")),
            volume=clean_text(item.get("volume")), issue=clean_text(item.get("issue")),
            pages=normalise_pages(item.get("pageInfo")), doi=normalise_doi(item.get("doi")), pmid=pmid, pmcid=pmcid,
            publication_types=["preprint"] if src == PREPRINT_SOURCE else [],
            raw=json.dumps(item, ensure_ascii=False), raw_format=f"{RAW_FORMAT}-{kind}",
        ))
    return page


def _author_string(value: object) -> list[str]:
    """``"Smith J, Doe AB."`` -> ``["Smith, J.", "Doe, A.B."]`` (MEDLINE display names)."""
    out: list[str] = []
    for part in (clean_text(value) or "").rstrip(".").split(","):
        m = _MEDLINE_NAME_RE.match(part.strip())
        name = format_author(m["family"], initials=m["initials"]) if m else format_author(part.strip())
        if name:
            out.append(name)
    return out


#: ``fullTextUrlList`` availability codes of a copy anyone may read: open access, free (``S`` is subscription)
OPEN_AVAILABILITY = frozenset({"OA", "F"})


def full_text_links(item: dict[str, Any], *, source: str = NAME) -> list[OpenAccessLink]:
    """The open-access and free entries of a core result's ``fullTextUrlList`` (PDFs carried as ``pdf_url``), with
    the item's ``license``; subscription-only entries are left out. Europe PMC does not say the version."""
    entries = _as_list(_get(item, "fullTextUrlList", "fullTextUrl"))
    licence = clean_text(item.get("license"))
    out: list[OpenAccessLink] = []
    for e in entries:
        if not isinstance(e, dict) or e.get("availabilityCode") not in OPEN_AVAILABILITY \
                or not is_http_url(e.get("url")):
            continue
        url = str(e["url"]).strip()
        is_pdf = str(e.get("documentStyle") or "").lower() == "pdf"
        host = "repository" if str(e.get("site") or "") in ("Europe_PMC", "PubMedCentral") else "publisher"
        out.append(OpenAccessLink(url=url, source=source, pdf_url=url if is_pdf else None, license=licence,
                                  host_type=host))
    return out
