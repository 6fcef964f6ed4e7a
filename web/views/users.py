"""Admin: the team's accounts (list, add, disable, enable). The CLI does the same (`livereview user …`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.store.accounts import AccountError, User, add_user, disable_user, enable_user, list_users, require_user
from livereview.web.context import admin_user, get_db, render, writing
from livereview.web.errors import BadRequest
from livereview.web.passwords import WeakPassword, hash_password
from livereview.web.security import form_fields

router = APIRouter()


@router.get("/users", name="users")
def users(request: Request, db: Session = Depends(get_db), user: User = Depends(admin_user)) -> Response:
    return render(request, "users.html", user=user, title="Users", users=list_users(db))


@router.post("/users", name="users_add")
def users_add(request: Request, form: dict[str, str] = Depends(form_fields),
              user: User = Depends(admin_user)) -> Response:
    try:
        hashed = hash_password(form.get("password", ""))
        with writing(request) as s:
            add_user(s, form.get("name", "").strip(), hashed, admin=form.get("admin") == "1", actor=user.name)
    except (AccountError, WeakPassword) as exc:
        raise BadRequest(str(exc)) from exc
    return RedirectResponse(request.scope.get("root_path", "") + "/users", status_code=303)


@router.post("/users/{name}/disable", name="users_disable")
def users_disable(request: Request, name: str, user: User = Depends(admin_user)) -> Response:
    if name == user.name:
        raise BadRequest("you cannot disable your own account")
    with writing(request) as s:
        try:
            disable_user(s, require_user(s, name), actor=user.name)
        except AccountError as exc:
            raise BadRequest(str(exc)) from exc
    return RedirectResponse(request.scope.get("root_path", "") + "/users", status_code=303)


@router.post("/users/{name}/enable", name="users_enable")
def users_enable(request: Request, name: str, user: User = Depends(admin_user)) -> Response:
    with writing(request) as s:
        try:
            enable_user(s, require_user(s, name), actor=user.name)
        except AccountError as exc:
            raise BadRequest(str(exc)) from exc
    return RedirectResponse(request.scope.get("root_path", "") + "/users", status_code=303)
