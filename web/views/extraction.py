"""Extraction pages (issue 21): the included studies' extraction status, the form (two extractors, blind to each
other until both submit), and the cross-check where a checker records the final values with notes.

The rules live in store/extraction.py; this module turns a form into values and a refusal into a 400 (nothing
stored: the write transaction is rolled back).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.protocols.extraction import Extraction, ExtractionField
from livereview.store import extraction as ex
from livereview.store.accounts import User
from livereview.store.models import Work
from livereview.store.screening import INCLUDED
from livereview.web.context import current_user, get_db, render, state, work_or_404, writing
from livereview.web.errors import BadRequest, Forbidden, NotFound
from livereview.web.security import form_fields

router = APIRouter()
#: a multi-choice field's boxes are named ``<field>|<choice>`` (a form field keeps only its last value)
MULTI_SEP = "|"
MAX_TEXT = 5000


def _spec(request: Request) -> Extraction:
    spec = state(request).protocol.extraction
    if spec is None:
        raise NotFound("this protocol has no [extraction] section")
    return spec


def values_from_form(spec: Extraction, form: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """The form's values per field (a multi field from its ticked boxes); checking is the store's."""
    out: dict[str, Any] = {}
    for name, field in spec.fields.items():
        key = prefix + name
        if field.type == "multi":
            out[name] = [k.split(MULTI_SEP, 1)[1] for k, v in form.items()
                         if k.startswith(key + MULTI_SEP) and v]
        else:
            value = form.get(key, "")
            if len(value) > MAX_TEXT:
                raise BadRequest(f"{name}: longer than {MAX_TEXT} characters")
            out[name] = value
    return out


def show(field: ExtractionField | None, value: Any) -> str:
    """A stored value as text (a list joined, an empty one as a dash)."""
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def groups(spec: Extraction) -> list[tuple[str, list[tuple[str, ExtractionField]]]]:
    """The fields under their group headings (the paper's eight variables), in protocol order."""
    out: list[tuple[str, list[tuple[str, ExtractionField]]]] = []
    for name, field in spec.fields.items():
        title = field.group or ""
        if not out or out[-1][0] != title:
            out.append((title, []))
        out[-1][1].append((name, field))
    return out


@router.get("/extraction", name="extraction")
def extraction_list(request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    """Every included study with where its extraction stands; open ones first."""
    _spec(request)
    rows = []
    for work_id in ex.included_work_ids(db):
        st = ex.state(db, work_id)
        work = db.get(Work, work_id)
        final = st.reconciled
        rows.append({"work": work, "state": st, "mine": user.name in st.extractors,
                     "provenance": final.provenance if final else None})
    rows.sort(key=lambda r: (r["state"].reconciled is not None, r["work"].id))
    open_count = sum(1 for r in rows if r["state"].reconciled is None)
    return render(request, "extraction_list.html", user=user, title="Extraction", rows=rows, open_count=open_count)


@router.get("/works/{work_id}/extraction", name="extraction_form")
def extraction_form(request: Request, work_id: int, db: Session = Depends(get_db),
                    user: User = Depends(current_user)) -> Response:
    spec = _spec(request)
    work = work_or_404(db, work_id)
    st = ex.state(db, work_id)
    visible = ex.visible_extractions(db, work_id, user.name)
    mine = visible.get(user.name)
    can_submit = (st.reconciled is None and work.status == INCLUDED and len(st.extractors) < 2
                  and (not spec.extractors or user.name in spec.extractors))
    return render(request, "extraction_form.html", user=user, title=f"Extraction · {work.title or work.id}",
                  work=work, st=st, mine=mine, groups=groups(spec), can_submit=can_submit, show=show,
                  sep=MULTI_SEP, final=st.reconciled, prefill=(mine.values if mine else {"domain": work.domain}))


@router.post("/works/{work_id}/extraction", name="extraction_submit")
def extraction_submit(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                      user: User = Depends(current_user)) -> Response:
    st = state(request)
    spec = _spec(request)
    with writing(request) as s:
        work_or_404(s, work_id)
        try:
            ex.submit_extraction(s, st.protocol, work_id, user.name, values_from_form(spec, form))
        except ex.ExtractionError as exc:
            raise BadRequest(str(exc)) from None
    return RedirectResponse(request.scope.get("root_path", "") + f"/works/{work_id}/extraction?saved=1",
                            status_code=303)


@router.get("/works/{work_id}/cross-check", name="cross_check")
def cross_check(request: Request, work_id: int, db: Session = Depends(get_db),
                user: User = Depends(current_user)) -> Response:
    """The two extractions side by side, field by field, and the checker's final values with notes."""
    spec = _spec(request)
    work = work_or_404(db, work_id)
    both = ex.extractions(db, work_id)
    if len(both) < 2:
        raise Forbidden(f"the cross-check opens when both extractions are in ({len(both)} of 2): "
                        "extractors stay blind to each other until then")
    (name_a, a), (name_b, b) = sorted(both.items())[:2]
    names = list(spec.fields)
    differ = set(ex.differences(a.values, b.values, names))
    final = ex.reconciled(db, work_id)
    prefill = final.values if final is not None and final.provenance == "cross-check" else {
        n: a.values.get(n) for n in names}
    may_check = user.name not in both and (not spec.checkers or user.name in spec.checkers)
    return render(request, "cross_check.html", user=user, title=f"Cross-check · {work.title or work.id}",
                  work=work, groups=groups(spec), a=a, b=b, name_a=name_a, name_b=name_b, differ=differ,
                  final=final, prefill=prefill, show=show, sep=MULTI_SEP, may_check=may_check)


@router.post("/works/{work_id}/cross-check", name="cross_check_submit")
def cross_check_submit(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                       user: User = Depends(current_user)) -> Response:
    st = state(request)
    spec = _spec(request)
    values = values_from_form(spec, form, prefix="final.")
    notes = {n: form.get(f"note.{n}", "")[:2000] for n in spec.fields if form.get(f"note.{n}")}
    with writing(request) as s:
        work_or_404(s, work_id)
        try:
            ex.reconcile(s, st.protocol, work_id, user.name, values, notes=notes, note=form.get("note", "")[:2000])
        except ex.ExtractionError as exc:
            raise BadRequest(str(exc)) from None
    return RedirectResponse(request.scope.get("root_path", "") + f"/works/{work_id}/cross-check?saved=1",
                            status_code=303)
