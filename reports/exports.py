"""Exports for screening tools: a CSV ASReview reads as is (its column names, a label column).

ASReview LAB takes ``title``, ``abstract``, ``authors``, ``keywords``, ``year``, ``doi``, ``url`` and a
label column ``included`` (1 = relevant, 0 = irrelevant, empty = not yet labelled); extra columns
are kept as they are. Our label: included → 1, excluded → 0, anything still open → empty. After it, what
was decided (``store.outcomes``): the final decision, stage, reason, votes and notes, resolutions, PDF hashes; and
the team's tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TextIO

from livereview.csvout import CsvWriter
from livereview.store.outcomes import OUTCOME_COLUMNS

ASREVIEW_COLUMNS = ("record_id", "title", "abstract", "authors", "keywords", "year", "journal", "doi", "url",
                    "pmid", "included", "livereview_status", *OUTCOME_COLUMNS, "tags")


def asreview_label(status: str) -> str:
    return {"included": "1", "excluded": "0"}.get(status, "")


def write_asreview_csv(rows: Iterable[dict[str, Any]], fh: TextIO) -> int:
    """One row per work; authors and keywords joined with '; ' (ASReview splits on it)."""
    w = CsvWriter(fh, ASREVIEW_COLUMNS)
    w.writeheader()
    n = 0
    for r in rows:
        w.writerow({
            "record_id": r["id"], "title": r.get("title") or "", "abstract": r.get("abstract") or "",
            "authors": "; ".join(r.get("authors") or []), "keywords": "; ".join(r.get("keywords") or []),
            "year": r.get("year") or "", "journal": r.get("journal") or "", "doi": r.get("doi") or "",
            "url": r.get("url") or (f"https://doi.org/{r['doi']}" if r.get("doi") else ""),
            "pmid": r.get("pmid") or "", "included": asreview_label(r.get("status") or ""),
            "livereview_status": r.get("status") or "",
            **{k: r.get(k) or "" for k in OUTCOME_COLUMNS}, "tags": "; ".join(r.get("tags") or []),
        })
        n += 1
    return n


FORMATS = ("csv", "ris", "bibtex", "asreview")


def writer(fmt: str) -> Callable[[Iterable[dict[str, Any]], TextIO], int]:
    """The writer of an export format: the reference-file writers of connectors.files, or ASReview's CSV."""
    if fmt == "asreview":
        return write_asreview_csv
    from livereview.connectors.files.write import WRITERS

    return WRITERS[fmt]
