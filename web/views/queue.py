"""The queue page: open works, filtered (source, run, stage, status, needs my decision), paginated, ordered."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.ranking import scores_for, stop_estimate
from livereview.store.accounts import User
from livereview.store.models import SourceRecord
from livereview.web.context import current_user, get_db, render, state
from livereview.web.errors import BadRequest
from livereview.web.flash import recent_vote
from livereview.web.people import queue_people
from livereview.web.queue import (
    ANY_STAGE,
    DEFAULT_ORDER,
    PAGE_SIZE,
    STAGE_STATUSES,
    STATUS_FILTER_LABELS,
    STATUS_FILTERS,
    QueueFilter,
    queue_page,
    stage_of,
    stopping_key,
)
from livereview.web.review import STATUS_LABELS, shown_statuses

router = APIRouter()
#: seconds the queue's stopping estimate may be behind the votes (it moves slowly; recounting it on every view
#: under a stream of votes took the CPU from them)
STOPPING_EVERY = 30.0


def queue_filter(request: Request, stage: str = "", status: str = "", source: str = "", run: str = "",
                 mine: str = "", order: str = "", assigned: str = "", mentions: str = "", q: str = "") -> QueueFilter:
    """The queue's filters from the query string; unknown values are refused, not ignored."""
    if stage and stage not in STAGE_STATUSES and stage != ANY_STAGE:
        raise BadRequest(f"unknown stage {stage!r}")
    if status and status not in STATUS_FILTERS:
        raise BadRequest(f"unknown queue status {status!r}")
    if order and order not in state(request).orderings:
        raise BadRequest(f"unknown order {order!r}")
    if run and not run.isdigit():
        raise BadRequest("run must be a number")
    return QueueFilter(stage=stage, status=status, source=source[:100], run=int(run) if run else None,
                       mine=mine in ("1", "on", "true"), order=order or DEFAULT_ORDER, q=q[:500],
                       assigned=assigned in ("1", "on", "true"), mentions=mentions in ("1", "on", "true"))


@router.get("/queue", name="queue")
def queue(request: Request, page: int = 1, done: str = "", flt: QueueFilter = Depends(queue_filter),
          db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    st = state(request)
    page = max(1, min(page, 100000))
    works, total, exact = queue_page(db, flt, reviewer=user.name, orderings=st.orderings, page=page)
    scores = scores_for(db, [w.id for w in works])   # persisted relevance and its "why" terms (never trains)
    size = PAGE_SIZE
    pages = max(1, (total + size - 1) // size)
    if not exact or (len(works) == size and page >= pages):  # a capped count: offer the next page while rows last
        pages = max(pages, page + (1 if len(works) == size else 0))
    params = flt.as_params()
    qs = urlencode(params)
    sources = st.cached("sources", 60.0, lambda: sorted(
        s for s in db.scalars(select(SourceRecord.source).distinct()) if s))
    people = queue_people(db, works, user)
    assigned_note = None
    if request.query_params.get("assigned_n", "").isdigit():
        assigned_note = (int(request.query_params["assigned_n"]), request.query_params.get("assigned_to", "")[:100])
    # may the team stop screening? The digest's estimate (resolved outcomes and open counts only: blind to votes)
    stopping = st.cached_until_changed("stop_estimate", lambda: stopping_key(db),
                                       lambda: stop_estimate(db, st.protocol), at_most_every=STOPPING_EVERY)
    return render(request, "queue.html", user=user, title="Queue", works=works, **people,
                  assigned_note=assigned_note, total=total, exact=exact, page=page,
                  pages=pages, flt=flt, qs=qs, page_qs=lambda p: urlencode({**params, "page": str(p)}),
                  sources=sources, statuses=STATUS_FILTER_LABELS, stages=list(STAGE_STATUSES), any_stage=ANY_STAGE,
                  orderings=list(st.orderings), stage_of=stage_of, scores=scores,
                  shown=shown_statuses(db, works, user), status_labels=STATUS_LABELS,
                  done=done.isdigit(), flash=recent_vote(request, db, user), stopping=stopping)
