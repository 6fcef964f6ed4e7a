"""A record page: everything about one work, and the screening actions (decide, undo, resolve).

Also served as JSON (``/api/works/{id}``) with the same blinding rules: another reviewer's vote
never leaves the server before you have voted at that stage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from livereview.protocols.queries import ConceptFilter
from livereview.records.vocabulary import DISPLAY_NAMES
from livereview.store import screening as sc
from livereview.store.accounts import User
from livereview.store.chase import connected_studies
from livereview.store.comments import mark_mentions_read
from livereview.store.db import reading
from livereview.store.models import SourceRecord, WorkMerge
from livereview.web.context import current_user, get_db, render, state, work_or_404, writing
from livereview.web.errors import BadRequest
from livereview.web.flash import recent_vote
from livereview.web.fulltext import full_text_box
from livereview.web.people import highlighted, record_people
from livereview.web.queue import QueueFilter, neighbours, next_for_me, stage_of
from livereview.web.retrain import retrain_soon
from livereview.web.review import (
    NOT_RETRIEVED,
    STATUS_LABELS,
    StageView,
    decide,
    reopen,
    resolve,
    shown_status,
    stage_view,
    undo,
    undo_last,
    work_decisions,
)
from livereview.web.security import form_fields
from livereview.web.text import identifier_links
from livereview.web.views.queue import queue_filter

router = APIRouter()


def _matcher(request: Request) -> ConceptFilter:
    st = state(request)
    if not hasattr(st, "_matcher"):
        st._matcher = ConceptFilter(st.protocol)  # type: ignore[attr-defined]
    return st._matcher  # type: ignore[attr-defined]


def _vote_json(d: Any) -> dict[str, Any]:
    return {"reviewer": d.reviewer, "decision": d.decision, "reason": d.reason, "note": d.note, "final": d.is_final,
            "report_retrieved": d.report_retrieved, "decided_at": d.decided_at.isoformat()}


@router.get("/works/{work_id}", name="work")
def work_page(request: Request, work_id: int, change: str = "", flt: QueueFilter = Depends(queue_filter),
              db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    st = state(request)
    work = work_or_404(db, work_id)
    if work.merged_into_id is not None:
        target = f"/works/{work.merged_into_id}"
        return RedirectResponse(request.scope.get("root_path", "") + target, status_code=303)
    decisions = work_decisions(db, work.id)
    views = {stage: stage_view(work, decisions, user, stage) for stage in sc.STAGES}
    matcher = _matcher(request)
    title = work.title or "(no title)"
    records = list(db.scalars(select(SourceRecord).where(SourceRecord.work_id == work.id)
                              .order_by(SourceRecord.fetched_at, SourceRecord.id)))
    merges = list(db.scalars(select(WorkMerge).where(or_(WorkMerge.kept_id == work.id, WorkMerge.merged_id == work.id))
                             .order_by(WorkMerge.id)))
    prev_id, next_id = neighbours(db, flt, work.id, reviewer=user.name, orderings=st.orderings)
    qs = urlencode(flt.as_params())
    current = stage_of(work.status)
    status = shown_status(work, decisions, user)
    cv = views.get(current) if current else None
    people = record_people(db, work, decisions, user)
    if people["unread"]:   # reading the thread reads the mentions in it (their own short write)
        with writing(request) as s:
            mark_mentions_read(s, work.id, user.name)
    return render(
        request, "work.html", user=user, title=title, work=work,
        title_html=highlighted(db, user, title, matcher.spans(title)),
        abstract_html=highlighted(db, user, work.abstract, matcher.spans(work.abstract or "")), **people,
        terms=matcher.matched_terms(work.title, work.abstract, " ; ".join(work.keywords or [])),
        links=identifier_links(doi=work.doi, pmid=work.pmid, pmcid=work.pmcid, openalex_id=work.openalex_id,
                               url=work.url),
        records=records, merges=merges, views=views, current_stage=current,
        chased=connected_studies(db, work.id),
        current_view=cv, changing=bool(cv and cv.can_change and change == "1"),
        status=status, status_label=STATUS_LABELS.get(status, status),
        reasons=list(st.protocol.exclusion_reasons), not_retrieved=NOT_RETRIEVED, prev_id=prev_id, next_id=next_id,
        qs=qs, required=st.reviewers_by_stage, flash=recent_vote(request, db, user),
        fulltext=full_text_box(st, db, work), pdf_note=request.query_params.get("pdf", ""),
        source_names=DISPLAY_NAMES)


@router.get("/api/works/{work_id}", name="work_json")
def work_json(request: Request, work_id: int, db: Session = Depends(get_db),
              user: User = Depends(current_user)) -> Response:
    work = work_or_404(db, work_id)
    decisions = work_decisions(db, work.id)
    stages: dict[str, Any] = {}
    for stage in sc.STAGES:
        v: StageView = stage_view(work, decisions, user, stage)
        stages[stage] = {"open": v.open, "conflict": v.conflict, "blinded": v.blinded,
                         "mine": _vote_json(v.mine) if v.mine else None, "others": [_vote_json(d) for d in v.others]}
    return JSONResponse({"id": work.id, "title": work.title, "authors": work.authors, "year": work.year,
                         "journal": work.journal, "doi": work.doi, "pmid": work.pmid, "abstract": work.abstract,
                         "status": shown_status(work, decisions, user), "stages": stages})


def _after(request: Request, work_id: int, form: dict[str, str], user: User, *, advance: bool,
           recorded: int | None = None) -> Response:
    """Back to the record, or on to the next record that still needs this reviewer's decision in the same
    queue view (never one they decided already); the queue with "nothing left for you" when none is left."""
    params = dict(parse_qsl(form.get("back", "")))
    root = request.scope.get("root_path", "")
    target = work_id
    note = {"recorded": str(recorded)} if recorded is not None else {}
    if advance:
        try:
            flt = queue_filter(request, **{k: params.get(k, "") for k in
                                           ("stage", "status", "source", "run", "mine", "order",
                                                                     "assigned", "mentions", "q")})
        except BadRequest:  # a stale query string: the plain queue
            flt = QueueFilter()
            params = {}
        if not flt.stage:   # go on at the stage just voted at, not mixing title/abstract and full text
            stage = form.get("stage", "")
            flt = QueueFilter(**{**flt.__dict__, "stage": stage if stage in sc.STAGES else ""})
        with reading(state(request).engine) as db:
            nxt = next_for_me(db, flt, work_id, reviewer=user.name, orderings=state(request).orderings)
        if nxt is None:
            return RedirectResponse(f"{root}/queue?{urlencode({**params, 'done': str(work_id), **note})}",
                                    status_code=303)
        target = nxt
    query = urlencode({**params, **note})
    return RedirectResponse(f"{root}/works/{target}" + (f"?{query}" if query else ""), status_code=303)


def _bool(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    return value in ("1", "on", "true", "yes")


@router.post("/works/{work_id}/decision", name="work_decide")
def work_decide(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                user: User = Depends(current_user)) -> Response:
    # a plain def: runs in the thread pool, never on the event loop. Written and committed before the answer
    # (web/context.py: an answered decision is stored; one the store cannot take in time is a 503, nothing stored)
    st = state(request)
    with writing(request) as s:
        work = work_or_404(s, work_id)
        decision = form.get("decision") or ("exclude" if "reason" in form else "")
        retrieved = _bool(form.get("retrieved"))
        if decision == "not-retrieved":  # full text: the report could not be found
            decision, retrieved = "exclude", False
        d = decide(s, work, user, st.protocol, stage=form.get("stage", ""), decision=decision,
                   reason=form.get("reason") or None, note=form.get("note", "").strip()[:2000] or None,
                   retrieved=retrieved, change=form.get("change") == "1")
        recorded = d.id
    if st.retrain:
        retrain_soon(st.engine, st.protocol)   # the ranker follows the decisions, in the background
    return _after(request, work_id, form, user, advance=form.get("advance", "1") == "1", recorded=recorded)


@router.post("/works/{work_id}/undo", name="work_undo")
def work_undo(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
              user: User = Depends(current_user)) -> Response:
    with writing(request) as s:
        undo(s, work_or_404(s, work_id), user, state(request).protocol, stage=form.get("stage", ""))
    return _after(request, work_id, form, user, advance=False)


@router.post("/works/{work_id}/resolve", name="work_resolve")
def work_resolve(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                 user: User = Depends(current_user)) -> Response:
    with writing(request) as s:
        resolve(s, work_or_404(s, work_id), user, state(request).protocol, stage=form.get("stage", ""),
                decision=form.get("decision", ""), note=form.get("note", "")[:2000], reason=form.get("reason") or None)
    return _after(request, work_id, form, user, advance=False)


@router.post("/undo-last", name="undo_last")
def work_undo_last(request: Request, form: dict[str, str] = Depends(form_fields),
                   user: User = Depends(current_user)) -> Response:
    """``u`` from any page: take back my last vote, then show that record so I can vote again."""
    with writing(request) as s:
        d = undo_last(s, user, state(request).protocol)
        work_id = d.work_id
    return RedirectResponse(request.scope.get("root_path", "") + f"/works/{work_id}", status_code=303)


@router.post("/works/{work_id}/reopen", name="work_reopen")
def work_reopen(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                user: User = Depends(current_user)) -> Response:
    """An admin reopens a decided record, with a reason (audited); its reviewers vote again."""
    with writing(request) as s:
        reopen(s, work_or_404(s, work_id), user, state(request).protocol, reason=form.get("reason", "")[:2000])
    return _after(request, work_id, form, user, advance=False)
