"""Writing works back out as CSV, RIS or BibTeX, to hand records to other tools (Rayyan, EndNote, Zotero, R)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from livereview.csvout import CsvWriter

EXPORT_FORMATS = ("csv", "ris", "bibtex")
CSV_COLUMNS = (
    "id", "status", "doi", "pmid", "pmcid", "openalex_id", "title", "authors", "year", "journal", "volume", "issue",
    "pages", "issn", "language", "publication_types", "abstract", "domain", "origin", "is_retracted",
    "has_correction", "sources", "created_at",
    # what was decided (store.outcomes.OUTCOME_COLUMNS): votes and notes blinded where the reader may not see them
    "final_decision", "decision_stage", "decision_reason", "votes", "resolutions", "pdf_sha256",
    "tags",   # the team's tags (store.tags)
)

_RIS_TYPE = {"book": "BOOK", "book-chapter": "CHAP", "preprint": "UNPB", "posted-content": "UNPB"}
_BIB_TYPE = {"book": "book", "book-chapter": "incollection"}


def _author_out(name: str) -> str:
    """A personal name is ``Family, Given``; a name without a comma (``ASPIRE Investigators``) is a corporate
    author, written with a trailing comma (EndNote's convention) so a reader keeps it whole, unreordered."""
    return name if "," in name else f"{name},"


def _joined(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """One row per work; every cell that could run as a spreadsheet formula is neutralised (:mod:`csvout`)."""
    w = CsvWriter(out, CSV_COLUMNS, extrasaction="ignore")
    w.writeheader()
    n = 0
    for row in rows:
        cells = {k: _joined(row.get(k)) for k in CSV_COLUMNS}
        cells["authors"] = "; ".join(_author_out(a) for a in row.get("authors") or [])
        w.writerow(cells)
        n += 1
    return n


def _ris_type(row: Mapping[str, Any]) -> str:
    for pt in row.get("publication_types") or []:
        if pt.lower() in _RIS_TYPE:
            return _RIS_TYPE[pt.lower()]
    return "JOUR"


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def _ris_decisions(row: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """What was decided, in RIS custom fields no reader takes for an identifier or the pages (C2, C5, C6 and C7
    are): C3 the decision, C4 each vote, C8 each resolution, C1 each attached PDF's SHA-256; LB the team's tags."""
    out: list[tuple[str, Any]] = []
    if row.get("final_decision"):
        reason = f" ({row['decision_reason']})" if row.get("decision_reason") else ""
        out.append(("C3", f"livereview decision: {row['final_decision']} at {row.get('decision_stage')}{reason}"))
    out += [("C4", f"vote: {v}") for v in _split(row.get("votes"))]
    out += [("C8", f"resolution: {v}") for v in _split(row.get("resolutions"))]
    out += [("C1", f"PDF sha256: {h}") for h in str(row.get("pdf_sha256") or "").split("; ") if h]
    if row.get("tags"):
        out.append(("LB", "; ".join(row["tags"])))
    return out


def _split(cell: Any) -> list[str]:
    return [v for v in str(cell or "").split(" | ") if v.strip()]


def write_ris(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """RIS with every identifier where a reader finds it again: DOI in DO, PMCID in C2 (EndNote's field), and the
    PMID and OpenAlex id as labelled notes (``AN`` would only be read as a PMID when ``DB`` names PubMed)."""
    n = 0
    for row in rows:
        lines = [("TY", _ris_type(row)), ("ID", f"livereview-{row['id']}")]
        lines += [("TI", row.get("title"))]
        lines += [("AU", _author_out(a)) for a in row.get("authors") or []]
        lines += [("PY", row.get("year")), ("JO", row.get("journal")), ("VL", row.get("volume")),
                  ("IS", row.get("issue"))]
        pages = row.get("pages") or ""
        if pages:
            sp, _, ep = str(pages).partition("-")
            lines += [("SP", sp), ("EP", ep or None)]
        lines += [("SN", s) for s in row.get("issn") or []]
        lines += [("DO", row.get("doi")), ("AB", row.get("abstract")), ("LA", row.get("language"))]
        lines += [("C2", row.get("pmcid"))]
        if row.get("pmid"):
            lines.append(("N1", f"PMID: {row['pmid']}"))
        if row.get("openalex_id"):
            lines.append(("N1", f"OpenAlex: {row['openalex_id']}"))
        lines += [("N1", f"livereview status: {row.get('status')}")]
        lines += _ris_decisions(row)
        lines += [("ER", "")]
        for tag, value in lines:
            if tag == "ER":
                out.write("ER  - \n\n")
            elif value not in (None, ""):
                out.write(f"{tag}  - {_one_line(value)}\n")
        n += 1
    return n


#: LaTeX for the characters BibTeX would otherwise read as markup (``~`` a space, ``\\`` a line break)
_BIB_SPECIAL = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\string^", "{": r"\{", "}": r"\}",
                "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_"}
_BIB_ESCAPE = re.compile("|".join(re.escape(c) for c in _BIB_SPECIAL))
#: fields read back verbatim (no LaTeX): escaping would change the identifier
_BIB_VERBATIM = frozenset({"doi", "pmid", "pmcid", "openalex", "pages", "year"})


def _bib(value: Any) -> str:
    return _BIB_ESCAPE.sub(lambda m: _BIB_SPECIAL[m.group(0)], _one_line(value))


def _bib_author(name: str) -> str:
    """``Family, Given`` as is; a corporate name (no comma) or one holding " and " braced, so it stays one author."""
    text = _bib(name)
    return f"{{{text}}}" if "," not in name or re.search(r"\sand\s", name, re.IGNORECASE) else text


def _bib_value(key: str, value: Any) -> str:
    text = _one_line(value)
    if key in _BIB_VERBATIM and text.count("{") == text.count("}") and "\\" not in text:
        return text
    return _bib(value)


def write_bibtex(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """BibTeX whose identifiers come back unchanged (DOIs unescaped) and whose text keeps ``~``, ``\\`` and ``_``."""
    n = 0
    for row in rows:
        kind = "article"
        for pt in row.get("publication_types") or []:
            kind = _BIB_TYPE.get(pt.lower(), kind)
        fields = {
            "title": row.get("title"),
            "year": row.get("year"), ("booktitle" if kind == "incollection" else "journal"): row.get("journal"),
            "volume": row.get("volume"), "number": row.get("issue"),
            "pages": str(row["pages"]).replace("-", "--") if row.get("pages") else None,
            "doi": row.get("doi"), "pmid": row.get("pmid"), "pmcid": row.get("pmcid"),
            "openalex": row.get("openalex_id"), "abstract": row.get("abstract"),
            "language": row.get("language"), "note": f"livereview status: {row.get('status')}",
            "decision": " ".join(str(row.get(k) or "") for k in ("final_decision", "decision_stage",
                                                                   "decision_reason")).strip(),
            "votes": row.get("votes"), "resolutions": row.get("resolutions"), "pdf_sha256": row.get("pdf_sha256"),
            "tags": "; ".join(row.get("tags") or []),
        }
        out.write(f"@{kind}{{livereview{row['id']},\n")
        body = [f"  {k} = {{{_bib_value(k, v)}}}" for k, v in fields.items() if v not in (None, "")]
        authors = row.get("authors") or []
        if authors:
            body.insert(1, "  author = {" + " and ".join(_bib_author(a) for a in authors) + "}")
        out.write(",\n".join(body) + "\n}\n\n")
        n += 1
    return n


WRITERS = {"csv": write_csv, "ris": write_ris, "bibtex": write_bibtex}
