"""BibTeX (Google Scholar, Scopus, IEEE, ACM, Zotero, JabRef exports) via bibtexparser v2.

LaTeX in text fields (``M{\\"u}ller``, ``{COVID}-19``, ``\\&``, ``--``) becomes plain Unicode through
pylatexenc; identifiers and URLs are left alone (``%2F`` in a DOI is not a LaTeX comment). Authors
are split on ``and`` outside braces, so ``{World Health Organization}`` stays one author. A block
bibtexparser cannot parse (an unclosed brace: a truncated file) refuses the whole file; a repeated
citation key does not (concatenated exports repeat keys) and the record is kept.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field, ImplicitComment
from pylatexenc.latex2text import LatexNodes2Text

from livereview.connectors.files.fields import (
    clean_abstract,
    clean_author,
    first_doi,
    issns_from,
    looks_retracted,
    pmid_from_urls,
    publication_type,
    split_bibtex_names,
    split_keywords,
)
from livereview.errors import InputFileError
from livereview.records.dates import iso_date
from livereview.records.model import Record
from livereview.records.normalise import (
    clean_text,
    normalise_language,
    normalise_openalex_id,
    normalise_pages,
    normalise_pmcid,
    normalise_pmid,
    parse_year,
)

RAW_FORMAT = "bibtex"
log = logging.getLogger(__name__)
#: fields whose repeated values are all kept (joined with "; "); any other repeated field keeps its first value
_LIST_FIELDS = frozenset({"keywords", "keyword", "author_keywords", "funding_details", "funding_text", "note",
                          "annote", "mesh", "references", "affiliations"})

_LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
_ENTRY_START_RE = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
#: ``name = {`` / ``name = "`` / ``name = 2020`` at a line's start: a field, where only free text may stand
_FIELD_LINE_RE = re.compile(r"^[\s,]*([A-Za-z][\w:.-]*)\s*=\s*[{\"\w]", re.M)


def parse(text: str, *, path: str = "<string>") -> list[Record]:
    """Every entry of a BibTeX file, or :class:`InputFileError`."""
    if not _ENTRY_START_RE.search(text):
        raise InputFileError(path, "no BibTeX entries found (no '@type{' line)")
    # bibtexparser logs each failed block itself (several lines); every failure reaches the user here, once
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = bibtexparser.parse_string(text)
    _refuse_entries_cut_short(library.blocks, path)
    entries: list[Entry] = list(library.entries)
    repeated: Counter[str] = Counter()
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            entries.append(block.ignore_error_block)
            continue
        if isinstance(block, DuplicateFieldKeyBlock) and isinstance(block.ignore_error_block, Entry):
            entries.append(_merge_repeated_fields(block.ignore_error_block, repeated))
            continue
        line = (block.start_line or 0) + 1
        raise InputFileError(path, f"unreadable BibTeX entry starting on line {line}: {_reason(block.error)}",
                             line=line)
    if not entries:
        raise InputFileError(path, "no BibTeX entries found")
    if repeated:
        fields = ", ".join(f"{name} ({n} entries)" for name, n in sorted(repeated.items()))
        log.warning("%s: fields repeated within one entry: %s; kept every value of list fields (joined with "
                    "'; ') and the first value of any other", path, fields)
    entries.sort(key=lambda e: e.start_line or 0)
    return [_to_record(entry) for entry in entries]


def _refuse_entries_cut_short(blocks: list, path: str) -> None:
    """A stray ``}`` closes an entry early; the parser keeps its first fields and reads the rest as free text
    between entries. Fields there mean a record would be stored without them (DOI, year lost): refused, whole."""
    last: Entry | None = None
    for block in blocks:
        if isinstance(block, Entry):
            last = block
        elif isinstance(block, ImplicitComment) and last is not None and (
                names := _FIELD_LINE_RE.findall(block.comment or "")):
            line = (last.start_line or 0) + 1
            raise InputFileError(path, f"BibTeX entry '{last.key}' starting on line {line} ends before its fields "
                                 f"{', '.join(dict.fromkeys(n.lower() for n in names))} (a stray '}}' inside it?); "
                                 "nothing imported", line=line)


def _reason(error: object) -> str:
    """bibtexparser's reason for a failed block, as one line (its BlockAbortedException has an empty str)."""
    text = str(getattr(error, "abort_reason", "") or error or "")
    text = " ".join(text.split()).removeprefix("Exception(").strip("()'\"")
    return text or "syntax error (an unbalanced brace or quote?)"


def _merge_repeated_fields(entry: Entry, repeated: Counter[str]) -> Entry:
    """One field per key: Scopus repeats ``funding_details`` (and others) within an entry."""
    merged: dict[str, Field] = {}
    seen_twice: set[str] = set()
    for f in entry.fields:
        key = f.key.lower()
        value = _unbrace(str(f.value))  # this block kept each value's own braces; parsed entries have none
        if key not in merged:
            merged[key] = Field(f.key, value, f.start_line)
            continue
        seen_twice.add(key)
        if key in _LIST_FIELDS:
            merged[key] = Field(merged[key].key, f"{merged[key].value}; {value}", merged[key].start_line)
    repeated.update(seen_twice)
    return Entry(entry.entry_type, entry.key, list(merged.values()), entry.start_line, entry.raw)


def _unbrace(value: str) -> str:
    """``{Title}`` or ``"Title"`` -> ``Title``, but ``{COVID} and {UK}`` stays (the braces are not one pair)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        depth = 0
        for i, ch in enumerate(value):
            depth += (ch == "{") - (ch == "}")
            if depth == 0 and i < len(value) - 1:
                return value
        return value[1:-1]
    return value


def _field(entry: Entry, *names: str, latex: bool = True) -> str | None:
    fields = {f.key.lower(): f.value for f in entry.fields}
    for name in names:
        value = fields.get(name)
        if value is None:
            continue
        text = _unbrace(str(value))
        if latex:
            text = _latex_to_text(text)
        text = clean_text(text)
        if text:
            return text
    return None


def _latex_to_text(value: str) -> str:
    try:
        return _LATEX.latex_to_text(value)
    except (ValueError, IndexError):  # pylatexenc gives up on some malformed macros: keep the text, minus braces
        return value.replace("{", "").replace("}", "")


def _authors(raw: str) -> list[str]:
    """``A and {World Health Organization}``: a fully braced name is an organisation, kept whole."""
    out: list[str] = []
    for name in split_bibtex_names(raw):
        braced = _unbrace(name) != name.strip() and name.strip().startswith("{")
        author = clean_text(_latex_to_text(name)) if braced else clean_author(_latex_to_text(name))
        if author and author not in out:
            out.append(author)
    return out


def _to_record(entry: Entry) -> Record:
    # not _field: bibtexparser already took the value's own braces off, and "{World Health Organization}" alone
    # must keep its braces to stay one corporate author
    raw_authors = next((clean_text(str(f.value)) for f in entry.fields if f.key.lower() == "author"), None)
    authors = _authors(raw_authors) if raw_authors else []
    year = parse_year(_field(entry, "year")) or parse_year(_field(entry, "date"))
    url = _field(entry, "url", latex=False)
    keywords = _field(entry, "keywords", "keyword", "author_keywords")
    record = Record(
        source="",
        source_id=entry.key or None,
        title=_field(entry, "title"),
        abstract=clean_abstract([_field(entry, "abstract")]),
        authors=authors,
        year=year,
        journal=_field(entry, "journal", "journaltitle", "booktitle", "series"),
        volume=_field(entry, "volume"),
        issue=_field(entry, "number", "issue"),
        pages=normalise_pages(_field(entry, "pages", latex=False)),
        doi=first_doi(_field(entry, "doi", latex=False), url),
        pmid=normalise_pmid(_field(entry, "pmid", latex=False)) or pmid_from_urls([url]),
        pmcid=normalise_pmcid(_field(entry, "pmcid", latex=False)),
        openalex_id=normalise_openalex_id(_field(entry, "openalex", latex=False)),
        issn=issns_from([_field(entry, "issn", latex=False)]),
        language=normalise_language(_field(entry, "language", "langid")),
        publication_types=[t for t in (publication_type(entry.entry_type),) if t],
        keywords=split_keywords([keywords], separators=";,") if keywords else [],
        published_date=iso_date(_field(entry, "date") or " ".join(
            p for p in (_field(entry, "year"), _field(entry, "month")) if p), year),
        url=url.split()[0] if url else None,
        raw=entry.raw,
        raw_format=RAW_FORMAT,
    )
    record.is_retracted = looks_retracted(record)
    return record
