"""The dashboard: corpus growth (charts with their numbers), yield per source and query block, run health,
notices; and its public read-only twin (``livereview web --public-dashboard``) without record-level data."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.records.vocabulary import display_name
from livereview.reports.charts import cumulative_svg, per_run_svg
from livereview.reports.dashboard import PAGES, Dashboard, collect, dashboard_version
from livereview.reports.recount import Recount
from livereview.store.accounts import User, WebSession, list_users
from livereview.store.cache import cached
from livereview.store.db import reading
from livereview.web.context import get_db, optional_session, render, state
from livereview.web.errors import LoginRequired
from livereview.web.people import reviewer_progress

log = logging.getLogger(__name__)
router = APIRouter()
SVG_HEADERS = {"Cache-Control": "private, max-age=60"}


def public_enabled(request: Request) -> bool:
    return bool(getattr(request.app.state, "public_dashboard", False))


def viewer(request: Request, auth: tuple[WebSession, User] | None = Depends(optional_session)) -> User | None:
    """The signed-in user, or None on a public page when the public view is on; else sign in first."""
    if auth is not None:
        return auth[1]
    path = request.url.path
    if path.startswith("/public/"):
        if public_enabled(request):
            return None
        path = path.removeprefix("/public")   # the public view is off: sign in and see the full page
    raise LoginRequired(path + ("?" + request.url.query if request.url.query else ""))


_next_run: dict[str, Any] = {}


def next_scheduled_run() -> tuple[str | None, str | None]:
    """(when, what) of the next scheduled flow run, when a Prefect API is configured; cached for a minute."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        return None, None
    if _next_run and time.monotonic() - _next_run["at"] < 60:
        return _next_run["value"]
    value: tuple[str | None, str | None] = (None, "Prefect API unreachable")
    try:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
        from prefect.client.schemas.objects import StateType
        from prefect.client.schemas.sorting import FlowRunSort

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                    any_=[StateType.SCHEDULED]))), sort=FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC, limit=1)
        if runs:
            r = runs[0]
            when = r.next_scheduled_start_time or r.expected_start_time
            value = (f"{when:%Y-%m-%d %H:%M %Z}" if when else None, r.name)
        else:
            value = (None, "no run scheduled")
    except Exception as exc:  # noqa: BLE001 - the dashboard shows the rest; the log says why
        log.warning("dashboard: next scheduled run unknown: %s", exc)
    _next_run.update(at=time.monotonic(), value=value)
    return value


def current_dashboard(request: Request, db: Session) -> tuple[Dashboard, bool, Any, tuple[Any, ...]]:
    """The dashboard for the store's current state, or the last one while it is recomputed (stale=True)."""
    st = state(request)
    sources = list(st.protocol.enabled_sources)

    manual = {name: m.refresh_days for name, m in st.protocol.manual.items()}
    required = st.reviewers_required

    def make() -> Dashboard:
        with reading(st.engine) as session:
            return collect(session, enabled_sources=sources, manual_refresh=manual, reviewers_required=required,
                           baseline=st.protocol.review.baseline_date, living=st.protocol)

    # a recount on a changed store runs in the page cache's own process (never taking the GIL from requests)
    job = Recount.on(st.engine, collect, enabled_sources=sources, manual_refresh=manual,
                     reviewers_required=required, baseline=st.protocol.review.baseline_date)
    return PAGES.get(("dashboard", str(st.engine.url), tuple(sources), required), dashboard_version(db), make,
                     job=job)


def _page(request: Request, db: Session, user: User | None, *, public: bool) -> Response:
    st = state(request)
    dash, stale, computed_at, version = current_dashboard(request, db)
    when, what = next_scheduled_run()
    expansions = set(st.protocol.expansions)
    labels = {name: exp.label for name, exp in st.protocol.expansions.items()}
    labels |= {name: m.label for name, m in st.protocol.manual.items()}
    manual = {name: m.label for name, m in st.protocol.manual.items()}
    shown = {y.name for y in dash.sources} | {h.source for h in dash.health}
    names = {name: display_name(name, manual) for name in shown}   # PubMed, Europe PMC, …: not the slugs
    # the same for every viewer (counts only): computed at most every 15 s (a count per reviewer of the queue)
    progress = [] if public or user is None else st.cached("reviewer-progress", 15.0, lambda: reviewer_progress(
        db, sorted(u.name for u in list_users(db) if u.is_active)))
    return render(request, "dashboard.html", user=user, title="Dashboard", d=dash, public=public, names=names,
                  progress=progress,
                  next_run=when, next_run_note=what, expansions=expansions, labels=labels,
                  chart_version=abs(hash(version)) % 10**10, today=date.today(), stale=stale,
                  computed_at=computed_at)


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, db: Session = Depends(get_db), user: User | None = Depends(viewer)) -> Response:
    return _page(request, db, user, public=False)


@router.get("/public/dashboard", name="public_dashboard")
def public_dashboard(request: Request, db: Session = Depends(get_db), user: User | None = Depends(viewer)) -> Response:
    return _page(request, db, None, public=True)


def _chart(request: Request, db: Session, which: str) -> Response:
    dash, _stale, _at, version = current_dashboard(request, db)
    if which == "growth":
        svg = cached(("growth.svg", version), lambda: cumulative_svg(dash.growth))
    else:
        svg = cached(("runs.svg", version), lambda: per_run_svg(dash.runs, start=dash.growth.baseline or date.today()))
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)


@router.get("/dashboard/growth.svg", name="dashboard_growth_svg")
def growth_svg(request: Request, db: Session = Depends(get_db), user: User | None = Depends(viewer)) -> Response:
    return _chart(request, db, "growth")


@router.get("/dashboard/runs.svg", name="dashboard_runs_svg")
def runs_svg(request: Request, db: Session = Depends(get_db), user: User | None = Depends(viewer)) -> Response:
    return _chart(request, db, "runs")


@router.get("/public/dashboard/growth.svg", name="public_growth_svg")
def public_growth_svg(request: Request, db: Session = Depends(get_db),
                      user: User | None = Depends(viewer)) -> Response:
    return _chart(request, db, "growth")


@router.get("/public/dashboard/runs.svg", name="public_runs_svg")
def public_runs_svg(request: Request, db: Session = Depends(get_db), user: User | None = Depends(viewer)) -> Response:
    return _chart(request, db, "runs")
