"""The living PRISMA 2020 diagram: inline SVG with an as-of date, downloads as SVG, PNG, CSV and JSON."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.reports import prisma_files
from livereview.reports.dashboard import PAGES
from livereview.reports.excluded import excluded_studies
from livereview.reports.excluded import to_csv as excluded_csv
from livereview.reports.prisma_diagram import prisma_png, prisma_svg
from livereview.reports.recount import Recount
from livereview.store.accounts import User
from livereview.store.cache import cached
from livereview.store.clock import as_utc
from livereview.store.db import reading
from livereview.store.models import Run
from livereview.store.prisma import (
    DOMAIN_NOTE,
    LABELS,
    DomainTable,
    cached_prisma_counts,
    domain_counts,
    prisma_counts,
    store_version,
)
from livereview.web.context import current_user, get_db, render, state
from livereview.web.errors import BadRequest
from livereview.web.views.dashboard import viewer

router = APIRouter()
MEDIA = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8",
         "json": "application/json"}


def _as_of(value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"as_of must be a date (YYYY-MM-DD), not {value[:20]!r}") from exc
    if day > date.today():
        raise BadRequest("as_of is in the future")
    return day


def display_names(request: Request) -> dict[str, str]:
    """The protocol's own labels of its manual databases: the diagram prints them instead of the slugs."""
    return {name: m.label for name, m in state(request).protocol.manual.items()}


def _counts(request: Request, db: Session, day: date | None, version: tuple):  # noqa: ANN202
    st = state(request)
    reasons = [r for r, _ in st.protocol.exclusion_reasons]
    return cached_prisma_counts(db, reasons, as_of=day, reviewers_required=st.reviewers_required, version=version)


def _domains(request: Request, db: Session, day: date | None, version: tuple) -> DomainTable | None:
    """The per-domain columns (the protocol's named queries), cached like the counts; None without domains."""
    st = state(request)
    if not st.protocol.domains:
        return None
    reasons = [r for r, _ in st.protocol.exclusion_reasons]
    return cached(("prisma.domains", str(st.engine.url), version, day, tuple(reasons)),
                  lambda: domain_counts(db, reasons, st.protocol.domains, as_of=day,
                                        reviewers_required=st.reviewers_required))


def _page(request: Request, db: Session, user: User | None, as_of: str, public: bool) -> Response:
    day = _as_of(as_of)
    st = state(request)
    reasons = [r for r, _ in st.protocol.exclusion_reasons]

    def make():  # noqa: ANN202
        with reading(st.engine) as session:
            return prisma_counts(session, reasons, as_of=day, reviewers_required=st.reviewers_required)

    # the page answers at once with the last diagram while a changed store is recounted (downloads are exact)
    job = Recount.on(st.engine, prisma_counts, reasons=reasons, as_of=day, reviewers_required=st.reviewers_required)
    c, stale, computed_at, version = PAGES.get(("prisma", str(st.engine.url), day, tuple(reasons)),
                                               store_version(db), make, job=job)
    names = display_names(request)
    svg = cached(("prisma.svg", version, day), lambda: prisma_svg(c, st.protocol.exclusion_reasons, names))
    updates = sorted({as_utc(t).date() for t in db.scalars(  # type: ignore[union-attr]
        select(func.min(Run.started_at)).group_by(func.date(Run.started_at)))}, reverse=True)[:60]
    domains = _domains(request, db, day, version)   # the paper's two domains, each its own column (issue 19)
    figure = Markup(svg)  # noqa: S704 - reports.prisma_diagram escapes every label (tests/reports)
    excluded = None if public or user is None else cached(
        ("prisma.excluded", str(st.engine.url), version, day),
        lambda: excluded_studies(db, st.protocol.exclusion_reasons, as_of=day,
                                 reviewers_required=st.reviewers_required))
    return render(request, "prisma.html", user=user, title="PRISMA 2020", c=c, svg=figure, as_of=day,
                  updates=updates, today=date.today(), labels=LABELS, public=public, problems=c.problems(),
                  stale=stale, computed_at=computed_at, excluded=excluded, domains=domains,
                  domain_note=DOMAIN_NOTE,
                  base="public_prisma_file" if public else "prisma_file")


@router.get("/prisma", name="prisma")
def prisma(request: Request, as_of: str = "", db: Session = Depends(get_db),
           user: User | None = Depends(viewer)) -> Response:
    return _page(request, db, user, as_of, public=False)


@router.get("/public/prisma", name="public_prisma")
def public_prisma(request: Request, as_of: str = "", db: Session = Depends(get_db),
                  user: User | None = Depends(viewer)) -> Response:
    return _page(request, db, None, as_of, public=True)


def _file(request: Request, db: Session, fmt: str, as_of: str) -> Response:
    if fmt not in MEDIA:
        raise BadRequest(f"unknown format {fmt!r}; one of {', '.join(MEDIA)}")
    day = _as_of(as_of)
    version = store_version(db)
    c = _counts(request, db, day, version)
    reasons = state(request).protocol.exclusion_reasons
    key = ("prisma", fmt, str(state(request).engine.url), version, day)
    if fmt == "svg":
        body: str | bytes = cached(key, lambda: prisma_svg(c, reasons, display_names(request)))
    elif fmt == "png":
        body = cached(key, lambda: prisma_png(c, reasons, display_names(request)))
    elif fmt == "csv":
        body = prisma_files.to_csv(c, _domains(request, db, day, version))
    else:
        body = prisma_files.to_json(c, _domains(request, db, day, version))
    name = f"prisma-{c.day:%Y-%m-%d}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/prisma/excluded.csv", name="prisma_excluded")
def prisma_excluded(request: Request, as_of: str = "", db: Session = Depends(get_db),
                    user: User = Depends(current_user)) -> Response:
    """PRISMA 2020 item 16b: the reports excluded at full text with their reasons, as CSV (signed-in users)."""
    day = _as_of(as_of)
    st = state(request)
    rows = excluded_studies(db, st.protocol.exclusion_reasons, as_of=day, reviewers_required=st.reviewers_required)
    name = f"excluded-studies-{(day or date.today()):%Y-%m-%d}.csv"
    return Response(excluded_csv(rows), media_type=MEDIA["csv"],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/prisma/prisma.{fmt}", name="prisma_file")
def prisma_file(request: Request, fmt: str, as_of: str = "", db: Session = Depends(get_db),
                user: User | None = Depends(viewer)) -> Response:
    return _file(request, db, fmt, as_of)


@router.get("/public/prisma/prisma.{fmt}", name="public_prisma_file")
def public_prisma_file(request: Request, fmt: str, as_of: str = "", db: Session = Depends(get_db),
                       user: User | None = Depends(viewer)) -> Response:
    return _file(request, db, fmt, as_of)
