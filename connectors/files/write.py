"""Writing works back out as CSV, RIS or BibTeX, to hand records to other tools (Rayyan, EndNote, Zotero, R)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

EXPORT_FORMATS = ("csv", "ris", "bibtex")
CSV_COLUMNS = (
    "id", "status", "doi", "pmid", "pmcid", "openalex_id", "title", "authors", "year", "journal", "volume", "issue",
    "pages", "issn", "language", "publication_types", "abstract", "domain", "origin", "is_retracted",
    "has_correction", "sources", "created_at",
)

_RIS_TYPE = {"book": "BOOK", "book-chapter": "CHAP", "preprint": "UNPB", "posted-content": "UNPB"}
_BIB_TYPE = {"book": "book", "book-chapter": "incollection"}


def _joined(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    w = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    n = 0
    for row in rows:
        w.writerow({k: _joined(row.get(k)) for k in CSV_COLUMNS})
        n += 1
    return n


def _ris_type(row: Mapping[str, Any]) -> str:
    for pt in row.get("publication_types") or []:
        if pt.lower() in _RIS_TYPE:
            return _RIS_TYPE[pt.lower()]
    return "JOUR"


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def write_ris(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        lines = [("TY", _ris_type(row)), ("ID", f"livereview-{row['id']}")]
        lines += [("TI", row.get("title"))]
        lines += [("AU", a) for a in row.get("authors") or []]
        lines += [("PY", row.get("year")), ("JO", row.get("journal")), ("VL", row.get("volume")),
                  ("IS", row.get("issue"))]
        pages = row.get("pages") or ""
        if pages:
            sp, _, ep = str(pages).partition("-")
            lines += [("SP", sp), ("EP", ep or None)]
        lines += [("SN", s) for s in row.get("issn") or []]
        lines += [("DO", row.get("doi")), ("AB", row.get("abstract")), ("LA", row.get("language"))]
        if row.get("pmid"):
            lines.append(("AN", row["pmid"]))
        lines += [("N1", f"livereview status: {row.get('status')}"), ("ER", "")]
        for tag, value in lines:
            if tag == "ER":
                out.write("ER  - \n\n")
            elif value not in (None, ""):
                out.write(f"{tag}  - {_one_line(value)}\n")
        n += 1
    return n


_BIB_ESCAPE = re.compile(r"([{}\\&%$#_])")


def _bib(value: Any) -> str:
    return _BIB_ESCAPE.sub(r"\\\1", _one_line(value))


def write_bibtex(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        kind = "article"
        for pt in row.get("publication_types") or []:
            kind = _BIB_TYPE.get(pt.lower(), kind)
        fields = {
            "title": row.get("title"), "author": " and ".join(row.get("authors") or []) or None,
            "year": row.get("year"), ("booktitle" if kind == "incollection" else "journal"): row.get("journal"),
            "volume": row.get("volume"), "number": row.get("issue"),
            "pages": str(row["pages"]).replace("-", "--") if row.get("pages") else None,
            "doi": row.get("doi"), "pmid": row.get("pmid"), "abstract": row.get("abstract"),
            "language": row.get("language"), "note": f"livereview status: {row.get('status')}",
        }
        out.write(f"@{kind}{{livereview{row['id']},\n")
        body = [f"  {k} = {{{_bib(v)}}}" for k, v in fields.items() if v not in (None, "")]
        out.write(",\n".join(body) + "\n}\n\n")
        n += 1
    return n


WRITERS = {"csv": write_csv, "ris": write_ris, "bibtex": write_bibtex}
