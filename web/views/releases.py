"""Versions of the review in the web app: the list (with any living-review trigger that has fired), each version's
report, and its downloads. Read-only: releasing is `livereview release` (a deliberate step, audited)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.errors import ConfigError, ReleaseError
from livereview.reports import release as render_release
from livereview.store.accounts import User
from livereview.store.models import Release, ThemeTag
from livereview.store.releases import (
    fired_triggers,
    get_release,
    included_works,
    latest_release,
    release_ids,
    releases,
    tag_theme,
    verify,
)
from livereview.web.context import current_user, get_db, render, state, writing
from livereview.web.errors import BadRequest, NotFound
from livereview.web.security import form_fields

router = APIRouter()
FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "json": "application/json"}


def _release(db: Session, version: str) -> Release:
    try:
        return get_release(db, version)
    except ConfigError as exc:
        raise BadRequest(str(exc)) from exc
    except ReleaseError as exc:
        raise NotFound(str(exc)) from exc


@router.get("/releases", name="releases")
def releases_page(request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    rows = [(r, verify(r)) for r in reversed(releases(db))]
    latest = latest_release(db)
    released = release_ids(db, latest) if latest is not None else set()
    new = [w for w in included_works(db) if w.id not in released]
    tags: dict[int, list[ThemeTag]] = {}
    for t in db.scalars(select(ThemeTag).where(ThemeTag.work_id.in_([w.id for w in new])).order_by(ThemeTag.theme)):
        tags.setdefault(t.work_id, []).append(t)
    protocol = state(request).protocol
    return render(request, "releases.html", user=user, title="Versions of the review", rows=rows,
                  triggers=fired_triggers(db, protocol), living=protocol.living, latest=latest, new=new, tags=tags,
                  themes=protocol.synthesis.themes)


@router.post("/releases/themes", name="release_theme")
def release_theme(request: Request, form: dict[str, str] = Depends(form_fields),
                  user: User = Depends(current_user)) -> Response:
    """A reviewer tags a new include with a synthesis theme (and whether it changes the theme's conclusion)."""
    raw = form.get("work_id", "")
    if not raw.isdigit():
        raise BadRequest("work_id must be a work id")
    work_id = int(raw)
    with writing(request) as s:
        try:
            tag_theme(s, state(request).protocol, work_id, form.get("theme", ""),
                      changes_conclusion=form.get("changes") == "yes", note=form.get("note", "")[:2000] or None,
                      reviewer=user.name)
        except ReleaseError as exc:
            raise BadRequest(str(exc)) from None
    return RedirectResponse(request.scope.get("root_path", "") + f"/releases#work-{work_id}", status_code=303)


@router.get("/releases/report.css", name="release_css")
def release_css(user: User = Depends(current_user)) -> Response:
    return Response(render_release.report_css(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


@router.get("/releases/{version}", name="release_page")
def release_page(version: str, request: Request, db: Session = Depends(get_db),
                 user: User = Depends(current_user)) -> Response:
    rel = _release(db, version)
    return render(request, "release.html", user=user, title=f"Version {rel.version}", release=rel,
                  intact=verify(rel), body=render_release.report_body(rel.snapshot, rel.sha256))


@router.get("/releases/{version}/{table}.{fmt}", name="release_file")
def release_file(version: str, table: str, fmt: str, db: Session = Depends(get_db),
                 user: User = Depends(current_user)) -> Response:
    """``report.html|pdf|json`` or ``evidence-table.csv|xlsx|json|html``."""
    if table not in ("report", "evidence-table") or fmt not in FORMATS or \
            (table == "report" and fmt not in ("html", "pdf", "json")):
        raise BadRequest(f"no {table}.{fmt[:10]}: report.html|pdf|json or evidence-table.csv|xlsx|json|html")
    rel = _release(db, version)
    snap = rel.snapshot
    data: str | bytes
    if table == "report":
        if fmt == "json":
            data = json.dumps(snap, indent=2, ensure_ascii=False)
        else:
            html = render_release.report_html(snap, rel.sha256)
            try:
                data = render_release.html_to_pdf(html) if fmt == "pdf" else html
            except ReleaseError as exc:
                raise BadRequest(str(exc)) from exc
    else:
        data = {"csv": render_release.evidence_csv, "xlsx": render_release.evidence_xlsx,
                "json": render_release.evidence_json, "html": render_release.evidence_html}[fmt](snap)
    name = f"review-{rel.version}-{table}.{fmt}"
    return Response(data, media_type=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
