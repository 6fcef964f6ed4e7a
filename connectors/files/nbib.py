"""PubMed MEDLINE / ``.nbib`` tagged text (PubMed "Send to > Citation manager", efetch ``rettype=medline``).

Parsed with :mod:`Bio.Medline`, which joins the six-space continuation lines. Bio.Medline accepts
anything (``hello world`` becomes a record with a ``hell`` tag), so this module checks the shape
itself: every record starts with ``PMID-``, and a file cut short is recognised because PubMed writes
``SO`` as the last tag of every record. Comment/correction tags become :class:`Relation` values
(``RIN`` retraction-in, ``EIN`` erratum-in, ``UIN`` updated-by, …).
"""

from __future__ import annotations

import io
import re

from Bio import Medline

from livereview.connectors.files.fields import (
    authors_from,
    clean_abstract,
    issns_from,
    looks_retracted,
    split_keywords,
)
from livereview.errors import InputFileError
from livereview.records.dates import iso_date
from livereview.records.model import Record, Relation
from livereview.records.normalise import (
    clean_text,
    dedupe_list,
    normalise_doi,
    normalise_language,
    normalise_pages,
    normalise_pmcid,
    normalise_pmid,
    parse_year,
    strip_title_brackets,
)

RAW_FORMAT = "nbib"

_TAG_LINE_RE = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ")
_PMID_LINE_RE = re.compile(r"^PMID- *(\S*)")
# comment/correction tags -> relation kinds (records.model.RelationKind); "UIN" = "Update in": a newer version
# of this article exists, i.e. this record was updated by the target
RELATION_TAGS = {
    "RIN": "retraction-in", "ROF": "retraction-of", "EIN": "erratum-in", "EFR": "erratum-for",
    "ECI": "expression-of-concern-in", "ECF": "expression-of-concern-for", "UIN": "updated-by", "UOF": "update-of",
}
_REL_PMID_RE = re.compile(r"PMID:\s*(\d+)")
_CONTINUATION_RE = re.compile(r"[ \t]*\n {6}[ \t]*")
_DOI_ID_RE = re.compile(r"(\S+)\s*\[doi\]")


def parse(text: str, *, path: str = "<string>") -> list[Record]:
    """Every record of a MEDLINE/nbib file, or :class:`InputFileError`."""
    chunks = _split_records(text, path)
    records: list[Record] = []
    for number, (start_line, chunk) in enumerate(chunks, start=1):
        # fold continuation lines first: Bio.Medline keeps them as separate list items for most tags
        # (a RIN's "PMID: 26938111" wrapped onto the next line would lose its number)
        parsed = list(Medline.parse(io.StringIO(_CONTINUATION_RE.sub(" ", chunk) + "\n")))
        if len(parsed) != 1 or not parsed[0].get("PMID"):
            raise InputFileError(path, f"record {number} is not a MEDLINE record (no PMID)", line=start_line)
        records.append(_to_record(parsed[0], chunk))
    return records


def _split_records(text: str, path: str) -> list[tuple[int, str]]:
    """The text of each record (from its PMID line to the blank line), with its first line number."""
    lines = text.split("\n")
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    for lineno, line in enumerate(lines, start=1):
        if _PMID_LINE_RE.match(line):
            current = [line]
            chunks.append((lineno, current))
        elif not line.strip():
            current = None
        elif current is not None:
            current.append(line)
        elif _TAG_LINE_RE.match(line) or line.startswith("      "):
            raise InputFileError(path, "MEDLINE field outside a record (a record without its PMID line)",
                                 line=lineno)
        else:
            raise InputFileError(path, "not a MEDLINE/nbib file: expected a 'PMID- ' line", line=lineno)
    if not chunks:
        raise InputFileError(path, "no MEDLINE records found (no 'PMID- ' line)")
    _check_complete(chunks, path)
    return [(start, "\n".join(body)) for start, body in chunks]


def _last_tag(body: list[str]) -> str | None:
    for line in reversed(body):
        m = _TAG_LINE_RE.match(line)
        if m:
            return m.group(1).strip()
    return None


def _check_complete(chunks: list[tuple[int, list[str]]], path: str) -> None:
    """PubMed ends every record with ``SO``; a last record without it (or with nothing but its PMID) was cut off."""
    number = len(chunks)
    start, body = chunks[-1]
    tags = [m.group(1).strip() for m in (_TAG_LINE_RE.match(line) for line in body) if m]
    if len(tags) <= 1:
        raise InputFileError(path, f"truncated: record {number} (starting line {start}) has a PMID and nothing else")
    others_end_with_so = all(_last_tag(b) == "SO" for _, b in chunks[:-1])
    if "SO" in tags or not others_end_with_so:
        return
    if number > 1 or len(tags) < 5:
        raise InputFileError(path, f"truncated: record {number} (starting line {start}) ends before its SO line")


def _first(rec: dict, tag: str) -> str | None:
    value = rec.get(tag)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _list(rec: dict, tag: str) -> list[str]:
    value = rec.get(tag)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _doi(rec: dict) -> str | None:
    for tag in ("LID", "AID"):  # Bio.Medline joins repeated LID lines: "10.1/x [doi] e123"
        for value in _list(rec, tag):
            for m in _DOI_ID_RE.finditer(value):
                doi = normalise_doi(m.group(1))
                if doi:
                    return doi
    return None


def _relations(rec: dict) -> list[Relation]:
    relations: list[Relation] = []
    for tag, kind in RELATION_TAGS.items():
        for value in _list(rec, tag):
            note = clean_text(value)
            m = _REL_PMID_RE.search(value)
            if m:
                relations.append(Relation(kind=kind, id_type="pmid", target=m.group(1), note=note))
                continue
            doi = normalise_doi(value)
            if doi:
                relations.append(Relation(kind=kind, id_type="doi", target=doi, note=note))
    return relations


def _to_record(rec: dict, chunk: str) -> Record:
    year = parse_year(_first(rec, "DP"))
    authors = authors_from(_list(rec, "FAU")) or authors_from(_list(rec, "AU"))
    authors += [a for a in dedupe_list(_list(rec, "CN")) if a not in authors]  # collective authors, kept whole
    title = strip_title_brackets(clean_text(_first(rec, "TI"))) or clean_text(_first(rec, "BTI"))
    relations = _relations(rec)
    record = Record(
        source="",
        source_id=normalise_pmid(_first(rec, "PMID")),
        title=title,
        abstract=clean_abstract(_list(rec, "AB")),
        authors=authors,
        year=year,
        journal=clean_text(_first(rec, "JT")) or clean_text(_first(rec, "TA")),
        volume=clean_text(_first(rec, "VI")),
        issue=clean_text(_first(rec, "IP")),
        pages=normalise_pages(_first(rec, "PG")),
        doi=_doi(rec),
        pmid=normalise_pmid(_first(rec, "PMID")),
        pmcid=normalise_pmcid(_first(rec, "PMC")),
        issn=issns_from(_list(rec, "IS")),
        language=normalise_language(_first(rec, "LA")),
        publication_types=dedupe_list(_list(rec, "PT")),
        keywords=split_keywords(_list(rec, "OT") + _list(rec, "MH"), separators=""),
        published_date=iso_date(_first(rec, "DP"), year),
        relations=relations,
        raw=chunk,
        raw_format=RAW_FORMAT,
    )
    record.is_retracted = looks_retracted(record) or any(r.kind == "retraction-in" for r in relations)
    return record
