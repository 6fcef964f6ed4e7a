"""EndNote XML export (``File > Export``, type XML): ``<xml><records><record>…``.

Every text value sits inside one or more ``<style face=… font=… size=…>`` runs (a title in bold and
italic pieces is several runs), so values are the concatenated text of the element. EndNote keeps
the DOI in ``electronic-resource-num``, the ISSN in ``isbn``, the PMID in ``accession-num`` (for
records from PubMed) and the PMCID in ``custom2``. Parsed with defusedxml: entity declarations are
refused, never expanded; a truncated file is an XML syntax error and refused whole.
"""

from __future__ import annotations

import xml.etree.ElementTree as StdET  # noqa: S405 - only for the element type and tostring; parsing is defusedxml

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from livereview.connectors.files.fields import (
    authors_from,
    clean_abstract,
    first_doi,
    issns_from,
    labelled_pmid,
    looks_retracted,
    pmcid_from_urls,
    pmid_from_urls,
    publication_type,
    split_keywords,
)
from livereview.errors import InputFileError
from livereview.records.dates import iso_date
from livereview.records.model import Record
from livereview.records.normalise import (
    clean_text,
    dedupe_list,
    normalise_language,
    normalise_pages,
    normalise_pmcid,
    normalise_pmid,
    parse_year,
)

RAW_FORMAT = "endnote-xml"

_PUBMED_DB_WORDS = ("pubmed", "medline", "nlm")


def parse(text: str, *, path: str = "<string>") -> list[Record]:
    """Every record of an EndNote XML export, or :class:`InputFileError`."""
    try:
        root = SafeET.fromstring(text)
    except DefusedXmlException as err:
        raise InputFileError(path, f"refused: the XML declares entities or external references ({err})") from err
    except SafeET.ParseError as err:
        line = err.position[0] if err.position else None
        raise InputFileError(path, f"malformed or truncated XML: {err}", line=line) from err
    if root.tag != "xml" or root.find("records") is None:
        raise InputFileError(path, f"not an EndNote XML export (root <{root.tag}>, expected <xml><records>)")
    records = root.findall("records/record")
    if not records:
        raise InputFileError(path, "no records in the EndNote XML file")
    return [_to_record(rec) for rec in records]


def _text(element: StdET.Element | None) -> str | None:
    if element is None:
        return None
    return clean_text("".join(element.itertext()))


def _texts(parent: StdET.Element, path: str) -> list[str]:
    return [t for t in (_text(e) for e in parent.findall(path)) if t]


def _first(parent: StdET.Element, *paths: str) -> str | None:
    for path in paths:
        value = _text(parent.find(path))
        if value:
            return value
    return None


def _to_record(rec: StdET.Element) -> Record:
    ref_type = rec.find("ref-type")
    type_name = ref_type.get("name") if ref_type is not None else None
    year = parse_year(_first(rec, "dates/year"))
    urls = _texts(rec, "urls/related-urls/url") + _texts(rec, "urls/web-urls/url")
    database = " ".join(filter(None, [_first(rec, "remote-database-name"), _first(rec, "remote-database-provider")]))
    accession = _first(rec, "accession-num")
    pmid = None
    if accession and accession.isdigit() and any(w in database.lower() for w in _PUBMED_DB_WORDS):
        pmid = normalise_pmid(accession)
    pmid = pmid or labelled_pmid([accession, _first(rec, "notes")]) or pmid_from_urls(urls)
    custom2 = _first(rec, "custom2")
    record = Record(
        source="",
        source_id=_first(rec, "rec-number"),
        title=_first(rec, "titles/title"),
        abstract=clean_abstract([_first(rec, "abstract")]),
        authors=authors_from(_texts(rec, "contributors/authors/author")),
        year=year,
        journal=_first(rec, "periodical/full-title", "titles/secondary-title", "alt-periodical/full-title",
                       "periodical/abbr-1", "titles/alt-title"),
        volume=_first(rec, "volume"),
        issue=_first(rec, "number", "issue"),
        pages=normalise_pages(_first(rec, "pages")),
        doi=first_doi(_first(rec, "electronic-resource-num"), urls),
        pmid=pmid,
        pmcid=(normalise_pmcid(custom2) if custom2 and custom2.upper().startswith("PMC") else None)
        or pmcid_from_urls(urls),
        issn=issns_from([_first(rec, "isbn")]),
        language=normalise_language(_first(rec, "language")),
        publication_types=dedupe_list([publication_type(type_name), publication_type(_first(rec, "work-type"))]),
        keywords=split_keywords(_texts(rec, "keywords/keyword")),
        published_date=iso_date(" ".join(filter(None, [_first(rec, "dates/pub-dates/date"), str(year or "")])),
                                year),
        url=next((u for u in urls if u.startswith(("http://", "https://"))), None),
        raw=StdET.tostring(rec, encoding="unicode"),
        raw_format=RAW_FORMAT,
    )
    record.is_retracted = looks_retracted(record)
    return record
