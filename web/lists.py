"""The record lists (included, excluded, maybe, conflicts, my decisions, all records) and search: every record
findable, filtered, sorted and paginated, and never more than the viewer may see.

Blinding (the rule: :mod:`livereview.web.review`): a record that still collects votes at its stage, from a
reviewer with no vote there, says nothing about anyone's votes. Lists and filters that are *about* votes (maybe,
conflicts, an exclusion reason, my decisions) therefore hold only records the viewer is not blind to —
:func:`visible_votes` is ANDed into each — so neither a row, nor a filter's answer, nor a count tells a blind
reviewer that someone voted. Included / excluded are final statuses, never pending, and the status a row shows
goes through :func:`~livereview.web.review.shown_statuses` as in the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from livereview.store import screening as sc
from livereview.store.models import Decision, Import, Run, SourceRecord, Work, WorkTag
from livereview.store.search import TextQuery, in_found_order, parse, search_condition, search_plan
from livereview.web.queue import COUNT_CAP, needs_decision_by

Ordering = Callable[[Select[Any]], Select[Any]]

#: the lists, in the order of their tabs: (key, label)
LISTS: dict[str, str] = {"all": "All records", "included": "Included", "excluded": "Excluded", "maybe": "Maybe",
                         "conflicts": "Conflicts", "mine": "My decisions"}
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = PAGE_SIZES[0]


def _newest(stmt: Select[Any]) -> Select[Any]:
    """Last found first: works are numbered as they are found, so the primary key is the order (no sort, and
    SQLite's full-text matches come in that order too)."""
    return stmt.order_by(Work.id.desc())


def _oldest(stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(Work.id.asc())


def _relevance(stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(Work.relevance.desc(), Work.created_at.desc(), Work.id.desc())


def _year(stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(Work.year.desc().nulls_last(), Work.id.desc())


#: the lists that are one or two statuses (read from the status index)
STATUS_LISTS = ("included", "excluded", "conflicts")


def _by_id_sorted(newest: bool) -> Ordering:
    """Found order, sorted rather than read along the primary key: for the status lists, whose ids the status
    index gives at once, where a walk along the key would first pass every record of other statuses (and decided
    records are mostly the older ones)."""
    key = Work.id + 0
    return lambda stmt: stmt.order_by(key.desc() if newest else key.asc())


#: the lists' sort orders, the first the default (each served by an index on ``works``)
LIST_ORDERINGS: dict[str, Ordering] = {"newest": _newest, "oldest": _oldest, "relevance": _relevance,
                                       "year": _year}
ORDER_LABELS = {"newest": "newest found first", "oldest": "oldest found first", "relevance": "most relevant first",
                "year": "publication year, latest first"}


@dataclass(frozen=True)
class ListFilter:
    """What a list shows. Empty fields do not filter."""

    kind: str = "all"
    q: str = ""                    # search box text
    stage: str = ""                # excluded: at title-abstract or full-text
    reason: str = ""               # an exclusion reason (protocol id)
    source: str = ""
    run: int | None = None
    version: int | None = None     # a protocol version (protocol_versions.id) the record was found under
    since: date | None = None      # found on or after (an update period)
    until: date | None = None      # found on or before
    year_from: int | None = None
    year_to: int | None = None
    tag: int | None = None         # a tag (tags.id) the team put on the record
    order: str = next(iter(LIST_ORDERINGS))

    @property
    def query(self) -> TextQuery:
        return parse(self.q)

    def as_params(self, **override: str) -> dict[str, str]:
        """The query string that shows this list again (empty fields left out)."""
        params = {"q": self.q, "stage": self.stage, "reason": self.reason, "source": self.source,
                  "run": str(self.run or ""), "version": str(self.version or ""),
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else "",
                  "year_from": str(self.year_from or ""), "year_to": str(self.year_to or ""),
                  "tag": str(self.tag or ""),
                  "order": self.order if self.order != next(iter(LIST_ORDERINGS)) else ""}
        params.update(override)
        return {k: v for k, v in params.items() if v}


def visible_votes(viewer: str) -> ColumnElement[bool]:
    """SQL condition: ``viewer`` may see the votes on the work (it is not collecting votes from them)."""
    return ~needs_decision_by(viewer)


def _current(d: Any) -> ColumnElement[bool]:
    """SQL condition on a decisions alias ``d``: it still stands — no later vote by the same reviewer at the
    stage (a change or a withdrawal; for a final decision, no later final one) and no reopen after it."""
    later = aliased(Decision)
    reopen = aliased(Decision)
    superseded = exists().where(later.work_id == d.work_id, later.stage == d.stage, later.is_final == d.is_final,
                                later.id > d.id, or_(later.reviewer == d.reviewer, d.is_final.is_(True)))
    reopened = exists().where(reopen.work_id == d.work_id, reopen.stage == d.stage, reopen.decision == sc.REOPENED,
                              reopen.id > d.id)
    return and_(~superseded, ~reopened)


def closed_at_full_text(work_id: Any = Work.id) -> ColumnElement[bool]:
    """SQL condition: the work (``work_id``, a column of the enclosing query) has a full-text vote that still
    stands (so an exclusion came at full text)."""
    d = aliased(Decision)
    return exists().where(d.work_id == work_id, d.stage == sc.FULL_TEXT, d.decision.in_(sc.VOTES), _current(d))


def with_reason(reason: str) -> ColumnElement[bool]:
    """SQL condition: a standing exclusion at the stage that closed (or holds) the work gives ``reason``."""
    d = aliased(Decision)
    ft = closed_at_full_text(d.work_id)
    stage = or_(and_(ft, d.stage == sc.FULL_TEXT), and_(~ft, d.stage == sc.TITLE_ABSTRACT))
    return exists().where(d.work_id == Work.id, d.decision == "exclude", d.reason == reason, stage,
                          _current(d))


def _maybe_ids() -> Select[Any]:
    d = aliased(Decision)
    return select(d.work_id).where(d.decision == "maybe", d.is_final.is_(False), _current(d))


def _my_ids(viewer: str) -> Select[Any]:
    d = aliased(Decision)
    return select(d.work_id).where(d.reviewer == viewer, d.decision.in_(sc.VOTES), _current(d))


def _found_under(version: int) -> ColumnElement[bool]:
    """SQL condition: a source record of the work came from a run or an import under protocol ``version``."""
    by_run = select(Run.id).where(Run.protocol_version_id == version)
    by_import = select(Import.id).where(Import.protocol_version_id == version)
    return exists().where(SourceRecord.work_id == Work.id,
                          or_(SourceRecord.run_id.in_(by_run), SourceRecord.import_id.in_(by_import)))


def list_conditions(session: Session, flt: ListFilter, *, viewer: str,
                    search: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a list (merged works never listed: they live on in the work they joined); without
    the search box's when not ``search``."""
    # a merged work's status is "duplicate": the status lists need no test of their own (and read only the status
    # index: the conflicts list sorts ids from it without visiting a row)
    conds: list[ColumnElement[bool]] = [] if flt.kind in STATUS_LISTS else [Work.merged_into_id.is_(None)]
    vote_dependent = False
    if flt.kind == "included":
        conds.append(Work.status == sc.INCLUDED)
    elif flt.kind == "excluded":
        conds.append(Work.status == sc.EXCLUDED)
        if flt.stage == sc.FULL_TEXT:
            conds.append(closed_at_full_text())
        elif flt.stage == sc.TITLE_ABSTRACT:
            conds.append(~closed_at_full_text())
    elif flt.kind == "maybe":
        conds.append(Work.id.in_(_maybe_ids()))
        vote_dependent = True
    elif flt.kind == "conflicts":
        conds.append(Work.status.in_(sc.CONFLICT_STATUSES))
        vote_dependent = True
    elif flt.kind == "mine":
        conds.append(Work.id.in_(_my_ids(viewer)))
    if flt.reason:
        conds.append(with_reason(flt.reason))
        vote_dependent = True
    if vote_dependent:
        conds.append(visible_votes(viewer))
    if flt.source:
        conds.append(exists().where(SourceRecord.work_id == Work.id, SourceRecord.source == flt.source))
    if flt.run:
        conds.append(exists().where(SourceRecord.work_id == Work.id, SourceRecord.run_id == flt.run))
    if flt.version:
        conds.append(_found_under(flt.version))
    if flt.since:
        conds.append(Work.created_at >= datetime.combine(flt.since, time.min, tzinfo=UTC))
    if flt.until:
        conds.append(Work.created_at <= datetime.combine(flt.until, time.max, tzinfo=UTC))
    if flt.year_from:
        conds.append(Work.year >= flt.year_from)
    if flt.year_to:
        conds.append(Work.year <= flt.year_to)
    if flt.tag:
        conds.append(exists().where(WorkTag.work_id == Work.id, WorkTag.tag_id == flt.tag))
    q = flt.query
    if search and not q.empty:
        conds.append(search_condition(session, q))
    return conds


def list_page(session: Session, flt: ListFilter, *, viewer: str, page: int = 1,
              size: int = DEFAULT_PAGE_SIZE) -> tuple[list[Work], int, bool]:
    """One page of a list, its count and whether the count is exact (past :data:`COUNT_CAP` it says "at least")."""
    conds = list_conditions(session, flt, viewer=viewer, search=False)
    q = flt.query
    plan = None if q.empty else search_plan(session, q)
    where = [*conds, plan.condition] if plan else conds
    order = LIST_ORDERINGS.get(flt.order) or next(iter(LIST_ORDERINGS.values()))
    if flt.kind in STATUS_LISTS and order in (_newest, _oldest) and q.empty:
        order = _by_id_sorted(order is _newest)
    # the page's ids first (sorted from an index, rows not read), then those rows: a list whose filter matches
    # thousands sorts ids, never whole works with their abstracts
    if plan and plan.drive and plan.count_from is not None and order in (_newest, _oldest):
        # SQLite, words in most records, found order: the index hands its matches in that order (prefix and all)
        ids_stmt = in_found_order(plan.count_from.where(*conds), newest=order is _newest)
    else:
        ids_stmt = order(select(Work.id).where(*where))
    ids = list(session.scalars(ids_stmt.limit(size).offset((max(page, 1) - 1) * size)))
    rows = {w.id: w for w in session.scalars(select(Work).where(Work.id.in_(ids)))} if ids else {}
    works = [rows[i] for i in ids if i in rows]
    counted = (plan.count_from.where(*conds) if plan and plan.count_from is not None
               else select(Work.id).where(*where))
    n = session.scalar(select(func.count()).select_from(counted.limit(COUNT_CAP + 1).subquery())) or 0
    return works, min(n, COUNT_CAP), n <= COUNT_CAP
