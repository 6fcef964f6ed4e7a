"""Reference files -> :class:`records.model.Record`: the door for ``livereview import FILE``.

Databases without an API (Web of Science, EBSCO, Ovid, Scopus, Embase, ProQuest, IEEE …) reach the
review as exported files; saved API responses (PubMed XML, Crossref/Europe PMC/OpenAlex JSON, feeds)
can be imported the same way. :func:`read_records` reads the bytes, decodes them, works out the
format (content first, file extension second), and hands the text to one reader per format. Every
failure is one :class:`InputFileError` naming the file and the problem: a file either yields all of
its records or none.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from livereview.connectors.files import bibtex, delimited, endnote_xml, nbib, ris, wos
from livereview.connectors.files.decoding import Decoded
from livereview.connectors.registry import IMPORT_FORMATS
from livereview.errors import InputFileError, SourceError
from livereview.records.model import Record

Reader = Callable[..., Iterable[Record]]

#: file formats read here: name (the ``--format`` value) -> ``parse(text, *, path)``, the records as a list (or,
#: for CSV, handed out as they are read)
FILE_FORMATS: dict[str, Reader] = {
    "ris": ris.parse,
    "nbib": nbib.parse,
    "bibtex": bibtex.parse,
    "csv": delimited.iter_parse,
    "endnote-xml": endnote_xml.parse,
    "wos": wos.parse,
}

#: saved API responses: name -> module whose ``parse(payload: bytes, *, source: str)`` reads them (from the registry)
API_FORMATS: dict[str, str] = IMPORT_FORMATS

#: every value ``--format`` accepts besides ``auto``
FORMATS: tuple[str, ...] = (*FILE_FORMATS, *API_FORMATS)

EXTENSIONS: dict[str, str] = {
    ".ris": "ris", ".nbib": "nbib", ".medline": "nbib", ".bib": "bibtex", ".bibtex": "bibtex",
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".ciw": "wos", ".enw.xml": "endnote-xml",
    ".rss": "feed", ".atom": "feed", ".rdf": "feed",
}

_TY_LINE_RE = re.compile(r"^TY {1,2}- ?\S", re.MULTILINE)
_PMID_LINE_RE = re.compile(r"^PMID- *\d", re.MULTILINE)
_BIB_ENTRY_RE = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_RECORD_NUMBER_RE = re.compile(r"^\s*(?:<\s*\d+\s*\.?\s*>|\d+\.)\s*$")  # Ovid: "1." / "<1>" / "<3001. >"
_WOS_TAG_RE = re.compile(r"^[A-Z][A-Z0-9]$")


def read_records(path: Path, *, fmt: str = "auto", source: str) -> list[Record]:
    """All records of one file, each with ``source`` set, its own ``source_id``, ``raw`` and ``raw_format``.

    ``fmt`` is ``"auto"`` or one of :data:`FORMATS`; an explicit format the content plainly
    contradicts (a CSV passed as RIS) is refused rather than misread.
    """
    _, stream = open_records(path, fmt=fmt, source=source)
    records = list(stream)
    if not records:
        raise InputFileError(str(path), "no records in the file")
    return records


#: readers that also hand out records one at a time as they parse: ``iter_parse(lines, *, path)``, the file's
#: lines decoded as they are read (:meth:`Decoded.lines`)
STREAMING: dict[str, Callable[..., Iterator[Record]]] = {
    "ris": ris.iter_parse,
}


def open_records(path: Path, *, fmt: str = "auto", source: str,
                 data: bytes | None = None) -> tuple[str, Iterator[Record]]:
    """The file's format and its records as an iterator: :func:`read_records` for large files.

    The bytes are read once (or ``data`` is them), checked and the format settled before this returns; a
    streaming reader (:data:`STREAMING`) then decodes and parses as the iterator is consumed, so a damaged
    record late in the file raises :class:`InputFileError` after earlier records were handed out: consume the
    iterator inside one transaction. The iterator raises too when the file holds no record at all.
    """
    name = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as err:
            raise InputFileError(name, f"cannot read the file: {err.strerror or err}") from err
    decoded = Decoded(data, name)
    if fmt == "auto":
        fmt = _detect(Path(path), decoded.head())
    elif fmt not in FORMATS:
        raise InputFileError(name, f"unknown format {fmt!r} (known: auto, {', '.join(FORMATS)})")
    else:
        seen = sniff_format(decoded.head())
        if seen is not None and seen != fmt:
            raise InputFileError(name, f"--format {fmt} does not fit this file: its content looks like {seen}")
    return fmt, _records(fmt, decoded, name, source)


def _records(fmt: str, decoded: Decoded, name: str, source: str) -> Iterator[Record]:
    streaming = STREAMING.get(fmt)
    if streaming is not None:
        records: Iterable[Record] = streaming(decoded.lines(), path=name)
    else:
        reader = FILE_FORMATS.get(fmt)
        records = (reader(decoded.text(), path=name) if reader
                   else _read_api_payload(fmt, decoded.data, name, source))
    found = False
    for record in records:
        found = True
        record.source = source
        record.raw_format = record.raw_format or fmt
        yield record
    if not found:
        raise InputFileError(name, "no records in the file")


def detect_format(path: Path, data: bytes) -> str:
    """The format name of a file: by its content first, by its extension when the content does not say."""
    return _detect(Path(path), Decoded(data, str(path)).head())


def _detect(path: Path, text: str) -> str:
    seen = sniff_format(text)
    if seen:
        return seen
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html")):
        raise InputFileError(str(path), "an HTML page, not a reference export (a login or error page saved?)")
    suffixes = "".join(path.suffixes[-2:]).lower()
    for ext, fmt in EXTENSIONS.items():
        if suffixes.endswith(ext):
            return fmt
    raise InputFileError(
        str(path), f"cannot tell the file format from its content; pass --format (one of: {', '.join(FORMATS)})")


def sniff_format(text: str) -> str | None:
    """The format the content announces, or None when it does not say clearly."""
    head = text[:65536]
    lines = [line for line in head.split("\n")[:400] if line.strip()]
    if not lines:
        return None
    content_lines = [line for line in lines if not _RECORD_NUMBER_RE.match(line)]  # Ovid numbers records
    if not content_lines:
        return None
    first_content = content_lines[0].rstrip()
    first = first_content.strip()

    if first.startswith("<"):
        return _sniff_xml(head)
    if first.startswith(("{", "[")):
        return _sniff_json(head)
    if first.startswith(("FN ", "VR ")) or (re.match(r"^PT [A-Z]\s*$", first) and re.search(r"^ER\s*$", head, re.M)):
        return "wos"
    if _TY_LINE_RE.match(first_content) or (not _looks_delimited(first) and _TY_LINE_RE.search(head)):
        return "ris"
    if first_content.startswith("PMID-") or (not _looks_delimited(first) and _PMID_LINE_RE.search(head)):
        return "nbib"
    if first.startswith(("@", "%")) and _BIB_ENTRY_RE.search(head):
        return "bibtex"
    if _looks_delimited(first):
        return "csv"
    if _BIB_ENTRY_RE.search(head):
        return "bibtex"
    return None


def _looks_delimited(line: str) -> bool:
    """A header row: at least three cells (or two when one is a known column such as ``title``)."""
    delimiter = delimited.sniff_delimiter(line)
    cells = [c.strip().strip('"').strip().lower() for c in line.split(delimiter)]
    if len(cells) >= 3 and all(len(c) <= 80 for c in cells):
        return True
    known = {a for aliases in delimited.COLUMNS.values() for a in aliases}
    return len(cells) == 2 and any(c.replace("_", " ") in known for c in cells)


def _sniff_xml(head: str) -> str | None:
    low = head[:20000].lower()
    if "<pubmedarticleset" in low or "<pubmedarticle>" in low or "<pubmedbookarticle" in low:
        return "pubmed-xml"
    if re.search(r"<xml>\s*<records>", low):
        return "endnote-xml"
    if re.search(r"<(?:rss|feed|rdf:rdf)[\s>]", low):
        return "feed"
    return None


def _sniff_json(head: str) -> str | None:
    if re.search(r'"message-type"\s*:', head):
        return "crossref-json"
    if re.search(r'"resultList"\s*:', head):
        return "europepmc-json"
    if re.search(r'"id"\s*:\s*"https://openalex\.org/W\d+', head) or (
            re.search(r'"meta"\s*:', head) and re.search(r'"results"\s*:', head)):
        return "openalex-json"
    return None


def _read_api_payload(fmt: str, data: bytes, path: str, source: str) -> list[Record]:
    """Saved API responses go to their connector's own parser (imported here: those modules import HTTP code)."""
    module_name = API_FORMATS[fmt]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise InputFileError(path, f"reading {fmt} files needs {module_name}, which is not available") from err
        raise
    try:
        return list(module.parse(data, source=source))
    except SourceError as err:
        raise InputFileError(path, f"not a readable {fmt} payload: {err.problem}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"not a readable {fmt} payload: {err}") from err
