"""RIS, as the databases and reference managers really write it.

A tolerant reader of our own rather than rispy: real exports carry things a strict reader rejects
or silently mangles — Ovid's record numbers (``1.``, ``<1>``) and link blurbs between records,
EndNote's multi-line ``KW``/``AD``/``N1`` (each continuation line is another value), Mendeley's
``ER  -`` with no blank line before the next ``TY``, ProQuest's ``AN  - 2214991469; 51887``, EBSCO's
DOI in ``L3`` and its copyright paragraph as a second ``AB``, Ovid's ``SP - No`` / ``EP - Specified``,
Zotero's ``DA  - 2019/10//undefined``. Whatever sits outside a ``TY`` … ``ER`` block is ignored;
a record without its ``ER`` line means the file was cut short and the whole file is refused.
(rispy, tried on the fixtures, reads the tags alike but silently drops a last record cut short and reads a
file of one-space ``TY - JOUR`` tags as no records at all; its WoS parser returns nothing for a WoS file cut
short. A reader here must refuse such files, so it is not a dependency.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from livereview.connectors.files.decoding import split_lines
from livereview.connectors.files.fields import (
    authors_from,
    clean_abstract,
    doi_from_openurl,
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
    normalise_openalex_id,
    normalise_pages,
    normalise_pmcid,
    normalise_pmid,
    parse_year,
)

RAW_FORMAT = "ris"

# "TY  - JOUR": two spaces, a dash, then a space and the value (or nothing: "ER  -")
_TAG_RE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
# a few writers use one space ("TY - JOUR"); accepted when the file's first TY line does
_LOOSE_TAG_RE = re.compile(r"^([A-Z][A-Z0-9]) -(?: (.*))?$")
_TY_RE = re.compile(r"^TY {1,2}- ?\S")

_PUBMED_DBS = ("pubmed", "medline", "nlm")
_EBSCO_MEDLINE_DBS = {"mdc", "cmedm", "mnh", "mdx"}
_NO_PAGES_RE = re.compile(r"^no\b.*\bspecified$", re.IGNORECASE)
_CLASSIFICATION_RE = re.compile(r"\[\d{4}\]\s*$")  # Ovid PsycINFO puts "Cognitive Therapy [3311]" in M3
_ACCESSION_NOTE_RE = re.compile(r"^Accession Number:\s*([^\s;]+)", re.IGNORECASE)
_SCOPUS_EID_RE = re.compile(r"[?&]eid=(2-s2\.0-\d+)")
_EMBASE_ID_RE = re.compile(r"^L\d{6,}$")


@dataclass
class _RawRecord:
    number: int
    start_line: int
    lines: list[str] = field(default_factory=list)
    fields: list[list[str]] = field(default_factory=list)  # [tag, value]; continuation lines appended with "\n"
    _by_tag: dict[str, list[tuple[int, str]]] | None = None

    def _index(self) -> dict[str, list[tuple[int, str]]]:
        """Tag -> its non-blank values with their positions, made once: a record is asked for some forty
        tags, and scanning every field for each was a fifth of reading a large export."""
        by_tag: dict[str, list[tuple[int, str]]] = {}
        for pos, (tag, value) in enumerate(self.fields):
            if value and not value.isspace():
                by_tag.setdefault(tag, []).append((pos, value))
        self._by_tag = by_tag
        return by_tag

    def values(self, *tags: str) -> list[str]:
        """The non-blank values of ``tags``, in the order the record gives them."""
        by_tag = self._by_tag if self._by_tag is not None else self._index()
        if len(tags) == 1:
            return [v for _, v in by_tag.get(tags[0], ())]
        found = [hits for tag in dict.fromkeys(tags) if (hits := by_tag.get(tag))]
        if not found:
            return []
        if len(found) == 1:
            return [v for _, v in found[0]]
        return [v for _, v in sorted(hit for hits in found for hit in hits)]

    def first(self, *tags: str) -> str | None:
        by_tag = self._by_tag if self._by_tag is not None else self._index()
        for tag in tags:
            hits = by_tag.get(tag)
            if hits:
                return hits[0][1]
        return None


def parse(text: str, *, path: str = "<string>") -> list[Record]:
    """Every record of a RIS export, or :class:`InputFileError` (never a partial list)."""
    return list(iter_parse(text, path=path))


def iter_parse(text: str | Iterable[str], *, path: str = "<string>") -> Iterator[Record]:
    """:func:`parse` one record at a time, as the text is read (a large export never sits in memory as records);
    ``text`` may be its lines, without their line ends, as they are decoded.

    A file cut short or without records raises :class:`InputFileError` only when the reading reaches that
    point: consume it inside one transaction, so what was read before is rolled back.
    """
    found = False
    for raw in _iter_records(text, path):
        found = True
        yield _to_record(raw)
    if not found:
        raise InputFileError(path, "no RIS records found (no 'TY  - ' line)")


def _split_records(text: str, path: str) -> list[_RawRecord]:
    return list(_iter_records(text, path))


def _iter_records(text: str | Iterable[str], path: str) -> Iterator[_RawRecord]:
    lines = iter(split_lines(text) if isinstance(text, str) else text)
    before: list[str] = []  # the lines before the first TY line, which says how the file writes its tags
    first_ty = None
    for line in lines:
        before.append(line)
        if _TY_RE.match(line):
            first_ty = line
            break
    loose = first_ty is not None and not first_ty.startswith("TY  -")
    tag_re = _LOOSE_TAG_RE if loose else _TAG_RE

    sep = " -" if loose else "  -"
    heads = frozenset(a + b + sep for a in _TAG_FIRST for b in _TAG_SECOND)  # "TY  -", "A1  -", …
    head_len = len(sep) + 2
    value_at = head_len + 1  # "TY  - JOUR": the value after the separator and one space
    count = 0
    current: _RawRecord | None = None
    for lineno, line in enumerate(chain(before, lines), start=1):
        # a tag line is what tag_re matches once trailing blanks are gone; the regex is left for the odd
        # line ("AU  -Smith" is none), every line of a large export passing here
        tag = None
        if line[:head_len] in heads:
            rest = line[head_len:]
            if not rest or rest[0] == " " or rest.isspace() or tag_re.match(line.rstrip()):
                tag = line[:2]
        if tag is not None:
            value = line[value_at:].strip()
            if tag == "TY":
                if current is not None:
                    raise InputFileError(
                        path, f"record {current.number} (starting line {current.start_line}) has no ER line "
                        f"before the next TY (line {lineno})", line=lineno)
                current = _RawRecord(number=count + 1, start_line=lineno, lines=[line])
                current.fields.append(["TY", value])
                continue
            if current is None:
                if tag == "ER":
                    raise InputFileError(path, "ER line outside any record (a record lost its TY line?)", line=lineno)
                continue  # Ovid writes "NL  - ..." and link blurbs between records
            current.lines.append(line)
            if tag == "ER":
                count += 1
                yield current
                current = None
            else:
                current.fields.append([tag, value])
            continue
        if current is None:
            continue  # record numbers ("1.", "<1>"), blank lines, banners
        current.lines.append(line)
        if line.strip() and current.fields:
            current.fields[-1][1] += "\n" + line.strip()
    if current is not None:
        raise InputFileError(
            path, f"truncated: record {current.number} (starting line {current.start_line}) has no ER line")


_TAG_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TAG_SECOND = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _to_record(raw: _RawRecord) -> Record:
    ty = raw.first("TY") or ""
    title = clean_text(raw.first("TI", "T1", "CT", "BT", "ST"))
    year = next((y for y in (parse_year(raw.first(tag)) for tag in ("PY", "Y1", "DA")) if y), None)

    dbs = [v.lower() for v in raw.values("DB", "DP")]
    record = Record(
        source="",
        source_id=_source_id(raw),
        title=title,
        abstract=clean_abstract(raw.values("AB")) or clean_abstract(raw.values("N2")),
        authors=authors_from(_split_semicolons(raw.values("AU", "A1"))),
        year=year,
        journal=clean_text(raw.first("JF", "T2", "JO", "JA", "J2", "J1", "T3")),
        volume=clean_text(raw.first("VL")),
        issue=_issue(raw.first("IS")),
        pages=_pages(raw.first("SP"), raw.first("EP")) or clean_text(raw.first("C7")),  # C7: article number
        doi=first_doi(
            raw.values("DO"), raw.values("L3"), raw.values("M3"), raw.values("UR"), raw.values("L2"),
            raw.values("L1"), raw.values("L4"), [v for v in raw.values("N1") if not v.startswith("References")],
        ) or doi_from_openurl(raw.values("LK", "L2", "UR")),
        pmid=_pmid(raw, dbs),
        pmcid=_pmcid(raw),
        openalex_id=_openalex(raw),
        issn=issns_from(raw.values("SN")),
        language=normalise_language(raw.first("LA", "LG")),
        publication_types=_types(ty, raw),
        keywords=split_keywords(raw.values("KW")),
        published_date=_published_date(raw, year),
        url=_url(raw.first("UR")),
        raw="\n".join(raw.lines),
        raw_format=RAW_FORMAT,
    )
    record.is_retracted = looks_retracted(record)
    return record


def _split_semicolons(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(v for v in re.split(r"[;\n]", value) if v.strip())
    return out


def _source_id(raw: _RawRecord) -> str | None:
    for value in (raw.first("ID"), raw.first("AN")):
        if value:
            token = clean_text(value.split(";")[0].split("\n")[0])
            if token:
                return token
    u2 = clean_text(raw.first("U2"))
    if u2 and _EMBASE_ID_RE.match(u2):  # Embase's own accession number
        return u2
    for note in raw.values("N1"):
        m = _ACCESSION_NOTE_RE.match(note)
        if m:  # EBSCO: "N1  - Accession Number: 176404503; ..."
            return m.group(1).rstrip(".,")
    for url in raw.values("UR"):
        m = _SCOPUS_EID_RE.search(url)
        if m:  # Scopus RIS carries its EID only inside the record URL
            return m.group(1)
    return None


def _pmid(raw: _RawRecord, dbs: list[str]) -> str | None:
    an = clean_text(raw.first("AN"))
    if an and an.isdigit() and any(
            any(key in db for key in _PUBMED_DBS) or db.strip() in _EBSCO_MEDLINE_DBS for db in dbs):
        return normalise_pmid(an)  # PubMed via EndNote, Ovid MEDLINE, EBSCO MEDLINE: AN is the PMID
    c5 = clean_text(raw.first("C5"))
    if c5 and c5.isdigit() and any("embase" in db for db in dbs):
        return normalise_pmid(c5)  # Embase writes the MEDLINE PMID in C5
    c2 = clean_text(raw.first("C2"))
    if c2 and c2.isdigit() and any("scopus" in db for db in dbs):
        return normalise_pmid(c2)  # Scopus writes the PubMed ID in C2 (EndNote uses C2 for the PMCID)
    pmid = labelled_pmid(raw.values("AN", "C2", "C5", "N1", "M2"))
    return pmid or pmid_from_urls(raw.values("UR", "L2"))


def _pmcid(raw: _RawRecord) -> str | None:
    for value in raw.values("C2", "C6", "M2"):
        if value.strip().upper().startswith("PMC"):
            return normalise_pmcid(value)
    return pmcid_from_urls(raw.values("UR", "L2"))


_OPENALEX_LABEL_RE = re.compile(r"^OpenAlex\s*:\s*(?:https?://openalex\.org/)?(W\d+)\s*$", re.IGNORECASE)
_OPENALEX_URL_RE = re.compile(r"openalex\.org/(?:works/)?(W\d+)\b", re.IGNORECASE)


def _openalex(raw: _RawRecord) -> str | None:
    """An OpenAlex work id written as a labelled note (``N1  - OpenAlex: W123``, as we export) or as its URL."""
    for note in raw.values("N1"):
        m = _OPENALEX_LABEL_RE.match(note.strip())
        if m:
            return normalise_openalex_id(m.group(1))
    for url in raw.values("UR", "L2"):
        m = _OPENALEX_URL_RE.search(url)
        if m:
            return normalise_openalex_id(m.group(1))
    return None


def _issue(value: str | None) -> str | None:
    issue = clean_text(value)
    # Ovid via Zotero sometimes leaks a cited reference into IS
    return issue if issue and len(issue) <= 30 else None


def _pages(sp: str | None, ep: str | None) -> str | None:
    first, last = clean_text(sp), clean_text(ep)
    joined = " ".join(p for p in (first, last) if p)
    if not joined or _NO_PAGES_RE.match(joined):  # Ovid: "SP - No" / "EP - Specified"
        return None
    if first and last and re.search(r"\d\s*[-\u2010-\u2015]", first):
        return normalise_pages(first)  # EndNote puts the whole range in SP
    return normalise_pages(first or last, last if first else None)


def _types(ty: str, raw: _RawRecord) -> list[str]:
    types: list[object] = [publication_type(ty)]
    for value in raw.values("M3", "PT"):
        text = clean_text(value)
        if not text or _CLASSIFICATION_RE.search(text) or first_doi(text) or "://" in text:
            continue
        types.append(publication_type(text))
    return dedupe_list(types)


def _published_date(raw: _RawRecord, year: int | None) -> str | None:
    best: str | None = None
    for tag in ("DA", "Y1", "PY"):
        value = raw.first(tag)
        if not value:
            continue
        iso = iso_date(value, year)
        if iso and (year is None or iso.startswith(str(year))) and (best is None or len(iso) > len(best)):
            best = iso
    return best or (str(year) if year else None)


def _url(value: str | None) -> str | None:
    text = clean_text(value)
    return text.split()[0] if text else None
