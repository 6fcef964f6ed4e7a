"""What a view gets: the app's state, a store session, the current user, and ``render``.

A view declares what it needs::

    @router.get("/things", name="things")
    def things(request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)):
        return render(request, "things.html", user=user, title="Things", rows=...)

``get_db`` is a read-only session for the request; writes go through ``with writing(request) as s:``
(one transaction, committed at the end of the block). ``current_user`` raises LoginRequired (the
handler sends the browser to the login page and back), ``admin_user`` raises Forbidden for reviewers.

Under load (issue 24): an endpoint that touches the store is a plain ``def`` (Starlette runs it in its thread
pool; an ``async def`` one would block the event loop, and with it every other request, while it waits for the
database); it takes the form through ``Depends(form_fields)``. The sign-in check reads the session in its own
short transaction and gives the connection back at once, so a request holds at most one pooled connection, and
only while it works on the store. A decision is written and committed before the response is sent: an answered
decision is stored, and one the store could not take in time (pool or lock wait over its bound) is answered
503 with nothing stored. The one gap HTTP leaves: a client that goes away after the commit never reads the
answer — the decision is stored, and the record page shows it when the reviewer comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import NoMatchFound

from livereview.protocols.model import Protocol
from livereview.settings import Settings
from livereview.store.accounts import User, WebSession, session_user
from livereview.store.db import reading, transaction
from livereview.store.models import Work
from livereview.web.errors import Forbidden, LoginRequired, NotFound
from livereview.web.security import ANON_COOKIE, SESSION_COOKIE, csrf_token, set_cookie, sign, unsign

TEMPLATES = Path(str(resources.files("livereview.web") / "templates"))
STATIC = Path(str(resources.files("livereview.web") / "static"))


@dataclass(frozen=True)
class NavItem:
    """A navigation entry; shown only when a route of that name exists (and to admins when ``admin``)."""

    route: str
    label: str
    admin: bool = False


# The site's navigation, in order. A page appears once a view registers a route with the name.
NAV: tuple[NavItem, ...] = (
    NavItem("queue", "Queue"),
    NavItem("records", "Records"),
    NavItem("dashboard", "Dashboard"),
    NavItem("prisma", "PRISMA"),
    NavItem("extraction", "Extraction"),
    NavItem("appraisal", "Appraisal"),
    NavItem("releases", "Versions"),
    NavItem("duplicates", "Duplicates"),
    NavItem("search_log", "Search log"),
    NavItem("exports", "Exports"),
    NavItem("upload", "Import", admin=True),
    NavItem("tags", "Tags", admin=True),
    NavItem("agreement", "Agreement", admin=True),
    NavItem("users", "Users", admin=True),
)


@dataclass
class WebState:
    """Everything the app was built with; on ``app.state.web``."""

    engine: Engine
    protocol: Protocol
    settings: Settings
    secret: bytes
    orderings: dict[str, Callable[..., Any]]
    throttle: Any
    retrain: bool = True          # retrain the relevance ranker in the background after decisions
    #: the open-access finder (flows/fulltext.py, handed in by whoever builds the app): ``(engine, work_id)``
    fulltext_finder: Callable[[Engine, int], Any] | None = None
    importer: Callable[..., str] | None = None   # runs an uploaded export (flows.file_import.UploadImporter)
    templates: Environment = field(init=False)
    _cache: dict[str, tuple[float, Any]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.templates = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                                     autoescape=select_autoescape(default=True, default_for_string=True),
                                     trim_blocks=True, lstrip_blocks=True)

    @property
    def reviewers_required(self) -> int:
        return self.protocol.review.reviewers_per_record

    @property
    def reviewers_by_stage(self) -> dict[str, int]:
        """Votes each screening stage needs (the protocol may set the stages apart)."""
        return dict(self.protocol.review.reviewers_by_stage)

    def cached(self, key: str, ttl: float, compute: Callable[[], Any]) -> Any:
        """A value recomputed at most every ``ttl`` seconds (menus that change only when a run or import lands)."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is None or now - hit[0] > ttl:
            hit = (now, compute())
            self._cache[key] = hit
        return hit[1]

    def cached_until_changed(self, key: str, fingerprint: Callable[[], Any], compute: Callable[[], Any], *,
                             at_most_every: float = 0.0) -> Any:
        """A value recomputed only when ``fingerprint()`` (something cheap to read that changes with its inputs)
        differs from the last time, and then at most every ``at_most_every`` seconds: costly summaries a page
        shows on every load. Under a stream of votes the inputs change on every page view; without the bound
        each view would recompute (issue 24: the queue page's stopping estimate took the CPU from the votes)."""
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[2] < at_most_every:
            return hit[1]
        mark = fingerprint()
        hit = (mark, compute(), now) if hit is None or hit[0] != mark else (mark, hit[1], now)
        self._cache[key] = hit
        return hit[1]


def work_or_404(db: Session, work_id: int) -> Work:
    """The record a page or an action is about; 404 when there is none."""
    work = db.get(Work, work_id)
    if work is None:
        raise NotFound(f"no record {work_id}")
    return work


def state(request: Request) -> WebState:
    return request.app.state.web


def get_db(request: Request) -> Iterator[Session]:
    """A read-only store session for this request."""
    with reading(state(request).engine) as session:
        yield session


@contextmanager
def writing(request: Request) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on any exception."""
    with transaction(state(request).engine) as session:
        yield session


def _next_target(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return target if request.method == "GET" else "/"


def optional_session(request: Request) -> tuple[WebSession, User] | None:
    """The signed-in session and user, or None. Read in its own short transaction: the connection goes back to
    the pool before the view runs (never held, idle in transaction, for the rest of the request)."""
    cached = getattr(request.state, "auth", False)
    if cached is not False:
        return cached
    token = unsign(state(request).secret, request.cookies.get(SESSION_COOKIE))
    found = None
    if token:
        with reading(state(request).engine) as db:
            found = session_user(db, token)
            if found is not None:
                db.expunge(found[0])
                db.expunge(found[1])
    request.state.auth = found
    return found


def current_user(request: Request, auth: tuple[WebSession, User] | None = Depends(optional_session)) -> User:
    """The signed-in, active user; otherwise LoginRequired (disabled users and ended sessions included)."""
    if auth is None:
        raise LoginRequired(_next_target(request))
    return auth[1]


def current_session(request: Request, auth: tuple[WebSession, User] | None = Depends(optional_session)) -> WebSession:
    if auth is None:
        raise LoginRequired(_next_target(request))
    return auth[0]


def admin_user(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise Forbidden("only an admin can do this")
    return user


def url_path(request: Request, route_name: str, **params: Any) -> str:
    """The path of a named route, under the app's root path (when mounted behind a proxy prefix)."""
    return request.scope.get("root_path", "") + request.app.url_path_for(route_name, **params)


def has_route(request: Request, name: str) -> bool:
    try:
        request.app.url_path_for(name)
    except NoMatchFound:
        return False
    return True


def nav_items(request: Request, user: User | None) -> list[dict[str, Any]]:
    if user is None:
        return []
    items = []
    for item in NAV:
        if (item.admin and not user.is_admin) or not has_route(request, item.route):
            continue
        href = url_path(request, item.route)
        items.append({"label": item.label, "href": href, "route": item.route,
                      "active": request.url.path == href or request.url.path.startswith(href + "/")})
    return items


def render(request: Request, template: str, *, user: User | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """Render ``template`` with the base context (user, nav, CSRF token, url helpers) into an HTML response."""
    st = state(request)
    token = csrf_token(st.secret, request)
    base = {
        "request": request, "user": user, "csrf_token": token, "nav": nav_items(request, user),
        "url": lambda route_name, **p: url_path(request, route_name, **p),
        "static": lambda path: request.scope.get("root_path", "") + "/static/" + path,
        "review": st.protocol.review,
    }
    html = st.templates.get_template(template).render(**base, **context)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:
        set_cookie(response, request, ANON_COOKIE, sign(st.secret, new_anon, "anon"), max_age=None)
    return response
