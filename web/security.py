"""Sessions, CSRF, security headers and login throttling: everything that keeps the app safe, in one place.

* **Session cookie** ``lr_session``: a random token and its HMAC-SHA256 under ``LIVEREVIEW_SECRET_KEY``;
  HttpOnly, SameSite=Lax, Secure when the request came over HTTPS (directly or through a trusted proxy).
  The store keeps only the token's hash and ends it on logout, expiry or when the user is disabled.
* **CSRF**: the token is an HMAC of the session token (or, before login, of a random ``lr_anon``
  cookie), sent back in a ``csrf_token`` form field or an ``X-CSRF-Token`` header. Every POST, PUT,
  PATCH and DELETE is checked by one app-wide dependency, the login form included.
* **Headers**: a strict Content-Security-Policy (own scripts and styles only, no inline code,
  ``frame-ancestors 'none'``), nosniff, Referrer-Policy, no caching of pages.
* **Throttling**: failed logins counted per user name and per address in a sliding window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livereview.web.errors import BadRequest, CSRFError, PayloadTooLarge

SESSION_COOKIE = "lr_session"
ANON_COOKIE = "lr_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 256 * 1024
#: routes that take a file upload (``multipart/form-data``, one file): a path pattern (under the root path) and the
#: setting that caps the file, in bytes. Everywhere else a multipart body is refused, so nobody makes the app buffer
#: a big body on any other route. The views register their own (``web/views/people.py``, ``fulltext.py``).
UPLOAD_ROUTES: dict[re.Pattern[str], Callable[[Any], int]] = {}


def upload_route(pattern: str, cap: Callable[[Any], int]) -> None:
    """Let the paths matching ``pattern`` take one uploaded file of at most ``cap(settings)`` bytes."""
    UPLOAD_ROUTES[re.compile(pattern)] = cap

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


# -- signing ---------------------------------------------------------------------------------------------------
def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def sign(key: bytes, token: str, purpose: str = "session") -> str:
    return f"{token}.{_mac(key, purpose, token)}"


def unsign(key: bytes, value: str | None, purpose: str = "session") -> str | None:
    """The token inside a signed cookie value, or None when it is missing, malformed or signed with another key."""
    if not value or "." not in value or len(value) > 200:
        return None
    token, _, mac = value.rpartition(".")
    return token if token and hmac.compare_digest(mac, _mac(key, purpose, token)) else None


def csrf_token(key: bytes, request: Request) -> str:
    """The CSRF token for this browser: bound to its session, or to its anonymous cookie before login."""
    session = unsign(key, request.cookies.get(SESSION_COOKIE))
    if session:
        return _mac(key, "csrf-session", session)
    anon = unsign(key, request.cookies.get(ANON_COOKIE), "anon") or getattr(request.state, "new_anon", None)
    if not anon:
        anon = new_token()
        request.state.new_anon = anon  # the response sets the cookie (see SecurityHeaders)
    return _mac(key, "csrf-anon", anon)


def expected_csrf_tokens(key: bytes, request: Request) -> list[str]:
    """The one token this request may carry: its session's when it has a session cookie (an anonymous cookie
    beside it, perhaps planted from a sibling subdomain, is then never enough), else its anonymous cookie's."""
    session = unsign(key, request.cookies.get(SESSION_COOKIE))
    if session:
        return [_mac(key, "csrf-session", session)]
    anon = unsign(key, request.cookies.get(ANON_COOKIE), "anon")
    return [_mac(key, "csrf-anon", anon)] if anon else []


async def form_fields(request: Request) -> dict[str, str]:
    """The form of a POST (read once; cached on the request). Last value wins. URL-encoded everywhere; on an
    upload path (:data:`UPLOAD_PATHS`) also ``multipart/form-data``, whose one file is kept for
    :func:`form_file`. A body over its cap is refused before it is read whole (413)."""
    cached = getattr(request.state, "form_fields", None)
    if cached is not None:
        return cached
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    cap = upload_limit(request) if ctype == "multipart/form-data" else None
    upload = cap is not None
    limit = cap + 64 * 1024 if cap is not None else MAX_FORM_BYTES   # the file and the form around it
    too_large = (f"the upload is over the {round(cap / 1048576, 2):g} MB limit: nothing was stored"
                 if cap is not None else f"the form is over {MAX_FORM_BYTES // 1024} KB: nothing was stored")
    body = await _capped_body(request, limit, too_large)
    fields: dict[str, str] = {}
    if body and ctype == "application/x-www-form-urlencoded":
        try:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                                    max_num_fields=200))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest("malformed form") from exc
    elif body and upload:
        fields = await _multipart(request, body)
    request.state.form_fields = fields
    return fields


def upload_limit(request: Request) -> int | None:
    """The largest file this request's route takes, in bytes; None where no file is taken."""
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    for pattern, cap in UPLOAD_ROUTES.items():
        if pattern.fullmatch(path):
            return cap(request.app.state.web.settings)
    return None


async def _capped_body(request: Request, limit: int, too_large: str) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(too_large)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # noqa: SLF001 - Starlette's own cache: a later request.body() reads it, not the stream
    return body


async def _multipart(request: Request, body: bytes) -> dict[str, str]:
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def stream():  # noqa: ANN202
        yield body

    try:
        form = await MultiPartParser(request.headers, stream(), max_files=1, max_fields=50,
                                     max_part_size=MAX_FORM_BYTES).parse()
    except MultiPartException as exc:
        raise BadRequest(f"malformed upload: {exc.message}") from exc
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[name] = (value.filename or "", await value.read())
            await value.close()
        else:
            fields[name] = value
    request.state.form_files = files
    return fields


def form_file(request: Request, name: str) -> tuple[str, bytes] | None:
    """The uploaded file ``name`` of this request's form (its file name as sent, and its bytes), or None."""
    return getattr(request.state, "form_files", {}).get(name)


async def enforce_csrf(request: Request) -> None:
    """App-wide dependency: a state-changing request must carry this browser's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    key: bytes = request.app.state.web.secret
    sent = request.headers.get(CSRF_HEADER) or (await form_fields(request)).get(CSRF_FIELD, "")
    if not sent or not any(hmac.compare_digest(sent, t) for t in expected_csrf_tokens(key, request)):
        raise CSRFError()


def is_https(request: Request) -> bool:
    """Over HTTPS (uvicorn rewrites the scheme from X-Forwarded-Proto for trusted proxies)."""
    return request.url.scheme == "https"


def set_cookie(response, request: Request, name: str, value: str, *, max_age: int | None) -> None:  # noqa: ANN001
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request),
                        path=request.scope.get("root_path", "") or "/")


def clear_cookie(response, request: Request, name: str) -> None:  # noqa: ANN001
    response.delete_cookie(name, httponly=True, samesite="lax", secure=is_https(request),
                           path=request.scope.get("root_path", "") or "/")


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response (and HSTS over HTTPS)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
                if scope.get("scheme") == "https":
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginThrottle:
    """Failed logins per user name and per address in a sliding window; over the limit, logins wait.

    In memory, per process: run the app as one process (uvicorn's default) or put a limit in the
    proxy as well. A success clears the user's count, not the address's.
    """

    def __init__(self, *, per_user: int = 5, per_address: int = 20, window: float = 900.0) -> None:
        self.per_user, self.per_address, self.window = per_user, per_address, window
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, user: str, address: str) -> int:
        """Seconds to wait before another attempt is allowed (0: go ahead)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in ((f"user:{user.lower()}", self.per_user), (f"addr:{address}", self.per_address)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(int(q[len(q) - limit] + self.window - now) + 1)
            return max(waits, default=0)

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._fails[f"user:{user.lower()}"].append(now)
            self._fails[f"addr:{address}"].append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._fails.pop(f"user:{user.lower()}", None)
