"""Web of Science plain-text ("Other file formats > Plain text") tagged export.

Layout: ``FN Clarivate Analytics Web of Science`` / ``VR 1.0`` header, records of two-letter tags
(``PT J`` … ``ER``), values continued on lines indented by three spaces, ``EF`` at the very end.
In ``AU``/``AF``/``C1``/``CR`` every continuation line is another value; elsewhere it continues the
text. A file without ``EF``, or whose last record has no ``ER``, was cut short and is refused.
(The tab-delimited WoS export is a table: :mod:`connectors.files.delimited` reads it.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from livereview.connectors.files.fields import (
    authors_from,
    clean_abstract,
    issns_from,
    looks_retracted,
    split_keywords,
)
from livereview.errors import InputFileError
from livereview.records.dates import iso_date
from livereview.records.model import Record
from livereview.records.normalise import (
    clean_text,
    dedupe_list,
    normalise_doi,
    normalise_language,
    normalise_pages,
    normalise_pmid,
    parse_year,
)

RAW_FORMAT = "wos"

_LINE_RE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
#: tags whose continuation lines are separate values (one author / address / reference per line)
LIST_TAGS = {"AU", "AF", "BA", "BF", "CA", "GP", "BE", "C1", "C3", "CR", "RI", "OI", "EM"}
_HEADER_TAGS = {"FN", "VR"}


@dataclass
class _RawRecord:
    number: int
    start_line: int
    lines: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)

    def first(self, *tags: str) -> str | None:
        for tag in tags:
            values = [v for v in self.fields.get(tag, []) if v.strip()]
            if values:
                return values[0]
        return None

    def all(self, tag: str) -> list[str]:
        return [v for v in self.fields.get(tag, []) if v.strip()]


def parse(text: str, *, path: str = "<string>") -> list[Record]:
    """Every record of a Web of Science tagged export, or :class:`InputFileError`."""
    raws = _split_records(text, path)
    return [_to_record(raw) for raw in raws]


def _split_records(text: str, path: str) -> list[_RawRecord]:
    lines = text.split("\n")
    records: list[_RawRecord] = []
    current: _RawRecord | None = None
    last_tag: str | None = None
    saw_ef = False
    saw_header = False
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if saw_ef:
            raise InputFileError(path, "text after the EF (end of file) line", line=lineno)
        if line.startswith("   ") and current is not None and last_tag:
            current.lines.append(line)
            values = current.fields[last_tag]
            if last_tag in LIST_TAGS:
                values.append(line.strip())
            else:
                values[-1] = f"{values[-1]} {line.strip()}".strip()
            continue
        m = _LINE_RE.match(line.rstrip())
        if not m:
            raise InputFileError(path, "not a Web of Science tagged line (expected a two-letter tag)", line=lineno)
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag in _HEADER_TAGS and current is None:
            saw_header = True
            continue
        if tag == "EF":
            if current is not None:
                raise InputFileError(path, f"truncated: record {current.number} (starting line "
                                           f"{current.start_line}) has no ER line before EF", line=lineno)
            saw_ef = True
            continue
        if current is None:
            if tag == "ER":
                raise InputFileError(path, "ER line outside any record", line=lineno)
            current = _RawRecord(number=len(records) + 1, start_line=lineno)
        current.lines.append(line)
        if tag == "ER":
            records.append(current)
            current, last_tag = None, None
            continue
        current.fields.setdefault(tag, []).append(value)
        last_tag = tag
    if not saw_header and not records and current is None:
        raise InputFileError(path, "not a Web of Science tagged export (no FN header, no records)")
    if current is not None:
        raise InputFileError(
            path, f"truncated: record {current.number} (starting line {current.start_line}) has no ER line")
    if not saw_ef:
        raise InputFileError(path, "truncated: no EF line at the end of the file")
    if not records:
        raise InputFileError(path, "no records in the file (FN header and EF only)")
    return records


def _split(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(p for p in value.split(";") if p.strip())
    return out


def _to_record(raw: _RawRecord) -> Record:
    year = parse_year(raw.first("PY"))
    authors = authors_from(raw.all("AF")) or authors_from(raw.all("AU"))
    authors += [a for a in dedupe_list(raw.all("CA") + raw.all("GP")) if a not in authors]  # groups, kept whole
    pages = normalise_pages(raw.first("BP"), raw.first("EP"))
    record = Record(
        source="",
        source_id=clean_text(raw.first("UT")),
        title=clean_text(raw.first("TI")),
        abstract=clean_abstract(raw.all("AB")),
        authors=authors,
        year=year,
        journal=clean_text(raw.first("SO", "SE")),
        volume=clean_text(raw.first("VL")),
        issue=clean_text(raw.first("IS")),
        pages=pages or clean_text(raw.first("AR")),
        doi=normalise_doi(raw.first("DI")) or normalise_doi(raw.first("D2")),
        pmid=normalise_pmid(raw.first("PM")),
        issn=issns_from(raw.all("SN") + raw.all("EI")),
        language=normalise_language(raw.first("LA")),
        publication_types=dedupe_list(_split(raw.all("DT"))),
        keywords=split_keywords(raw.all("DE") + raw.all("ID")),
        published_date=iso_date(raw.first("PD"), year) if year else None,
        raw="\n".join(raw.lines),
        raw_format=RAW_FORMAT,
    )
    record.is_retracted = looks_retracted(record)
    return record
