"""PubMed efetch XML (``PubmedArticleSet``) -> :class:`~records.model.Record`.

Parser choice: **defusedxml's ElementTree, not ``Bio.Entrez``.** Checked offline with biopython 1.88:
``Bio.Entrez.read`` validates against the DTD named in the DOCTYPE and, when that DTD is not among
the ones it ships (it ships up to ``pubmed_250101.dtd``; NCBI issues a new one every January), it
downloads it with urllib -- no timeout, not mockable -- and without a network raises
``RuntimeError: Failed to access pubmed_260101.dtd``. A parser that breaks every January is not
workable for a scheduled monitor. It also returns dicts that cannot give back an article's own XML
(``Record.raw``). defusedxml parses the bytes once, refuses entity declarations (billion laughs,
external entities) before anything is expanded, never fetches a DTD, and keeps the element tree we
need for ``raw``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from xml.etree.ElementTree import Element, ParseError, register_namespace, tostring
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from livereview.errors import SourceParseError
from livereview.records.dates import month_number, partial_iso
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

NAME = "pubmed"
RAW_FORMAT = "pubmed-xml"
#: Landing page of a record (for people, in digests); not an API host.
RECORD_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


_NOT_AVAILABLE = {"not available", "[not available]", "[not available]."}
# keep MathML's usual prefix in ``raw`` (otherwise ElementTree writes ``ns0:``)
register_namespace("mml", "http://www.w3.org/1998/Math/MathML")

_ITEM_TAGS = ("PubmedArticle", "PubmedBookArticle")
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html)\b", re.IGNORECASE)



def safe_xml(payload: bytes, *, source: str, what: str) -> Element:
    """Parse network XML with entity declarations refused; every failure is one :class:`SourceParseError`."""
    if _HTML_START.match(payload[:512]):
        raise SourceParseError(source, f"{what}: got an HTML page instead of XML")
    try:
        return fromstring(payload, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SourceParseError(source, f"{what}: refused XML with entity declarations ({exc})") from exc
    except ParseError as exc:
        raise SourceParseError(source, f"{what}: not well-formed XML, truncated or corrupt ({exc})") from exc


def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """Every ``PubmedArticle`` and ``PubmedBookArticle`` of an efetch ``PubmedArticleSet``, in order."""
    root = safe_xml(payload, source=source, what="efetch")
    if root.tag != "PubmedArticleSet":
        message = clean_text(root.findtext("ERROR")) if root.find("ERROR") is not None else None
        if message:
            raise SourceParseError(source, f"efetch answered with an error: {message}")
        raise SourceParseError(source, f"efetch: expected a PubmedArticleSet, got <{root.tag}>")
    return [item_to_record(element, source=source, position=position)
            for position, element in enumerate(root, start=1) if element.tag in _ITEM_TAGS]


def item_to_record(element: Element, *, source: str = NAME, position: int = 1) -> Record:
    """One ``PubmedArticle`` or ``PubmedBookArticle`` element as a record (``position`` names it in errors)."""
    if element.tag == "PubmedBookArticle":
        return _book_article(element, source=source, position=position)
    return _article(element, source=source, position=position)


# -- one article ---------------------------------------------------------------------------------------------
def _article(element: Element, *, source: str, position: int) -> Record:
    citation = element.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    pmid = normalise_pmid(citation.findtext("PMID")) if citation is not None else None
    if citation is None or article is None or not pmid:
        raise SourceParseError(source, f"efetch: PubmedArticle #{position} has no PMID or Article")
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    pub_date = issue.find("PubDate") if issue is not None else None
    article_date = article.find("ArticleDate")
    pubmed_data = element.find("PubmedData")
    id_list = pubmed_data.find("ArticleIdList") if pubmed_data is not None else None

    pub_types = dedupe_list(pt.text for pt in article.iterfind("PublicationTypeList/PublicationType"))
    relations = _relations(citation.iterfind("CommentsCorrectionsList/CommentsCorrections"))
    year, published = _pub_date(pub_date)
    if year is None:
        year, published = _pub_date(article_date)
    issns = [e.text for e in journal.iterfind("ISSN")] if journal is not None else []
    issns.append(citation.findtext("MedlineJournalInfo/ISSNLinking"))
    return Record(
        source=source,
        source_id=pmid,
        title=_title(article.find("ArticleTitle"), article.find("VernacularTitle")),
        abstract=_abstract(article.find("Abstract"), article),
        authors=_authors(article.find("AuthorList")),
        year=year,
        journal=clean_inline_markup(journal.findtext("Title")) if journal is not None else None,
        volume=clean_text(issue.findtext("Volume")) if issue is not None else None,
        issue=clean_text(issue.findtext("Issue")) if issue is not None else None,
        pages=_pages(article.find("Pagination")),
        doi=_doi(article.iterfind("ELocationID"), id_list),
        pmid=pmid,
        pmcid=_article_id(id_list, "pmc", normalise_pmcid),
        issn=normalise_issns(issns),
        language=normalise_language(article.findtext("Language")),
        publication_types=pub_types,
        keywords=_keywords(citation),
        published_date=published,
        url=RECORD_URL.format(pmid=pmid),
        is_retracted=_is_retracted(pub_types, relations),
        relations=relations,
        raw=_raw(element),
        raw_format=RAW_FORMAT,
    )


def _book_article(element: Element, *, source: str, position: int) -> Record:
    document = element.find("BookDocument")
    pmid = normalise_pmid(document.findtext("PMID")) if document is not None else None
    if document is None or not pmid:
        raise SourceParseError(source, f"efetch: PubmedBookArticle #{position} has no BookDocument/PMID")
    book = document.find("Book")
    book_title = _inline(book.find("BookTitle")) if book is not None else None
    title = _title(document.find("ArticleTitle"), document.find("VernacularTitle")) or book_title
    # chapter authors; a whole book has its authors on Book; editors are never authors
    author_lists = document.findall("AuthorList") + (book.findall("AuthorList") if book is not None else [])
    authors = next((_authors(al) for al in author_lists if al.get("Type", "authors") != "editors"), [])
    year, published = _pub_date(book.find("PubDate") if book is not None else None)
    pub_types = dedupe_list(pt.text for pt in document.iterfind("PublicationType"))
    relations = _relations(document.iterfind("CommentsCorrectionsList/CommentsCorrections"))
    id_lists = [document.find("ArticleIdList"), element.find("PubmedBookData/ArticleIdList")]
    return Record(
        source=source,
        source_id=pmid,
        title=title,
        abstract=_abstract(document.find("Abstract"), document),
        authors=authors,
        year=year,
        journal=book_title,
        volume=clean_text(book.findtext("Volume")) if book is not None else None,
        pages=_pages(document.find("Pagination")),
        doi=_doi(document.iterfind("ELocationID"), *id_lists),
        pmid=pmid,
        pmcid=next((p for p in (_article_id(ids, "pmc", normalise_pmcid) for ids in id_lists) if p), None),
        language=normalise_language(document.findtext("Language")),
        publication_types=pub_types,
        keywords=dedupe_list(k.text for k in document.iterfind("KeywordList/Keyword")),
        published_date=published,
        url=RECORD_URL.format(pmid=pmid),
        is_retracted=_is_retracted(pub_types, relations),
        relations=relations,
        raw=_raw(element),
        raw_format=RAW_FORMAT,
    )


# -- fields --------------------------------------------------------------------------------------------------
def _inline(element: Element | None) -> str | None:
    """An element's text with inline markup (``<i>``, ``<sup>``, MathML) removed, words not fused."""
    if element is None:
        return None
    inner = escape(element.text or "") + "".join(tostring(child, encoding="unicode") for child in element)
    return clean_inline_markup(inner)


def _title(title_el: Element | None, vernacular_el: Element | None) -> str | None:
    """The English title, unbracketed if it is a translation; the vernacular one only when there is none."""
    title = _inline(title_el)
    if title and title.lower() not in _NOT_AVAILABLE:
        return strip_title_brackets(title)
    vernacular = _inline(vernacular_el)
    return vernacular if vernacular and vernacular.lower() not in _NOT_AVAILABLE else None


def _abstract(abstract_el: Element | None, parent: Element) -> str | None:
    """Plain text with structured-section labels kept: ``BACKGROUND: ... METHODS: ...``.

    With no ``Abstract``, an English ``OtherAbstract`` (some publisher-supplied records) is used.
    """
    if abstract_el is None:
        abstract_el = next((o for o in parent.iterfind("OtherAbstract")
                            if (o.get("Language") or "eng").lower() == "eng"), None)
    if abstract_el is None:
        return None
    parts: list[str] = []
    for section in abstract_el.iterfind("AbstractText"):
        text = _inline(section)
        label = clean_text(section.get("Label"))
        if label and label.upper() != "UNLABELLED":
            parts.append(f"{label}: {text}" if text else f"{label}:")
        elif text:
            parts.append(text)
    return clean_text(" ".join(parts))


def _authors(author_list: Element | None) -> list[str]:
    if author_list is None:
        return []
    names: list[str | None] = []
    for author in author_list.iterfind("Author"):
        if author.get("ValidYN", "Y") == "N":  # a name PubMed keeps only to record that it was wrong
            continue
        collective = _inline(author.find("CollectiveName"))
        if collective:
            names.append(collective)
            continue
        names.append(format_author(author.findtext("LastName"), author.findtext("ForeName"),
                                   initials=author.findtext("Initials")))
    return [n for n in names if n]


def _pub_date(date_el: Element | None) -> tuple[int | None, str | None]:
    """(year, ISO date at the precision given) of a PubDate (Year/Month/Day or MedlineDate) or ArticleDate."""
    if date_el is None:
        return None, None
    year = parse_year(date_el.findtext("Year"))
    if year is None:
        year = parse_year(date_el.findtext("MedlineDate"))  # "2014 Jan-Apr", "1998 Spring", "2000-2001"
        return year, (str(year) if year else None)
    month = month_number(date_el.findtext("Month"))
    if month is None:  # Season ("Spring") or nothing: the year is all we know
        return year, str(year)
    day = clean_text(date_el.findtext("Day"))
    return year, partial_iso(year, month, int(day) if day and day.isdigit() else None)



def _pages(pagination: Element | None) -> str | None:
    """Full first-last pages when given (``113-125``), else ``MedlinePgn`` (``113-25``)."""
    if pagination is None:
        return None
    start = pagination.findtext("StartPage")
    if clean_text(start):
        return normalise_pages(start, pagination.findtext("EndPage"))
    return normalise_pages(pagination.findtext("MedlinePgn"))


def _doi(elocations: Iterable[Element], *id_lists: Element | None) -> str | None:
    """DOI from a valid ``ELocationID``, else the record's own ``ArticleIdList`` (never its references')."""
    for loc in elocations:
        if (loc.get("EIdType") or "").lower() == "doi" and loc.get("ValidYN", "Y") != "N":
            doi = normalise_doi(loc.text)
            if doi:
                return doi
    for id_list in id_lists:
        doi = _article_id(id_list, "doi", normalise_doi)
        if doi:
            return doi
    return None


def _article_id(id_list: Element | None, id_type: str, normalise: Callable[[object], str | None],
                ) -> str | None:
    if id_list is None:
        return None
    for article_id in id_list.iterfind("ArticleId"):
        if (article_id.get("IdType") or "").lower() == id_type:
            value = normalise(article_id.text)
            if value:
                return value
    return None


def _keywords(citation: Element) -> list[str]:
    """MeSH descriptors, then author/NLM keywords."""
    mesh = (d.text for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName"))
    keywords = (_inline(k) for k in citation.iterfind("KeywordList/Keyword"))
    return dedupe_list([*mesh, *keywords])


def _relations(items: Iterable[Element]) -> list[Relation]:
    """Retractions, errata, updates and expressions of concern, by target PMID and (when cited) DOI."""
    out: list[Relation] = []
    for item in items:
        kind = relation_kind(item.get("RefType"))
        if kind is None:
            continue
        note = clean_text(item.findtext("RefSource"))
        pmid = normalise_pmid(item.findtext("PMID"))
        if pmid:
            out.append(Relation(kind=kind, id_type="pmid", target=pmid, note=note))
        doi = normalise_doi(note) if note and "10." in note else None
        if doi:
            out.append(Relation(kind=kind, id_type="doi", target=doi, note=note))
    return list(dict.fromkeys(out))


def _is_retracted(pub_types: list[str], relations: list[Relation]) -> bool:
    return says_retracted(pub_types, (r.kind for r in relations))


def _raw(element: Element) -> str:
    """The article's own XML, without the whitespace that followed it in the set."""
    tail, element.tail = element.tail, None
    try:
        return tostring(element, encoding="unicode")
    finally:
        element.tail = tail

