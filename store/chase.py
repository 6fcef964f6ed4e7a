"""What citation chasing and the evidence watch keep in the store, and how other parts read it.

* **Per-study chase state** lives in the ``watermarks`` table under the stream ``chase:study:<work id>``:
  ``last_window_end`` is the day the study was last chased completely, ``state`` holds what makes the
  next run incremental (its OpenAlex id, the references already fetched, the cited-by counts seen).
* **Connections**: a work found by chasing gets a ``work_links`` row per included study it connects to,
  ``kind = "cites-included"`` (it cites the study: forward search) or ``"cited-by-included"`` (the study
  cites it: backward search), ``target_work_id`` = the included study. :func:`connections` and
  :func:`connection_label` read them ("cites 3 included studies").
* **Method, for PRISMA's "other methods" box**: the chase's records are stored with ``source =
  "citation-chase"`` and ``query_name = "<direction>:<api>"`` (e.g. ``backward:openalex``), in runs with
  ``flow = "chase"``; a work the chase found first has ``works.first_run_id`` pointing at such a run.
  :func:`other_methods_counts` gives the counts.

No HTTP here: the flow (``flows/chase.py``) fetches and calls these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.store import screening
from livereview.store.models import Run, SourceRecord, Watermark, Work, WorkLink

CHASE_SOURCE = "citation-chase"
CHASE_FLOW = "chase"
CITES_INCLUDED = "cites-included"          # the work cites an included study (found by forward search)
CITED_BY_INCLUDED = "cited-by-included"    # an included study cites the work (found by backward search)
LINK_FOR_DIRECTION = {"forward": CITES_INCLUDED, "backward": CITED_BY_INCLUDED}


@dataclass(frozen=True)
class Study:
    """An included study as the chase needs it: its work id and identifiers."""

    work_id: int
    title: str | None
    doi: str | None
    pmid: str | None
    pmcid: str | None
    openalex_id: str | None


def included_studies(session: Session) -> list[Study]:
    """Every included (canonical) work, oldest first."""
    works = session.scalars(select(Work).where(Work.status == screening.INCLUDED, Work.merged_into_id.is_(None))
                            .order_by(Work.id))
    return [Study(w.id, w.title, w.doi, w.pmid, w.pmcid, w.openalex_id) for w in works]


def stream_for(work_id: int) -> str:
    return f"chase:study:{work_id}"


def study_state(session: Session, work_id: int) -> tuple[date | None, dict[str, Any]]:
    """When the study was last chased completely, and its saved state."""
    wm = session.get(Watermark, stream_for(work_id))
    return (wm.last_window_end, dict(wm.state or {})) if wm else (None, {})


def save_study_state(session: Session, work_id: int, day: date, state: dict[str, Any], run_id: int | None) -> None:
    wm = session.get(Watermark, stream_for(work_id))
    if wm is None:
        session.add(Watermark(stream=stream_for(work_id), source=CHASE_SOURCE, last_window_end=day, state=state,
                              run_id=run_id))
    else:
        wm.last_window_end, wm.state, wm.run_id = max(day, wm.last_window_end), state, run_id
    session.flush()


def link_to_included(session: Session, work_id: int, included_id: int, direction: str, api: str) -> bool:
    """Tag ``work_id`` with the included study it connects to; False when the tag was there already."""
    if work_id == included_id:
        return False
    kind = LINK_FOR_DIRECTION[direction]
    exists = session.scalars(select(WorkLink.id).where(
        WorkLink.work_id == work_id, WorkLink.kind == kind, WorkLink.target_type == "work",
        WorkLink.target == str(included_id))).first()
    if exists:
        return False
    session.add(WorkLink(work_id=work_id, kind=kind, target_type="work", target=str(included_id),
                         target_work_id=included_id, source=f"{CHASE_SOURCE}:{api}"))
    session.flush()
    return True


def connections(session: Session, work_id: int) -> dict[str, list[int]]:
    """The included studies a work cites (``cites``) and is cited by (``cited_by``), by work id."""
    rows = session.execute(select(WorkLink.kind, WorkLink.target_work_id).where(
        WorkLink.work_id == work_id, WorkLink.kind.in_((CITES_INCLUDED, CITED_BY_INCLUDED)))).all()
    out: dict[str, list[int]] = {"cites": [], "cited_by": []}
    for kind, target in rows:
        key = "cites" if kind == CITES_INCLUDED else "cited_by"
        if target is not None and target not in out[key]:
            out[key].append(target)
    return out


def connected_studies(session: Session, work_id: int) -> dict[str, list[tuple[int, str]]]:
    """Which included studies a chased work cites and is cited by, as (work id, "S19 Practice makes…") pairs:
    why citation chasing brought it (the record page shows them)."""
    conn = connections(session, work_id)
    ids = sorted({i for ids in conn.values() for i in ids})
    labels: dict[int, str] = {}
    for w in (session.scalars(select(Work).where(Work.id.in_(ids))) if ids else []):
        seed = next((r.source_id for r in w.source_records if r.source.startswith("seed:")), None)
        labels[w.id] = f"{seed + ' ' if seed else ''}{(w.title or '(no title)')[:70]}"
    return {k: [(i, labels.get(i, f"work {i}")) for i in v] for k, v in conn.items()}


def connection_label(conn: dict[str, list[int]]) -> str | None:
    """``"cites 3 included studies; cited by 1"`` — what the digest and the queue show next to a chased work."""
    parts = []
    if conn.get("cites"):
        n = len(conn["cites"])
        parts.append(f"cites {n} included stud{'y' if n == 1 else 'ies'}")
    if conn.get("cited_by"):
        n = len(conn["cited_by"])
        parts.append(f"cited by {n} included stud{'y' if n == 1 else 'ies'}")
    return "; ".join(parts) or None


def other_methods_counts(session: Session) -> dict[str, int]:
    """Works first identified by citation chasing, per method (``backward``, ``forward``) and in all (``total``).

    A work counts under the method of its first chase record; works the database searches found first
    are not counted here (they are in PRISMA's databases box).
    """
    first_by_chase = select(Work.id).join(Run, Work.first_run_id == Run.id).where(Run.flow == CHASE_FLOW)
    rows = session.execute(
        select(SourceRecord.work_id, func.min(SourceRecord.query_name))
        .where(SourceRecord.source == CHASE_SOURCE, SourceRecord.work_id.in_(first_by_chase))
        .group_by(SourceRecord.work_id)).all()
    counts: Counter[str] = Counter(q.split(":", 1)[0] for _, q in rows)
    return {"backward": counts.get("backward", 0), "forward": counts.get("forward", 0), "total": len(rows)}
