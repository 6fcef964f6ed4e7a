"""The app factory: ``create_app(settings)`` builds the FastAPI app with its store, protocol and security.

Nothing is created at import time; ``livereview web`` (and the tests) call the factory. Views live in
``web/views/<page>.py``, each with a ``router``; :data:`web.views.ROUTERS` lists them in order.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from livereview.errors import ConfigError
from livereview.protocols.model import Protocol
from livereview.settings import Settings
from livereview.store.db import StoreBusy, refresh_statistics
from livereview.web.context import STATIC, WebState, render
from livereview.web.edge import storable_input
from livereview.web.errors import HTTPError, LoginRequired
from livereview.web.queue import ORDERINGS
from livereview.web.security import LoginThrottle, SecurityHeaders, enforce_csrf
from livereview.web.views import ROUTERS

log = logging.getLogger(__name__)
MIN_SECRET = 32
#: seconds a thread may keep the interpreter before another one gets it (Python's default: 0.005). The request
#: threads mostly wait on the store; one that holds the store's write lock needs the interpreter back after every
#: statement, and at 5 ms a turn behind the busy threads a decision's eight statements took tens of milliseconds
#: while every other writer queued behind it (issue 24). Shorter turns let it finish and let go.
SWITCH_INTERVAL = 0.0005


def secret_from(settings: Settings) -> bytes:
    """The signing key, from the environment only; refused when missing or short."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value():
        raise ConfigError("LIVEREVIEW_SECRET_KEY is not set: the web app signs its cookies with it. Make one with "
                          "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'` and keep it secret")
    secret = settings.secret_key.get_secret_value()
    if len(secret) < MIN_SECRET:
        raise ConfigError(f"LIVEREVIEW_SECRET_KEY: too short ({len(secret)} characters); use at least {MIN_SECRET}")
    return secret.encode()


def create_app(settings: Settings, *, engine: Engine, protocol: Protocol,
               orderings: dict[str, Callable[..., Any]] | None = None,
               throttle: LoginThrottle | None = None, retrain: bool = True,
               fulltext_finder: Callable[[Engine, int], Any] | None = None,
               importer: Callable[..., str] | None = None) -> FastAPI:
    """Build the web app over a store and protocol the caller opened (:func:`livereview.store.context.open_store`,
    which also disposes of the engine). ``orderings`` names the queue orders offered (default: by relevance,
    newest first); ``retrain`` retrains the relevance ranker in the background after decisions (off only to time
    pages alone); ``fulltext_finder`` looks for a record's open-access copy on its first view at full text (the CLI
    hands in :func:`livereview.flows.fulltext.finder_for`; None: only the monitor looks); ``importer`` runs an
    export an admin uploads (``flows.file_import.UploadImporter``, which the web layer may not import itself;
    without it the Import page says so)."""
    secret = secret_from(settings)
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    app = FastAPI(title="livereview", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(enforce_csrf), Depends(storable_input)])
    app.state.web = WebState(
        engine=engine, protocol=protocol,
        settings=settings, secret=secret, orderings=dict(orderings or ORDERINGS),
        throttle=throttle or LoginThrottle(), retrain=retrain, fulltext_finder=fulltext_finder,
        importer=importer)
    refresh_statistics(app.state.web.engine)   # SQLite plans the queue well only with statistics
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(HTTPError, handle_error)
    app.add_exception_handler(StarletteHTTPException, handle_error)
    app.add_exception_handler(RequestValidationError, handle_error)
    app.add_exception_handler(StoreBusy, handle_error)
    app.add_exception_handler(PoolTimeout, handle_error)
    return app


def iter_routes(routes: Any) -> Any:
    """Every leaf route of the app (FastAPI >= 0.150 keeps included routers as objects: look inside them)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from iter_routes(inner.routes)
        else:
            yield route


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one error handler: typed errors (and Starlette's own 404/405, bad parameters) as a page or JSON."""
    if isinstance(exc, HTTPError):
        err = exc
    elif isinstance(exc, StarletteHTTPException):
        err = HTTPError(exc.detail if isinstance(exc.detail, str) else None)
        err.status, err.title = exc.status_code, {404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "Error")
        if not isinstance(exc.detail, str) or exc.status_code == 404:
            err.message = err.title
    elif isinstance(exc, (StoreBusy, PoolTimeout)):   # the write (one transaction) was rolled back
        err = HTTPError("The store is busy: nothing was saved. Try again in a moment.", headers={"Retry-After": "2"})
        err.status, err.title = 503, "Busy"
    else:  # RequestValidationError: a parameter of the wrong type
        err = HTTPError("a parameter is missing or malformed")
        err.status, err.title = 400, "Bad request"
    if isinstance(err, LoginRequired):
        if _wants_json(request):
            return JSONResponse({"error": err.message}, status_code=401)
        target = request.scope.get("root_path", "") + "/login"
        if err.next_url and err.next_url != "/":
            target += "?next=" + quote(err.next_url, safe="/")
        return RedirectResponse(target, status_code=303)
    if err.status >= 500:
        log.error("web: %s %s: %s", request.method, request.url.path, err.message)
    if _wants_json(request):
        return JSONResponse({"error": err.message}, status_code=err.status, headers=err.headers)
    auth = getattr(request.state, "auth", None)
    return render(request, "error.html", user=auth[1] if auth else None, status_code=err.status,
                  headers=err.headers, title=err.title, error=err)
