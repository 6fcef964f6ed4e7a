"""What the deduplication did, reviewed by people: per run or import, the records it joined to known works (with
the rule that matched), the works it merged, and the near misses it left apart; an admin merges a pair, marks it
"not a duplicate" (remembered), splits a joined record off, or undoes a merge — the CLI's merge/unmerge, audited.

Nothing here shows a screening status or a vote: the page is open to every reviewer without unblinding anyone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.store import duplicates as dup
from livereview.store.accounts import User
from livereview.store.merge import undo_merge
from livereview.store.models import Work
from livereview.web.context import admin_user, current_user, get_db, render, state, writing
from livereview.web.errors import BadRequest
from livereview.web.security import form_fields

router = APIRouter()

#: the fields shown side by side for a pair, in the order a citation is read
COMPARED = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid")


def _parse_batch(raw: str) -> tuple[dup.BatchKind | None, int | None]:
    kind, _, number = raw.partition("-")
    if kind in ("run", "import") and number.isdigit():
        return kind, int(number)  # type: ignore[return-value]
    return None, None


def _value(work: Work | None, name: str) -> str:
    if work is None:
        return ""
    value = getattr(work, name)
    if name == "authors":
        value = "; ".join(value or [])
    return "" if value in (None, "") else str(value)


def side_by_side(a: Work | None, b: Work | None) -> list[dict[str, Any]]:
    """One row per compared field: both values and whether they differ (shown, never decided, here)."""
    rows = []
    for name in COMPARED:
        x, y = _value(a, name), _value(b, name)
        rows.append({"field": name, "a": x, "b": y, "differs": bool(x and y and x.casefold() != y.casefold())})
    return rows


@router.get("/duplicates", name="duplicates")
def duplicates(request: Request, batch: str = "", db: Session = Depends(get_db),
               user: User = Depends(current_user)) -> Response:
    batches = dup.batches(db)
    kind, number = _parse_batch(batch)
    if batch == "manual":
        chosen = "manual"
    elif kind is None:
        first = next((b for b in batches if b.open_pairs), batches[0] if batches else None)
        kind, number = (first.kind, first.id) if first else (None, None)
        chosen = f"{kind}-{number}" if first else "manual"
    else:
        chosen = batch
    joined, pairs, merges = [], [], []
    if kind is not None and number is not None and chosen != "manual":
        joined = dup.joined_records(db, kind, number)
        pairs = dup.pairs(db, kind, number)
        merges = dup.merges(db, kind, number)
    else:
        merges = dup.merges(db, None, None)
    ids = {p.work_id for p in pairs} | {p.other_id for p in pairs} | {m.kept_id for m in merges} \
        | {m.merged_id for m in merges}
    works = dup.works_by_id(db, ids)
    pair_rows = [{"pair": p, "new": works.get(p.work_id), "old": works.get(p.other_id),
                  "fields": side_by_side(works.get(p.work_id), works.get(p.other_id)),
                  "why": dup.explain_rule(p.rule)} for p in pairs]
    joined_rows = [{"record": j.record, "work": j.work, "why": dup.explain_rule(j.record.match_rule),
                    "incoming": j.record.record or {}} for j in joined]
    merge_rows = [{"merge": m, "kept": works.get(m.kept_id), "merged": works.get(m.merged_id),
                   "why": dup.explain_rule(m.rule)} for m in merges]
    return render(request, "duplicates.html", user=user, title="Duplicates", batches=batches, chosen=chosen,
                  pairs=pair_rows, joined=joined_rows, merges=merge_rows,
                  open_pairs=sum(1 for p in pairs if p.status == "open"))


def _back(request: Request, form: dict[str, str]) -> Response:
    """Back to the batch the person was looking at; the page shows what they did (the pair's answer, the undone
    merge, the split record's pair), read from the store rather than carried in the URL."""
    query = {"batch": form.get("batch", "")[:40]}
    return RedirectResponse(request.scope.get("root_path", "") + "/duplicates?" + urlencode(query), status_code=303)


@router.post("/duplicates/pairs/{pair_id}", name="duplicates_pair")
def duplicates_pair(request: Request, pair_id: int, form: dict[str, str] = Depends(form_fields),
                    user: User = Depends(admin_user)) -> Response:
    answer = form.get("answer", "")
    if answer not in ("merge", "distinct"):
        raise BadRequest("answer must be merge or distinct")
    try:
        with writing(request) as s:
            dup.decide_pair(s, pair_id, answer, actor=user.name,  # type: ignore[arg-type]
                                   reviewers_required=state(request).protocol.review.reviewers_by_stage)
    except dup.DuplicateReviewError as exc:
        raise BadRequest(str(exc)) from exc
    return _back(request, form)


@router.post("/duplicates/records/{record_id}/split", name="duplicates_split")
def duplicates_split(request: Request, record_id: int, form: dict[str, str] = Depends(form_fields),
                     user: User = Depends(admin_user)) -> Response:
    try:
        with writing(request) as s:
            dup.split_record(s, record_id, actor=user.name,
                             reviewers_required=state(request).protocol.review.reviewers_by_stage)
    except dup.DuplicateReviewError as exc:
        raise BadRequest(str(exc)) from exc
    return _back(request, form)


@router.post("/duplicates/merges/{merge_id}/undo", name="duplicates_unmerge")
def duplicates_unmerge(request: Request, merge_id: int, form: dict[str, str] = Depends(form_fields),
                       user: User = Depends(admin_user)) -> Response:
    try:
        with writing(request) as s:
            undo_merge(s, merge_id, actor=user.name,
                       reviewers_required=state(request).protocol.review.reviewers_by_stage)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return _back(request, form)
