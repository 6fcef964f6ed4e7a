"""Sign in and out. The only pages open without a session are the login page and the static files."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.store.accounts import User, WebSession, close_session, get_user, open_session
from livereview.web.context import optional_session, render, state, writing
from livereview.web.passwords import verify_password
from livereview.web.security import (
    ANON_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    form_fields,
    new_token,
    set_cookie,
    sign,
    unsign,
)

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (never another host, never a scheme) — an open redirect otherwise."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(
            c in target for c in "\r\n\\"):
        return "/"
    return target


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/", name="home")
def home(request: Request) -> Response:
    return RedirectResponse(request.scope.get("root_path", "") + "/queue", status_code=303)


@router.get("/login", name="login")
def login_page(request: Request, next: str = "/",  # noqa: A002
               auth: tuple[WebSession, User] | None = Depends(optional_session)) -> Response:
    if auth is not None:
        return RedirectResponse(request.scope.get("root_path", "") + safe_next(next), status_code=303)
    return render(request, "login.html", title="Sign in", next=safe_next(next))


@router.post("/login", name="login_post")
def login(request: Request, form: dict[str, str] = Depends(form_fields)) -> Response:
    return _login(request, form.get("name", "").strip(), form.get("password", ""), safe_next(form.get("next")))


def _login(request: Request, name: str, password: str, target: str) -> Response:
    st = state(request)
    address = client_address(request)
    wait = st.throttle.retry_after(name, address)
    if wait:
        return render(request, "login.html", title="Sign in", next=target, name=name, status_code=429,
                      headers={"Retry-After": str(wait)},
                      error=f"Too many failed attempts. Try again in {(wait + 59) // 60} minute(s).")
    with writing(request) as s:
        user = get_user(s, name) if name else None
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            st.throttle.failed(name, address)
            return render(request, "login.html", title="Sign in", next=target, name=name, status_code=401,
                          error="Wrong name or password, or the account is disabled.")
        token = new_token()
        open_session(s, user, token, hours=st.settings.session_hours, address=address)
    st.throttle.succeeded(name)
    response = RedirectResponse(request.scope.get("root_path", "") + target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, sign(st.secret, token),
               max_age=int(st.settings.session_hours * 3600))
    clear_cookie(response, request, ANON_COOKIE)
    return response


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    token = unsign(state(request).secret, request.cookies.get(SESSION_COOKIE))
    if token:
        with writing(request) as s:
            close_session(s, token)
    response = RedirectResponse(request.scope.get("root_path", "") + "/login", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response
