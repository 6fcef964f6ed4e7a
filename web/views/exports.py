"""Exports: the store's works as RIS, BibTeX, CSV or ASReview CSV, by status or by a list of ids."""

from __future__ import annotations

import io

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.reports.exports import writer
from livereview.store.accounts import User
from livereview.store.queries import STATUS_FILTERS, works_for_export
from livereview.web.context import current_user, get_db, render
from livereview.web.errors import BadRequest
from livereview.web.review import BLIND_STATUS

router = APIRouter()
FORMATS = {"ris": ("application/x-research-info-systems", "ris"), "bibtex": ("application/x-bibtex", "bib"),
           "csv": ("text/csv; charset=utf-8", "csv"), "asreview": ("text/csv; charset=utf-8", "csv")}
MAX_IDS = 10000
#: blinding (web/review.py): a download must not tell which open records others have voted on, so the web offers
#: no "unscreened" / "screening" selections and writes "queued" / "awaiting-full-text" for records taking votes
WEB_STATUSES = [s for s in STATUS_FILTERS if s not in ("unscreened", "screening", "full-text-screening")]


def _blinded(rows):  # noqa: ANN001, ANN202
    for row in rows:
        yield {**row, "status": BLIND_STATUS.get(row["status"], row["status"])}


@router.get("/exports", name="exports")
def exports(request: Request, user: User = Depends(current_user)) -> Response:
    return render(request, "exports.html", user=user, title="Exports", statuses=WEB_STATUSES,
                  formats=list(FORMATS))


@router.get("/exports/download", name="exports_download")
def download(fmt: str = "ris", status: str = "included", ids: str = "", db: Session = Depends(get_db),
             user: User = Depends(current_user)) -> Response:
    if fmt not in FORMATS:
        raise BadRequest(f"unknown format {fmt!r}")
    if status not in WEB_STATUSES:
        raise BadRequest(f"unknown status {status!r}")
    selection = None
    if ids.strip():
        parts = ids.replace(",", " ").split()
        if not all(p.isdigit() for p in parts) or len(parts) > MAX_IDS:
            raise BadRequest("ids: work numbers separated by commas or spaces")
        selection = [int(p) for p in parts]
    buf = io.StringIO()
    # votes and notes (store/outcomes.py): an admin's on records no longer taking votes, a reviewer's on closed ones
    access = "unblinded" if user.is_admin else "closed"
    writer(fmt)(_blinded(works_for_export(db, status, selection, access=access)), buf)
    media, ext = FORMATS[fmt]
    name = f"livereview-{status}{'-asreview' if fmt == 'asreview' else ''}.{ext}"
    return Response(buf.getvalue(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
