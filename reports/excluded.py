"""The "excluded studies with reasons" table (PRISMA 2020 item 16b): every report excluded at full text, the
study it is, and why — as CSV for the paper's supplement, and as rows for the PRISMA page.

The rows come from :func:`livereview.store.prisma.excluded_reports`, which places each work by the diagram's own
rules, so the table lists exactly the reports the *reports excluded* box counts, reason by reason.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.csvout import CsvWriter
from livereview.store.models import Work
from livereview.store.prisma import excluded_reports

COLUMNS = ("record_id", "study", "title", "journal", "year", "doi", "pmid", "reason", "reason_text")


@dataclass(frozen=True)
class ExcludedStudy:
    """One row of the table."""

    record_id: int
    study: str            # "First author et al. (year)", as a paper cites it
    title: str
    journal: str
    year: int | None
    doi: str
    pmid: str
    reason: str
    reason_text: str


def _study(authors: Sequence[str] | None, year: int | None) -> str:
    names = list(authors or [])
    first = names[0].split(",")[0].strip() if names else "Anonymous"
    who = first + (" et al." if len(names) > 2 else f" and {names[1].split(',')[0].strip()}" if len(names) == 2
                   else "")
    return f"{who} ({year})" if year else f"{who} (n.d.)"


def excluded_studies(session: Session, exclusion_reasons: Sequence[tuple[str, str]], *,
                     as_of: datetime | date | None = None,
                     reviewers_required: int | Mapping[str, int] = 2) -> list[ExcludedStudy]:
    """The table's rows, ordered by reason (the protocol's order, then others), then study."""
    ids = [r for r, _ in exclusion_reasons]
    texts = dict(exclusion_reasons)
    pairs = excluded_reports(session, ids, as_of=as_of, reviewers_required=reviewers_required)
    works = {w.id: w for w in session.scalars(select(Work).where(Work.id.in_([w for w, _ in pairs])))} \
        if pairs else {}
    order = {r: i for i, r in enumerate(ids)}
    rows = []
    for wid, reason in pairs:
        w = works[wid]
        rows.append(ExcludedStudy(wid, _study(w.authors, w.year), w.title or "", w.journal or "", w.year,
                                  w.doi or "", w.pmid or "", reason, texts.get(reason, "")))
    return sorted(rows, key=lambda r: (order.get(r.reason, len(order)), r.reason, r.study.lower(), r.record_id))


def to_csv(rows: Sequence[ExcludedStudy]) -> str:
    buf = io.StringIO()
    w = CsvWriter(buf, COLUMNS)
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if getattr(r, c) is None else getattr(r, c)) for c in COLUMNS})
    return buf.getvalue()
