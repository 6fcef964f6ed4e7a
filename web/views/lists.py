"""The record lists (``/records/{list}``) and search (``/search?q=…``): every record findable, with the same
search box, filters, sort orders and page sizes on each (the rules: :mod:`livereview.web.lists`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from livereview.store import screening as sc
from livereview.store.accounts import User
from livereview.store.models import Decision, ProtocolVersion, SourceRecord, Work
from livereview.store.preferences import page_size, remember_page_size
from livereview.store.tags import list_tags, tag_rows_for_works
from livereview.web.context import current_user, get_db, render, state, writing
from livereview.web.errors import BadRequest, NotFound
from livereview.web.lists import (
    DEFAULT_PAGE_SIZE,
    LIST_ORDERINGS,
    LISTS,
    ORDER_LABELS,
    PAGE_SIZES,
    ListFilter,
    list_page,
)
from livereview.web.review import STATUS_LABELS, current_votes, decided_stage, shown_statuses, since_reopen
from livereview.web.security import form_fields

router = APIRouter()
#: longest search text kept in the page's links (the search itself reads at most store.search.MAX_CHARS)
MAX_Q = 500


def _int(name: str, value: str, *, low: int = 1, high: int = 2**63 - 1) -> int | None:
    if not value:
        return None
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise BadRequest(f"{name} must be a number from {low} to {high}")
    return int(value)


def _day(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD), not {value[:20]!r}") from None


def list_filter(request: Request, q: str = "", stage: str = "", reason: str = "", source: str = "", run: str = "",
                version: str = "", since: str = "", until: str = "", year_from: str = "", year_to: str = "",
                tag: str = "", order: str = "") -> ListFilter:
    """A list's filters from the query string; unknown values are refused (400), not ignored."""
    if stage and stage not in sc.STAGES:
        raise BadRequest(f"unknown stage {stage[:40]!r}")
    reasons = dict(state(request).protocol.exclusion_reasons)
    if reason and reason not in reasons and reason != "not-retrieved":
        raise BadRequest(f"unknown exclusion reason {reason[:40]!r}")
    if order and order not in LIST_ORDERINGS:
        raise BadRequest(f"unknown order {order[:40]!r}")
    return ListFilter(q=q[:MAX_Q], stage=stage, reason=reason, source=source[:100], run=_int("run", run),
                      version=_int("version", version), since=_day("since", since), until=_day("until", until),
                      year_from=_int("year_from", year_from, high=9999), year_to=_int("year_to", year_to, high=9999),
                      tag=_int("tag", tag), order=order or next(iter(LIST_ORDERINGS)))


def exclusion_reasons(db: Session, works: list[Work]) -> dict[int, list[str]]:
    """The standing exclusion reasons of the excluded works on a page, at the stage that closed each (a final
    status: nothing here is hidden by blinding)."""
    ids = [w.id for w in works if w.status == sc.EXCLUDED]
    by_work: dict[int, list[Decision]] = defaultdict(list)
    if ids:
        for d in db.scalars(select(Decision).where(Decision.work_id.in_(ids)).order_by(Decision.id)):
            by_work[d.work_id].append(d)
    out: dict[int, list[str]] = {}
    for w in works:
        stage = decided_stage(w, by_work[w.id]) if w.id in by_work else None
        if stage is None:
            continue
        standing = [*current_votes(by_work[w.id], stage).values(),
                    *(d for d in since_reopen(by_work[w.id], stage) if d.is_final)]
        out[w.id] = sorted({d.reason for d in standing if d.decision == "exclude" and d.reason})
    return out


def _show(request: Request, kind: str, flt: ListFilter, page: int, db: Session, user: User, *,
          title: str) -> Response:
    st = state(request)
    size = page_size(db, user.id, allowed=PAGE_SIZES, default=DEFAULT_PAGE_SIZE)
    page = max(1, min(page, 100000))
    flt = ListFilter(**{**flt.__dict__, "kind": kind})
    works, total, exact = list_page(db, flt, viewer=user.name, page=page, size=size)
    pages = max(1, (total + size - 1) // size)
    if not exact or (len(works) == size and page >= pages):
        pages = max(pages, page + (1 if len(works) == size else 0))
    params = flt.as_params()
    sources = st.cached("sources", 60.0, lambda: sorted(
        s for s in db.scalars(select(SourceRecord.source).distinct()) if s))
    versions = st.cached("protocol_versions", 60.0, lambda: [
        (v.id, v.version) for v in db.scalars(select(ProtocolVersion).order_by(ProtocolVersion.id.desc()))])
    here = request.url.path + ("?" + urlencode(params) if params else "")
    return render(request, "records.html", user=user, title=title, kind=kind, lists=LISTS, works=works,
                  total=total, exact=exact, page=page, pages=pages, size=size, sizes=PAGE_SIZES, flt=flt,
                  query=flt.query, page_qs=lambda p: urlencode({**params, "page": str(p)}), here=here,
                  sources=sources, versions=versions, reasons=st.protocol.exclusion_reasons,
                  orderings=ORDER_LABELS, stages=sc.STAGES, shown=shown_statuses(db, works, user),
                  why_excluded=exclusion_reasons(db, works), tags=list_tags(db),
                  row_tags=tag_rows_for_works(db, [w.id for w in works]),
                  status_labels=STATUS_LABELS)


@router.get("/search", name="search")
def search(request: Request, page: int = 1, flt: ListFilter = Depends(list_filter), db: Session = Depends(get_db),
           user: User = Depends(current_user)) -> Response:
    """Search every record (title, abstract, authors, journal, DOI, PMID); a DOI or PMID finds its record."""
    title = f"Search: {flt.q[:80]}" if flt.q.strip() else "Search"
    return _show(request, "all", flt, page, db, user, title=title)


@router.get("/records", name="records")
def records_all(request: Request, page: int = 1, flt: ListFilter = Depends(list_filter),
                db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    return _show(request, "all", flt, page, db, user, title=LISTS["all"])


@router.get("/records/{kind}", name="records_list")
def records_list(request: Request, kind: str, page: int = 1, flt: ListFilter = Depends(list_filter),
                 db: Session = Depends(get_db), user: User = Depends(current_user)) -> Response:
    if kind not in LISTS:
        raise NotFound(f"no list {kind[:40]!r}")
    return _show(request, kind, flt, page, db, user, title=LISTS[kind])


@router.post("/preferences/page-size", name="page_size")
def set_page_size(request: Request, form: dict[str, str] = Depends(form_fields),
                  user: User = Depends(current_user)) -> Response:
    """Remember the user's page size (stored with their account), then show the list they were on."""
    size = _int("page_size", form.get("page_size", ""), high=1000)
    if size not in PAGE_SIZES:
        raise BadRequest(f"page size must be one of {', '.join(map(str, PAGE_SIZES))}")
    with writing(request) as s:
        remember_page_size(s, user.id, size)
    back = form.get("back", "")
    parts = urlsplit(back)
    root = request.scope.get("root_path", "")
    if parts.scheme or parts.netloc or not parts.path.startswith(f"{root}/records") and \
            not parts.path.startswith(f"{root}/search"):
        back = f"{root}/records"   # only back to a list of this app
    return RedirectResponse(back, status_code=303)
