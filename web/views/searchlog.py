"""The PRISMA-S search log page and its downloads (CSV, Markdown, HTML appendix)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.reports import searchlog as render_log
from livereview.store.accounts import User
from livereview.store.searchlog import DEDUP_METHOD, search_log, totals_by_query
from livereview.web.context import current_user, get_db, render, state
from livereview.web.errors import BadRequest

router = APIRouter()
FORMATS = {"csv": ("text/csv; charset=utf-8", render_log.to_csv),
           "md": ("text/markdown; charset=utf-8", render_log.to_markdown),
           "html": ("text/html; charset=utf-8", render_log.to_html)}


@router.get("/search-log", name="search_log")
def search_log_page(request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    entries = search_log(db)
    table = Markup(render_log.to_html_table(list(reversed(entries)), collapse=True))  # noqa: S704 - every cell escaped there
    return render(request, "searchlog.html", user=user, title="Search log", entries=entries, table=table,
                  dedup=DEDUP_METHOD, domains=totals_by_query(entries, state(request).protocol.domains),
                  domain_note=render_log.DOMAIN_LOG_NOTE)


@router.get("/search-log/search-log.{fmt}", name="search_log_file")
def search_log_file(request: Request, fmt: str, db: Session = Depends(get_db),
                    user: User = Depends(current_user)) -> Response:
    if fmt not in FORMATS:
        raise BadRequest(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    media, make = FORMATS[fmt]
    entries = search_log(db)
    body = (render_log.to_markdown(entries, domains=totals_by_query(entries, state(request).protocol.domains))
            if fmt == "md" else make(entries))
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="search-log.{fmt}"'})
