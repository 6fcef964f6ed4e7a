"""People in the loop: tags (admin-defined, put on records by reviewers), comment threads with @mentions, each
user's highlight words, assigning records to reviewers, and the admin's export upload (the CLI's import).

Every change is a POST carrying the CSRF token (the app-wide check), one transaction, audited in the store.
Who may read a thread is web/people.py's rule (blinding).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.errors import LiveReviewError
from livereview.settings import Settings
from livereview.store.accounts import User, get_user, list_users
from livereview.store.assignments import assign, assigned_fewer_than, unassign
from livereview.store.comments import CommentError, add_comment
from livereview.store.highlights import HighlightError, add_word, remove_word, words_for
from livereview.store.models import Work
from livereview.store.tags import (
    PALETTE,
    TagError,
    create_tag,
    delete_tag,
    list_tags,
    recolour_tag,
    tag_work,
    untag_work,
)
from livereview.web.context import admin_user, current_user, get_db, render, state, writing
from livereview.web.errors import BadRequest, NotFound, PayloadTooLarge
from livereview.web.queue import QueueFilter, queue_select
from livereview.web.security import form_fields, form_file, upload_route
from livereview.web.views.queue import queue_filter

router = APIRouter()


def _import_cap(settings: Settings) -> int:
    """The largest export an admin may upload, in bytes (``LIVEREVIEW_UPLOAD_MAX_MB``)."""
    return int(settings.upload_max_mb * 1024 * 1024)


upload_route("/import", _import_cap)
MAX_BATCH = 500
_SOURCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _root(request: Request) -> str:
    return request.scope.get("root_path", "")


def _back_to_work(request: Request, work_id: int, form: dict[str, str], anchor: str = "") -> Response:
    query = urlencode(dict(parse_qsl(form.get("back", ""))))
    return RedirectResponse(f"{_root(request)}/works/{work_id}" + (f"?{query}" if query else "") + anchor,
                            status_code=303)


def _work_exists(db: Session, work_id: int) -> None:
    if db.get(Work, work_id) is None:
        raise NotFound(f"no record {work_id}")


def _int(value: str | None, what: str) -> int:
    if not value or not value.strip().isdigit() or len(value.strip()) > 12:
        raise BadRequest(f"{what} must be a number")
    return int(value)


# -- tags ------------------------------------------------------------------------------------------------------
@router.get("/tags", name="tags")
def tags_page(request: Request, db: Session = Depends(get_db), user: User = Depends(admin_user)) -> Response:
    return render(request, "tags.html", user=user, title="Tags", tags=list_tags(db), palette=PALETTE)


@router.post("/tags", name="tags_add")
def tags_add(request: Request, form: dict[str, str] = Depends(form_fields),
             user: User = Depends(admin_user)) -> Response:
    try:
        with writing(request) as s:
            create_tag(s, form.get("name", ""), form.get("colour", ""), actor=user.name)
    except TagError as exc:
        raise BadRequest(str(exc)) from exc
    return RedirectResponse(f"{_root(request)}/tags", status_code=303)


@router.post("/tags/{tag_id}/colour", name="tags_colour")
def tags_colour(request: Request, tag_id: int, form: dict[str, str] = Depends(form_fields),
                user: User = Depends(admin_user)) -> Response:
    try:
        with writing(request) as s:
            recolour_tag(s, tag_id, form.get("colour", ""), actor=user.name)
    except TagError as exc:
        raise BadRequest(str(exc)) from exc
    return RedirectResponse(f"{_root(request)}/tags", status_code=303)


@router.post("/tags/{tag_id}/delete", name="tags_delete")
def tags_delete(request: Request, tag_id: int, user: User = Depends(admin_user)) -> Response:
    try:
        with writing(request) as s:
            delete_tag(s, tag_id, actor=user.name)
    except TagError as exc:
        raise BadRequest(str(exc)) from exc
    return RedirectResponse(f"{_root(request)}/tags", status_code=303)


@router.post("/works/{work_id}/tags", name="work_tag")
def work_tag(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
             user: User = Depends(current_user)) -> Response:
    """A reviewer puts a tag on the record (``action=add``) or takes it off (``action=remove``)."""
    tag_id = _int(form.get("tag_id"), "tag")
    action = form.get("action", "add")
    if action not in ("add", "remove"):
        raise BadRequest("action is add or remove")
    try:
        with writing(request) as s:
            _work_exists(s, work_id)
            (tag_work if action == "add" else untag_work)(s, work_id, tag_id, actor=user.name)
    except TagError as exc:
        raise BadRequest(str(exc)) from exc
    return _back_to_work(request, work_id, form, "#tags")


# -- comments --------------------------------------------------------------------------------------------------
@router.post("/works/{work_id}/comments", name="work_comment")
def work_comment(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
                 user: User = Depends(current_user)) -> Response:
    try:
        with writing(request) as s:
            _work_exists(s, work_id)
            c = add_comment(s, work_id, author=user.name, body=form.get("body", ""))
            anchor = f"#comment-{c.id}"
    except CommentError as exc:
        raise BadRequest(str(exc)) from exc
    return _back_to_work(request, work_id, form, anchor)


# -- highlight words -------------------------------------------------------------------------------------------
@router.get("/highlights", name="highlights")
def highlights_page(request: Request, db: Session = Depends(get_db),
                    user: User = Depends(current_user)) -> Response:
    return render(request, "highlights.html", user=user, title="My highlight words", words=words_for(db, user.name))


@router.post("/highlights", name="highlights_add")
def highlights_add(request: Request, form: dict[str, str] = Depends(form_fields),
                   user: User = Depends(current_user)) -> Response:
    try:
        with writing(request) as s:
            add_word(s, user.name, form.get("word", ""))
    except HighlightError as exc:
        raise BadRequest(str(exc)) from exc
    return RedirectResponse(f"{_root(request)}/highlights", status_code=303)


@router.post("/highlights/{word_id}/delete", name="highlights_remove")
def highlights_remove(request: Request, word_id: int, user: User = Depends(current_user)) -> Response:
    with writing(request) as s:
        if not remove_word(s, user.name, word_id):
            raise NotFound("no such highlight word of yours")
    return RedirectResponse(f"{_root(request)}/highlights", status_code=303)


# -- assignments -----------------------------------------------------------------------------------------------
@router.post("/assign", name="assign")
def assign_batch(request: Request, form: dict[str, str] = Depends(form_fields),
                 user: User = Depends(admin_user)) -> Response:
    """Admin: assign records to a reviewer, either the ones named (``works``: ids, from a record page) or the
    next ``next`` records of the queue view in ``back`` that still need that reviewer's decision and are assigned
    to fewer reviewers than their stage needs votes. ``unassign=1`` takes the named records back."""
    st = state(request)
    reviewer = form.get("reviewer", "").strip()
    back = dict(parse_qsl(form.get("back", "")))
    with writing(request) as s:
        target = get_user(s, reviewer)
        if target is None or not target.is_active:
            raise BadRequest(f"no active user {reviewer[:100]!r}")
        if form.get("works"):
            ids = [_int(x, "record") for x in form["works"].replace(",", " ").split()][:MAX_BATCH]
            if form.get("unassign") == "1":
                unassign(s, ids, reviewer, actor=user.name)
                return _back_to_work(request, ids[0], form, "#assign") if len(ids) == 1 else \
                    RedirectResponse(f"{_root(request)}/queue", status_code=303)
        else:
            n = min(_int(form.get("next"), "how many records"), MAX_BATCH)
            try:
                flt = queue_filter(request, **{k: back.get(k, "") for k in
                                               ("stage", "status", "source", "run", "order")})
            except BadRequest:
                flt = QueueFilter()
            flt = QueueFilter(**{**flt.__dict__, "mine": True, "assigned": False, "mentions": False})
            stmt = queue_select(flt, reviewer=reviewer, orderings=st.orderings).with_only_columns(Work.id)
            required = max(st.reviewers_by_stage.values())
            ids = list(s.scalars(stmt.where(assigned_fewer_than(required)).limit(n)))
        try:
            done = assign(s, ids, reviewer, actor=user.name)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
    if form.get("works") and len(ids) == 1:
        return _back_to_work(request, ids[0], form, "#assign")
    query = urlencode({**{k: v for k, v in back.items() if k != "page"}, "assigned_n": str(len(done)),
                       "assigned_to": reviewer})
    return RedirectResponse(f"{_root(request)}/queue?{query}", status_code=303)


def assignable_users(db: Session) -> list[str]:
    return [u.name for u in list_users(db) if u.is_active]


# -- export upload ---------------------------------------------------------------------------------------------
@router.get("/import", name="upload")
def upload_page(request: Request, user: User = Depends(admin_user)) -> Response:
    return _upload_form(request, user)


def _upload_form(request: Request, user: User, *, result: str | None = None, error: str | None = None,
                 status_code: int = 200, form: dict[str, str] | None = None) -> Response:
    st = state(request)
    formats = tuple(getattr(st.importer, "formats", ("auto",)))
    return render(request, "upload.html", user=user, title="Import an export", formats=formats,
                  manual=list(st.protocol.manual), available=st.importer is not None, result=result, error=error,
                  cap_mb=_import_cap(st.settings) / 1024 / 1024, form=form or {}, status_code=status_code)


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")[:120]
    return base or "upload"


@router.post("/import", name="upload_post")
def upload_post(request: Request, form: dict[str, str] = Depends(form_fields),
                user: User = Depends(admin_user)) -> Response:
    """Admin: an export file into the store through the CLI's import (same parsing, refusals and summary)."""
    st = state(request)
    if st.importer is None:
        raise BadRequest("file import is not available in this app")
    upload = form_file(request, "file")
    source = form.get("source", "").strip()
    fmt = form.get("format", "auto")
    query = form.get("query", "").strip()[:20000] or None

    def refuse(message: str) -> Response:
        return _upload_form(request, user, error=message, status_code=400, form=form)

    if upload is None or not upload[0]:
        return refuse("choose a file to import")
    name, data = upload
    shown = _safe_name(name)
    if not _SOURCE_RE.match(source):
        return refuse("source: a label of 1-100 letters, digits, '.', '_' or '-' (wos, ebsco, psycinfo …)")
    if fmt not in getattr(st.importer, "formats", ("auto",)):
        return refuse(f"unknown format {fmt[:40]!r}")
    if not data:
        return refuse(f"{shown}: the file is empty")
    if len(data) > _import_cap(st.settings):
        raise PayloadTooLarge(f"{shown}: over the upload limit of {_import_cap(st.settings) // 1024:,} KB")
    with tempfile.TemporaryDirectory(prefix="livereview-upload-") as tmp:
        path = Path(tmp) / shown
        path.write_bytes(data)
        try:
            line = st.importer(st.engine, st.protocol, path, source=source, fmt=fmt, query=query,
                               actor=user.name, display_path=shown)
        except LiveReviewError as exc:
            return refuse(str(exc).replace(f"{tmp}/", ""))
    return _upload_form(request, user, result=line)
