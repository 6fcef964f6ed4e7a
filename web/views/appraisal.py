"""QATSDD appraisal pages (issue 21): the included studies' appraisal status with the raters' agreement (weighted
kappa per item and overall), the rating form (two raters, blind to each other until both submit), and the
resolution of per-item disagreements by discussion or a third reviewer.

The rules live in store/appraisal.py; a refusal (not a rater, a score outside 0-3) is a 400 with nothing stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.store import appraisal as ap
from livereview.store import extraction as ex
from livereview.store.accounts import User
from livereview.store.models import Work
from livereview.store.screening import INCLUDED
from livereview.web.agreement import weighted_kappa
from livereview.web.context import current_user, get_db, render, state, work_or_404, writing
from livereview.web.errors import BadRequest
from livereview.web.security import form_fields

router = APIRouter()
#: the weights of the kappa shown (web.agreement.weighted_kappa): quadratic, the usual choice for ordinal scales
WEIGHTS = "quadratic"


def judgement_from_form(form: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """status, design, scores and reason as the form sent them; the store checks them."""
    status = form.get(prefix + "status", ap.SCORED)
    scores = {n: form[f"{prefix}item{n}"] for n in ap.ITEMS if form.get(f"{prefix}item{n}", "") != ""}
    for key in form:
        if key.startswith(prefix + "item") and key[len(prefix) + 4:] not in {str(n) for n in ap.ITEMS}:
            raise BadRequest(f"{key}: not a QATSDD item (1-16)")
    design = form.get(prefix + "design") or None
    if status == ap.NOT_APPRAISED:
        return {"status": status, "design": None, "scores": {}, "reason": form.get(prefix + "reason", "")[:2000]}
    if design in ap.DESIGNS:   # items the design does not use are left out (their boxes may still be ticked)
        scores = {n: v for n, v in scores.items() if n in ap.applicable_items(design)}
    return {"status": status, "design": design, "scores": scores, "reason": None}


def agreement_table(db: Session) -> dict[str, Any]:
    """Weighted kappa per item and over all items pooled, over the studies both raters scored."""
    pairs = ap.item_pairs(db)
    per_item = [{"n": n, "text": ap.ITEMS[n][0], "pairs": len(p), "kappa": weighted_kappa(p, weights=WEIGHTS),
                 "agree": (sum(1 for a, b in p if a == b) / len(p)) if p else None} for n, p in pairs.items()]
    pooled = [pair for p in pairs.values() for pair in p]
    studies = len({w for w in ex.included_work_ids(db) if len(ap.ratings(db, w)) >= 2})
    return {"items": per_item, "overall": weighted_kappa(pooled, weights=WEIGHTS), "pairs": len(pooled),
            "agree": (sum(1 for a, b in pooled if a == b) / len(pooled)) if pooled else None, "studies": studies,
            "weights": WEIGHTS}


@router.get("/appraisal", name="appraisal")
def appraisal_list(request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    rows = []
    for work_id in ex.included_work_ids(db):
        ratings = ap.ratings(db, work_id)
        final = ap.final_appraisal(db, work_id)
        if final is not None:
            stage = final["status"]
        elif len(ratings) >= 2:
            stage = "disagreement"
        else:
            stage = f"rating ({len(ratings)} of 2)"
        rows.append({"work": db.get(Work, work_id), "final": final, "stage": stage, "raters": len(ratings),
                     "mine": user.name in ratings})
    rows.sort(key=lambda r: (r["final"] is not None, r["work"].id))
    return render(request, "appraisal_list.html", user=user, title="Appraisal (QATSDD)", rows=rows,
                  open_count=sum(1 for r in rows if r["final"] is None), agreement=agreement_table(db))


@router.get("/works/{work_id}/appraisal", name="appraisal_form")
def appraisal_form(request: Request, work_id: int, db: Session = Depends(get_db),
                   user: User = Depends(current_user)) -> Response:
    st = state(request)
    work = work_or_404(db, work_id)
    ratings = ap.ratings(db, work_id)
    visible = ap.visible_ratings(db, work_id, user.name)
    mine = visible.get(user.name)
    final = ap.final_appraisal(db, work_id)
    raters = st.protocol.appraisal.raters
    can_rate = (final is None and work.status == INCLUDED and len(ratings) < 2
                and (not raters or user.name in raters))
    both = list(ratings.values())[:2] if len(ratings) >= 2 else []
    disagreed = ap.disagreements(both[0], both[1]) if both else []
    # a hint from the extraction: its publication type (not appraised?) and its methodology (the design)
    extracted = ex.reconciled(db, work_id) or next(iter(visible_extractions(db, work_id, user.name)), None)
    values = extracted.values if extracted else {}
    ptype = values.get(st.protocol.appraisal.publication_type_field)
    suggest_not = ptype in st.protocol.appraisal.not_appraised
    design = values.get(st.protocol.appraisal.design_field)
    prefill = ({"status": mine.status, "design": mine.design, "scores": {int(k): v for k, v in mine.scores.items()},
                "reason": mine.reason} if mine else
               {"status": ap.NOT_APPRAISED if suggest_not else ap.SCORED,
                "design": design if design in ap.DESIGNS else None, "scores": {},
                "reason": f"{ptype}: QATSDD does not fit this publication type" if suggest_not else ""})
    if both and final is None:
        first = both[0]
        prefill_res = {"status": first.status, "design": first.design,
                       "scores": {int(k): v for k, v in first.scores.items()}, "reason": first.reason}
    else:
        prefill_res = prefill
    return render(request, "appraisal_form.html", user=user, title=f"Appraisal · {work.title or work.id}",
                  work=work, items=ap.ITEMS, scale=ap.SCALE, designs=ap.DESIGNS, ratings=ratings, mine=mine,
                  final=final, can_rate=can_rate, both=both, disagreed=disagreed, prefill=prefill,
                  prefill_res=prefill_res, ptype=ptype, suggest_not=suggest_not, applicable=ap.applicable_items,
                  max_score=ap.max_score, is_rater=user.name in ratings)


def visible_extractions(db: Session, work_id: int, viewer: str) -> list[Any]:
    """The viewer's own extraction, if any (a hint for the design; never another extractor's values)."""
    own = ex.visible_extractions(db, work_id, viewer).get(viewer)
    return [own] if own is not None else []


@router.post("/works/{work_id}/appraisal", name="appraisal_submit")
def appraisal_submit(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                     user: User = Depends(current_user)) -> Response:
    st = state(request)
    with writing(request) as s:
        work_or_404(s, work_id)
        try:
            ap.submit_rating(s, st.protocol, work_id, user.name, **judgement_from_form(form),
                             note=form.get("note", "")[:2000])
        except ap.AppraisalError as exc:
            raise BadRequest(str(exc)) from None
    return RedirectResponse(request.scope.get("root_path", "") + f"/works/{work_id}/appraisal?saved=1",
                            status_code=303)


@router.post("/works/{work_id}/appraisal/resolve", name="appraisal_resolve")
def appraisal_resolve(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                      user: User = Depends(current_user)) -> Response:
    st = state(request)
    with writing(request) as s:
        work_or_404(s, work_id)
        try:
            ap.resolve(s, st.protocol, work_id, user.name, method=form.get("method", ""),
                       **judgement_from_form(form, prefix="res."), note=form.get("note", "")[:2000])
        except ap.AppraisalError as exc:
            raise BadRequest(str(exc)) from None
    return RedirectResponse(request.scope.get("root_path", "") + f"/works/{work_id}/appraisal?saved=1",
                            status_code=303)
