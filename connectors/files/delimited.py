"""CSV and tab-delimited exports, mapped by their header names (case-insensitive).

One reader for every table a review team meets: the bib-dedupe benchmark files (``ID``, ``title``,
``author`` as ``A and B``, ``ENTRYTYPE`` …), Scopus, IEEE Xplore, SpringerLink, Zotero, Rayyan,
Covidence, PubMed's CSV, and Web of Science tab-delimited (two-letter tags as headers: ``PT AU … UT``).
Unknown columns are ignored; a table without a recognisable title column is refused, as is a file
cut off inside a quoted field. The comma, tab or semicolon delimiter is read from the header line.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator

from livereview.connectors.files.fields import (
    authors_from,
    clean_abstract,
    doi_from_openurl,
    first_doi,
    issns_from,
    looks_retracted,
    pmcid_from_urls,
    pmid_from_urls,
    publication_type,
    split_author_list,
    split_glued_names,
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

RAW_FORMAT = "csv"
log = logging.getLogger(__name__)

#: canonical field -> accepted header names (lower case, ``_`` read as a space), best first
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "document title", "item title", "article title", "primary title", "paper title"),
    "authors_full": ("author full names",),  # Scopus / new WoS: "Wilson, Lauren N. (58975547800); ..."
    "authors": ("authors", "author", "author(s)", "author names", "creators"),
    "year": ("year", "publication year", "published year", "pubyear", "pub year", "year published"),
    "date": ("date", "publication date", "date published"),
    "month": ("month", "published month", "publication month"),
    "day": ("day",),
    "journal": ("journal", "source title", "publication title", "journal/book", "journal title", "journal name",
                "secondary title", "container title", "booktitle", "book title", "book series title"),
    # Cochrane CENTRAL: the journal; Embase: a whole citation "Cancer (2004) 102:4 (253-258). Date of ..."
    "source": ("source",),
    "volume": ("volume", "journal volume", "vol"),
    "issue": ("issue", "number", "journal issue", "issue number"),
    "pages": ("pages", "page range", "pagination"),
    "page_start": ("page start", "start page", "first page", "spage"),
    "page_end": ("page end", "end page", "last page", "epage"),
    "article_number": ("art. no.", "article number"),
    "doi": ("doi", "item doi"),
    "abstract": ("abstract", "abstract note"),
    "pmid": ("pubmed id", "pmid", "pubmed"),
    "pmcid": ("pmcid", "pmc id"),
    "openalex": ("openalex id", "openalex"),
    "issn": ("issn", "eissn", "e-issn", "print issn", "electronic issn"),
    "language": ("language", "language of original document", "lang"),
    "types": ("document type", "item type", "entrytype", "content type", "publication type", "publication types",
              "reference type", "document identifier"),
    "keywords": ("keywords", "author keywords", "index keywords", "keywords plus", "manual tags",
                 "automatic tags"),
    "source_id": ("id", "key", "covidence #", "eid", "ut (unique wos id)", "central id", "record id", "refid",
                  "ref id", "accession number", "pmid"),
    "url": ("url", "link", "urls", "article url", "pdf link"),
    "openurl": ("open url link", "openurl"),
}

#: Web of Science tab-delimited: the header row is the two-letter field tags
WOS_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("ti",), "authors_full": ("af",), "authors": ("au",), "year": ("py",), "date": ("pd",),
    "journal": ("so", "se"), "volume": ("vl",), "issue": ("is",), "page_start": ("bp",), "page_end": ("ep",),
    "article_number": ("ar",), "doi": ("di", "d2"), "abstract": ("ab",), "pmid": ("pm",), "issn": ("sn", "ei"),
    "language": ("la",), "types": ("dt",), "keywords": ("de", "id"), "source_id": ("ut",),
}
_WOS_REQUIRED = {"pt", "au", "ti", "so", "ut"}
#: fields that collect every matching column (the rest take the first non-empty one)
_MULTI = {"keywords", "issn", "types"}
_EMBASE_SOURCE_RE = re.compile(
    r"^(?P<journal>.+?) \((?P<year>1[5-9]\d\d|20\d\d)\)(?: (?P<volume>[^:\s(]+)(?::(?P<issue>[^\s(]+))?)?"
    r"(?: \((?P<pages>[^)]*)\))?\.?(?: Date of Publication: (?P<date>.+?))?\.?$")
_FORMULA_START = ("=", "+", "-", "@")  # what connectors.files.write neutralises with a leading "'"
_PLACEHOLDERS = {"UNKNOWN", "NULL", "N/A", "#N/A", "NAN", "NONE"}  # CoLRev writes UNKNOWN; pandas nan


def parse(text: str, *, path: str = "<string>") -> list[Record]:
    """Every row of a CSV/TSV export as a record, or :class:`InputFileError`."""
    return list(iter_parse(text, path=path))


def iter_parse(text: str, *, path: str = "<string>") -> Iterator[Record]:
    """:func:`parse` as the rows are read: a record is handed out once the row after it is read (a file cut off
    mid-row raises before its last, partial row becomes a record), so a large export can be matched while it is
    still being parsed. A damaged row raises after the records before it were handed out."""
    header_line, header_lineno = _header_line(text)
    if header_line is None:
        raise InputFileError(path, "empty table (no header line)")
    delimiter = sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    names = [_header_key(h) for h in header]
    wos = set(names) >= _WOS_REQUIRED
    mapping = _column_map(names, WOS_COLUMNS if wos else COLUMNS)
    if "title" not in mapping:
        shown = ", ".join(h.strip() for h in header[:12] if h.strip())
        raise InputFileError(path, f"no title column found (columns: {shown})", line=header_lineno)
    springer = {"item title", "content type"} <= set(names)

    width = len(header)
    group_end = _numbered_group_end(names)
    longer = count = 0
    held: tuple[int, list[str], str] | None = None  # the row read last: a record once the next row is read
    short_before_last = False                       # a row before the last had fewer fields than the header
    for number, current in enumerate(
            (r for r in _read_rows(text, delimiter, path) if r[0] > header_lineno and any(c.strip() for c in r[1])),
            start=1):
        if held is not None:
            short_before_last = short_before_last or len(held[1]) < width
            yield _row_record(held, header_line, mapping, springer)
        lineno, row, raw_text = current
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            fields = len(row)
            row = _fit_long_row(row, width, group_end)
            if not _aligned(row, mapping):
                raise InputFileError(path, f"row {number} has {fields} fields but the header has {width} "
                                           "(an unquoted delimiter inside a value?)", line=lineno)
            longer += 1
        held, count = (lineno, row, raw_text), number
    if held is None:
        raise InputFileError(path, "no records: the table has a header but no rows")
    if not text.endswith("\n") and len(held[1]) < width and not short_before_last:
        raise InputFileError(path, f"truncated: the last row has {len(held[1])} of {width} fields", line=held[0])
    yield _row_record(held, header_line, mapping, springer)
    if longer:
        where = f"after the header's last {header[group_end].strip()!r} column" if group_end is not None \
            else "past the header's last column"
        log.warning("%s: %d of %d rows had more fields than the header (%s); the extra fields were read and "
                    "dropped, the other columns kept in place", path, longer, count, where)


def _row_record(held: tuple[int, list[str], str], header_line: str, mapping: dict[str, list[int]],
                springer: bool) -> Record:
    _, row, raw_text = held
    record = _to_record(row, mapping, springer=springer)
    record.raw = f"{header_line}\n{raw_text}"
    return record


#: a numbered column: "Funding Text 1", "Funding Text 2" … (Scopus writes as many as the first rows need)
_NUMBERED_RE = re.compile(r"^(.*?\D)\s*(\d{1,3})$")


def _numbered_group_end(names: list[str]) -> int | None:
    """Index of the last column of the header's one numbered group ("funding text 1".."funding text k").

    Scopus sizes that group from some rows only: a record with more funding texts than the header has
    columns for carries the extra ones right after the group, so every later field moves right. Two or more
    groups, or none: None (extra fields are then only accepted at the end of the row).
    """
    stems: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        m = _NUMBERED_RE.match(name)
        if m:
            stems.setdefault(m.group(1).strip(), []).append(i)
    groups = [idx for stem, idx in stems.items() if f"{stem} 1" in names or f"{stem}1" in names]
    return groups[0][-1] if len(groups) == 1 else None


def _fit_long_row(row: list[str], width: int, group_end: int | None) -> list[str]:
    """The row with its extra fields dropped from where the export put them, so each cell is under its header."""
    extra = len(row) - width
    if group_end is None:
        return row[:width]
    return row[:group_end + 1] + row[group_end + 1 + extra:]


def _aligned(row: list[str], mapping: dict[str, list[int]]) -> bool:
    """Do the cells that have a recognisable shape (year, DOI, PubMed id, ISSN) still look like themselves?

    A long row whose extra fields came from an unquoted delimiter moves later cells into the wrong columns;
    this is what tells it apart from a row whose extra fields were dropped from the right place.
    """
    checks = {"year": lambda v: parse_year(v) is not None, "doi": lambda v: "10." in v,
              "pmid": lambda v: normalise_pmid(v) is not None and len(v) <= 40,
              "issn": lambda v: any(ch.isdigit() for ch in v)}  # an ISBN or an unchecked ISSN still has digits
    checked = 0
    for name, ok in checks.items():
        for i in mapping.get(name, []):
            value = _value(row[i]) if i < len(row) else None
            if value is None:
                continue
            if not ok(value):
                return False
            checked += 1
    return checked > 0


def sniff_delimiter(header_line: str) -> str:
    """Tab, semicolon or comma: whichever separates the header (quoted parts ignored), by :class:`csv.Sniffer`.

    The header line alone is sniffed: data rows hold free text (abstracts, author lists) full of commas and
    semicolons, which throws the Sniffer's per-line consistency test off. A one-column header reads as comma.
    """
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",\t;").delimiter
    except csv.Error:  # nothing separates anything: one column
        return ","


def _header_line(text: str) -> tuple[str | None, int]:
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            return line.lstrip("\ufeff"), lineno
    return None, 0


def _header_key(name: str) -> str:
    key = name.strip().strip("\ufeff").strip().strip('"').strip().lower().replace("_", " ")
    return re.sub(r"\s+", " ", key)


def _column_map(names: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, list[int]]:
    mapping: dict[str, list[int]] = {}
    for field_name, aliases in columns.items():
        idx = [i for alias in aliases for i, name in enumerate(names) if name == alias]
        if idx:
            mapping[field_name] = idx
    return mapping


def _read_rows(text: str, delimiter: str, path: str) -> list[tuple[int, list[str], str]]:
    """(first line number, cells, the row's own text) for every row, header included."""
    lines = text.split("\n")
    try:
        return _rows(text, lines, delimiter, strict=True)
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            raise InputFileError(path, "truncated: the last row ends inside an unterminated quoted field",
                                 line=_open_quote_line(text, delimiter)) from err
    rows = _rows(text, lines, delimiter, strict=False)  # stray quotes mid-file: read as csv's lenient mode does
    open_line = _open_quote_line(text, delimiter)
    if open_line is not None:
        raise InputFileError(path, "truncated: the last row ends inside an unterminated quoted field", line=open_line)
    return rows


def _rows(text: str, lines: list[str], delimiter: str, *, strict: bool) -> list[tuple[int, list[str], str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    out: list[tuple[int, list[str], str]] = []
    previous = 0
    for row in reader:
        out.append((previous + 1, row, "\n".join(lines[previous:reader.line_num])))
        previous = reader.line_num
    return out


def _open_quote_line(text: str, delimiter: str) -> int | None:
    """Line where a quoted field opens and never closes (csv's lenient quoting rules), else None."""
    in_quotes, field_start, line, opened = False, True, 1, None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 2
                    continue
                in_quotes, field_start = False, False
            elif ch == "\n":
                line += 1
        else:
            if ch == '"' and field_start:
                in_quotes, opened = True, line
            if ch == "\n":
                line += 1
            field_start = ch in (delimiter, "\n")
        i += 1
    return opened if in_quotes else None


def _value(cell: str | None) -> str | None:
    text = clean_text(cell)
    if not text or text.upper() in _PLACEHOLDERS:
        return None
    if text[0] == "'" and text[1:2] in _FORMULA_START:  # a cell neutralised against spreadsheet formulas
        return text[1:]
    return text


def _to_record(row: list[str], mapping: dict[str, list[int]], *, springer: bool) -> Record:
    def cells(name: str) -> list[str]:
        return [v for v in (_value(row[i]) if i < len(row) else None for i in mapping.get(name, [])) if v]

    def one(name: str) -> str | None:
        values = cells(name)
        return values[0] if values else None

    cited = _embase_source(one("source"))
    year = parse_year(one("year")) or parse_year(one("date")) or parse_year(cited.get("year"))
    urls = cells("url")
    record = Record(
        source="",
        source_id=one("source_id"),
        title=one("title"),
        abstract=clean_abstract(cells("abstract")[:1]),
        authors=_authors(one("authors_full"), one("authors"), springer=springer),
        year=year,
        journal=one("journal") or cited.get("journal") or (None if cited else one("source")),
        volume=one("volume") or cited.get("volume"),
        issue=one("issue") or cited.get("issue"),
        pages=_pages(one("pages") or cited.get("pages"), one("page_start"), one("page_end"), one("article_number")),
        doi=first_doi(cells("doi"), urls) or doi_from_openurl(cells("openurl")),
        pmid=normalise_pmid(one("pmid")) or pmid_from_urls(urls),
        pmcid=normalise_pmcid(one("pmcid")) or pmcid_from_urls(urls),
        openalex_id=normalise_openalex_id(one("openalex")),
        issn=issns_from(cells("issn")),
        language=normalise_language(one("language")),
        publication_types=_types(cells("types")),
        keywords=split_keywords(cells("keywords")),
        published_date=_published_date(one("date") or cited.get("date"), one("month"), one("day"), year),
        url=urls[0].split()[0] if urls else None,
        raw_format=RAW_FORMAT,
    )
    record.is_retracted = looks_retracted(record)
    return record


def _embase_source(value: str | None) -> dict[str, str]:
    """Embase CSV packs the citation into one cell: ``World J Gastroenterol (2011) 17:1 (130-134). Date of ...``."""
    m = _EMBASE_SOURCE_RE.match(value or "")
    if not m:
        return {}
    parts = {k: v for k, v in m.groupdict().items() if v}
    if parts.get("pages", "").lower() in {"no pagination", ""}:
        parts.pop("pages", None)
    return parts


def _authors(full: str | None, short: str | None, *, springer: bool) -> list[str]:
    if full:
        return authors_from(full.split(";"))
    if not short:
        return []
    if springer and not re.search(r"[;,]|\sand\s", short):
        return split_glued_names(short)
    return split_author_list(short)


def _pages(pages: str | None, start: str | None, end: str | None, article: str | None) -> str | None:
    text = normalise_pages(pages) if pages else normalise_pages(start, end)
    if text:
        first, sep, last = text.partition("-")
        return first if sep and first == last else text  # Zotero writes "636959-636959"
    return article


def _types(values: Iterable[str]) -> list[str]:
    types: list[object] = []
    for value in values:
        # skip one-letter codes: the new WoS table's "Publication Type" is J / B / S / P
        types.extend(publication_type(v) for v in value.split(";") if len(v.strip()) > 1)
    return dedupe_list(types)


def _published_date(date_text: str | None, month: str | None, day: str | None, year: int | None) -> str | None:
    if date_text:
        iso = iso_date(date_text, year)
        if iso and (year is None or iso.startswith(str(year))):
            return iso
    if month and year:
        if month.isdigit():  # Rayyan: year, month, day as numbers
            return iso_date(f"{year}/{month}/{day if day and day.isdigit() else ''}", year)
        return iso_date(f"{year} {month} {day or ''}", year)
    return str(year) if year else None
