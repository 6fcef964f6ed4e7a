"""Versions of the review in the web app: the list (with any living-review trigger that has fired), each version's
report, and its downloads. Read-only: releasing is `livereview release` (a deliberate step, audited)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.errors import ConfigError, ReleaseError
from livereview.reports import release as render_release
from livereview.store.accounts import User
from livereview.store.models import Release
from livereview.store.releases import fired_triggers, get_release, releases, verify
from livereview.web.context import current_user, get_db, render, state
from livereview.web.errors import BadRequest, NotFound

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
    return render(request, "releases.html", user=user, title="Versions of the review", rows=rows,
                  triggers=fired_triggers(db, state(request).protocol), living=state(request).protocol.living)


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
