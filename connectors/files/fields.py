"""Field-level parsing shared by the reference-file readers.

Every export format spells the same facts differently: author lists joined by ``and``, ``;`` or
nothing at all (SpringerLink), ISSNs with and without hyphens next to ISBNs, dates as
``2019/10//undefined`` or ``JUN 19``, publication types as ``JOUR`` or ``journalArticle``. The
readers turn those spellings into :class:`records.model.Record` values through these helpers, on
top of the project-wide normalisers in :mod:`records.normalise`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from livereview.records.model import Record
from livereview.records.normalise import (
    clean_text,
    dedupe_list,
    normalise_doi,
    normalise_issns,
    normalise_pmcid,
    normalise_pmid,
    split_name,
)
from livereview.records.vocabulary import is_retracted_type

# ---------------------------------------------------------------- authors

_NAME_TITLES_RE = re.compile(r"^(?:(?:Prof|Dr|Professor|Mr|Mrs|Ms|Sir)\.?\s+)+", re.IGNORECASE)
_SCOPUS_ID_RE = re.compile(r"\s*\(\d{5,}\)\s*$")
_BIBTEX_AND_RE = re.compile(r"\s+and\s+", re.IGNORECASE)
# "Smith JA", "Wilson L.N.", "Dos Santos H.B." : a family name followed by initials (PubMed / Scopus CSV lists)
_FAMILY_INITIALS_RE = re.compile(r"^\S[^,;]*\s(?:[A-Z]\.?-?){1,4}$")
_GLUED_PREFIXES = {"mc", "mac", "de", "di", "da", "du", "le", "la", "van", "von", "der", "den", "fitz", "o"}
_NULL_NAMES = {"null", "none", "nan", "n/a", "anonymous", "[anonymous]", "et al", "et al."}


def clean_author(name: object) -> str | None:
    """One author string from a file as ``Family, Given`` (titles, Scopus ids and ``null`` given names dropped)."""
    text = clean_text(name)
    if not text:
        return None
    if text.endswith(",") and text.count(",") == 1 and len(text) > 2:
        return clean_text(text[:-1])  # "ASPIRE Investigators,": a corporate author, kept whole (EndNote's convention)
    text = _SCOPUS_ID_RE.sub("", text)
    text = _NAME_TITLES_RE.sub("", text).strip(" ;,")
    if not text or text.lower() in _NULL_NAMES:
        return None
    if "," in text:
        family, _, given = text.partition(",")
        if given.strip().lower() in _NULL_NAMES:  # Mendeley writes "van den Hoven, null"
            return clean_text(family)
    return split_name(text)


def authors_from(values: Iterable[object]) -> list[str]:
    """Each value is one author: cleaned, empty and duplicate entries dropped (order kept)."""
    out: list[str] = []
    for value in values:
        name = clean_author(value)
        if name and name not in out:
            out.append(name)
    return out


def split_author_list(value: object) -> list[str]:
    """A whole author list in one string -> ``["Family, Given", ...]``.

    Recognises BibTeX ``A and B`` (bib-dedupe, Rayyan), ``A; B`` (Scopus, Zotero, IEEE, Covidence)
    and PubMed-style ``Smith J, Doe A``; anything else is one author.
    """
    text = clean_text(value)
    if not text:
        return []
    if _BIBTEX_AND_RE.search(text) and ";" not in text:
        parts = split_bibtex_names(text)
    elif ";" in text:
        parts = text.split(";")
    elif "," in text:
        chunks = [c.strip() for c in text.split(",")]
        parts = chunks if len(chunks) > 1 and all(_FAMILY_INITIALS_RE.match(c) for c in chunks) else [text]
    else:
        parts = [text]
    return authors_from(parts)


def split_bibtex_names(text: str) -> list[str]:
    """Split ``A and {B and C} and D`` on ``and`` outside braces (BibTeX's rule)."""
    parts: list[str] = []
    depth, start, i = 0, 0, 0
    lowered = text.lower()
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and ch.isspace():
            m = re.match(r"\s+and\s+", lowered[i:])
            if m:
                parts.append(text[start:i])
                i += m.end()
                start = i
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def split_glued_names(value: object) -> list[str]:
    """SpringerLink CSV: ``"Araz R. AlievNigar T. Ismayilova"`` -> two authors; one string if not splittable.

    A lower-case letter directly followed by a capital that starts a word (``vN`` in ``AlievNigar``,
    ``aH.`` in ``NavyaH. A.``) is where one name ends and the next begins; name prefixes such as
    ``Mc``, ``De``, ``Van`` (``McDonald``, ``DeVries``) are not split.
    """
    text = clean_text(value)
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for i in range(1, len(text) - 1):
        if not (text[i - 1].islower() and text[i].isupper() and (text[i + 1].islower() or text[i + 1] == ".")):
            continue
        word = text[text.rfind(" ", 0, i) + 1 : i]
        if word.lower().rstrip(".'") in _GLUED_PREFIXES or len(word) < 2:
            continue
        pieces.append(text[start:i])
        start = i
    pieces.append(text[start:])
    return authors_from(pieces)


# ---------------------------------------------------------------- identifiers

_PUBMED_URL_RE = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/|[?&]list_uids=)(\d{1,9})\b")
_PMC_URL_RE = re.compile(r"/pmc/articles/(PMC\d+)", re.IGNORECASE)
_PMID_LABEL_RE = re.compile(r"\bPMID\s*[:=]?\s*(\d{1,9})\b", re.IGNORECASE)


#: the readers' name for the one ISSN rule (records.normalise.normalise_issns), which the API parsers share
issns_from = normalise_issns


def first_doi(*values: object) -> str | None:
    """The first DOI found in the values, in order (a DO tag before a DOI buried in a URL or a note)."""
    for value in values:
        if value is None:
            continue
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            doi = normalise_doi(item)
            if doi:
                return doi
    return None


_OPENURL_DOI_RE = re.compile(r"(?:[?&](?:id|rft_id)=(?:doi:|info:doi/))([^&\s]+)", re.IGNORECASE)


def doi_from_openurl(urls: Iterable[object]) -> str | None:
    """The DOI inside an OpenURL/SFX link (``...&id=doi:10.1002%2Fcncr.20369&...``), as Embase and ProQuest write."""
    for url in urls:
        m = _OPENURL_DOI_RE.search(str(url or ""))
        if m:
            doi = normalise_doi(unquote(m.group(1)))
            if doi:
                return doi
    return None


def pmid_from_urls(urls: Iterable[object]) -> str | None:
    for url in urls:
        m = _PUBMED_URL_RE.search(str(url or ""))
        if m:
            return normalise_pmid(m.group(1))
    return None


def pmcid_from_urls(urls: Iterable[object]) -> str | None:
    for url in urls:
        m = _PMC_URL_RE.search(str(url or ""))
        if m:
            return normalise_pmcid(m.group(1))
    return None


def labelled_pmid(values: Iterable[object]) -> str | None:
    """A PMID written with its label (``PMID: 32123456``), as EBSCO and Embase put it in notes and C2."""
    for value in values:
        text = str(value or "")
        if "pmid" not in text.lower():  # no label: skip the case-blind regex over long notes
            continue
        m = _PMID_LABEL_RE.search(text)
        if m:
            return normalise_pmid(m.group(1))
    return None


# ---------------------------------------------------------------- text fields

_ABSTRACT_MARKERS_RE = re.compile(
    r"\s*\[(?:Author Abstract|ABSTRACT FROM AUTHOR|ABSTRACT FROM PUBLISHER|Publisher Abstract|"
    r"Abstract from author|ABSTRACT FROM ORIGINAL DOCUMENT)\]\s*",
    re.IGNORECASE,
)
_KEYWORDS_TAIL_RE = re.compile(r"^(?:KEY\s*WORDS?|Keywords?)\s*:", re.IGNORECASE)
_COPYRIGHT_BLURB_RE = re.compile(r"^Copyright of .{1,300}? is the property of ", re.IGNORECASE)


def clean_abstract(values: Iterable[object]) -> str | None:
    """Abstract text without database boilerplate.

    ProQuest and EBSCO append ``[Author Abstract]`` / ``[ABSTRACT FROM AUTHOR]`` (ProQuest may follow it
    with ``KEY WORDS: ...``), and EBSCO adds a second AB line with its copyright notice: both dropped.
    """
    kept: list[str] = []
    for value in values:
        text = clean_text(value)
        if not text or _COPYRIGHT_BLURB_RE.match(text):
            continue
        parts = _ABSTRACT_MARKERS_RE.split(text)
        if len(parts) > 1:
            tail = " ".join(p for p in parts[1:] if p)
            text = parts[0] if not tail or _KEYWORDS_TAIL_RE.match(tail) else f"{parts[0]} {tail}"
        if text and text not in kept:
            kept.append(text)
    return clean_text(" ".join(kept))


def split_keywords(values: Iterable[object], *, separators: str = ";") -> list[str]:
    """Keywords from one or many values, each possibly a ``;``-joined list; MeSH ``*`` marks dropped."""
    out: list[object] = []
    pattern = "[" + re.escape(separators) + "\n]"
    for value in values:
        if value is None:
            continue
        for kw in re.split(pattern, str(value)):
            kw = kw.strip().lstrip("*").strip()
            if kw:
                out.append(kw)
    return dedupe_list(out)


_RETRACTED_TITLE_RE = re.compile(r"^(?:RETRACTED(?: ARTICLE)?|WITHDRAWN)\s*[:.]")


def looks_retracted(record: Record) -> bool:
    """Retracted per its publication type (PubMed, WoS) or the all-caps ``RETRACTED:`` title prefix publishers add."""
    if is_retracted_type(record.publication_types):
        return True
    return bool(record.title and _RETRACTED_TITLE_RE.match(record.title))


# ---------------------------------------------------------------- publication types

RIS_TYPES = {
    "JOUR": "Journal Article", "JFULL": "Journal Article", "EJOUR": "Journal Article", "MGZN": "Magazine Article",
    "NEWS": "Newspaper Article", "ABST": "Abstract", "BOOK": "Book", "EBOOK": "Book", "EDBOOK": "Book",
    "CHAP": "Book Chapter", "ECHAP": "Book Chapter", "CONF": "Conference Paper", "CPAPER": "Conference Paper",
    "THES": "Thesis", "RPRT": "Report", "GEN": "Generic", "ELEC": "Web Page", "WEB": "Web Page",
    "DATA": "Dataset", "PAT": "Patent", "SER": "Serial", "UNPB": "Unpublished", "INPR": "In Press",
    "STAND": "Standard", "COMP": "Computer Program", "CASE": "Case", "STAT": "Statute", "BILL": "Bill",
}

BIBTEX_TYPES = {
    "article": "Journal Article", "inproceedings": "Conference Paper", "conference": "Conference Paper",
    "proceedings": "Conference Proceedings", "incollection": "Book Chapter", "inbook": "Book Chapter",
    "book": "Book", "phdthesis": "Thesis", "mastersthesis": "Thesis", "thesis": "Thesis",
    "techreport": "Report", "report": "Report", "misc": "Misc", "unpublished": "Unpublished",
    "online": "Web Page", "manual": "Manual",
}

ZOTERO_TYPES = {
    "journalarticle": "Journal Article", "conferencepaper": "Conference Paper", "booksection": "Book Chapter",
    "book": "Book", "thesis": "Thesis", "report": "Report", "preprint": "Preprint", "webpage": "Web Page",
    "magazinearticle": "Magazine Article", "newspaperarticle": "Newspaper Article", "document": "Document",
    "manuscript": "Manuscript", "dataset": "Dataset", "patent": "Patent",
}


def publication_type(value: object) -> str | None:
    """A type code mapped to one spelling (``JOUR``, ``article``, ``journalArticle`` -> ``Journal Article``).

    Codes match as the tools write them (RIS upper case, BibTeX lower case, Zotero camelCase): a
    database's own wording such as Scopus's or Web of Science's ``Article`` is kept as given.
    """
    text = clean_text(value)
    if not text:
        return None
    if text in RIS_TYPES:
        return RIS_TYPES[text]
    if text in BIBTEX_TYPES:
        return BIBTEX_TYPES[text]
    if text[:1].islower() and text.lower() in ZOTERO_TYPES:
        return ZOTERO_TYPES[text.lower()]
    return text


