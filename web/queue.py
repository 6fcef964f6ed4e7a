"""The screening queue: which works wait for whom, filtered and ordered.

Ordering is pluggable: an *ordering* is a function that takes the queue's SELECT (over ``Work``) and
returns it ordered. The default is ``most_relevant_first`` (the ranker's persisted scores, see ``ranking/``;
works not scored yet come after, newest first); ``newest_first`` is the other; ``create_app(orderings=...)``
offers another set in the queue's "order" menu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from livereview.store import screening as sc
from livereview.store.assignments import assigned_to
from livereview.store.comments import has_unread_mention
from livereview.store.models import Decision, SourceRecord, Work
from livereview.store.search import parse, search_condition

Ordering = Callable[[Select[Any]], Select[Any]]

TA_STATUSES = (sc.QUEUED, sc.SCREENING, sc.CONFLICT)
FT_STATUSES = (sc.AWAITING_FULL_TEXT, sc.FULL_TEXT_SCREENING, sc.FULL_TEXT_CONFLICT)
STAGE_STATUSES = {sc.TITLE_ABSTRACT: TA_STATUSES, sc.FULL_TEXT: FT_STATUSES}
#: the status filter. "queued" and "screening" are one choice (and so are their full-text pair): filtering on
#: "screening" would tell a reviewer who has not voted which records others voted on (blinding)
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    sc.QUEUED: (sc.QUEUED, sc.SCREENING), sc.CONFLICT: (sc.CONFLICT,),
    sc.AWAITING_FULL_TEXT: (sc.AWAITING_FULL_TEXT, sc.FULL_TEXT_SCREENING),
    sc.FULL_TEXT_CONFLICT: (sc.FULL_TEXT_CONFLICT,),
}
STATUS_FILTERS[sc.SCREENING] = STATUS_FILTERS[sc.QUEUED]                     # old links keep working
STATUS_FILTERS[sc.FULL_TEXT_SCREENING] = STATUS_FILTERS[sc.AWAITING_FULL_TEXT]
STATUS_FILTER_LABELS = {sc.QUEUED: "to screen (title/abstract)", sc.CONFLICT: "conflict (title/abstract)",
                        sc.AWAITING_FULL_TEXT: "full text to screen", sc.FULL_TEXT_CONFLICT: "full-text conflict"}
ANY_STAGE = "any"
PAGE_SIZE = 25


def newest_first(stmt: Select[Any]) -> Select[Any]:
    """Most recently found first (ties by id, so pages are stable)."""
    return stmt.order_by(Work.created_at.desc(), Work.id.desc())


def most_relevant_first(stmt: Select[Any]) -> Select[Any]:
    """Highest relevance score first (``works.relevance``, the ranker's latest score; works not scored yet are -1
    and come after), newest first within a score. The index ``(relevance, created_at, id)`` read backwards."""
    return stmt.order_by(Work.relevance.desc(), Work.created_at.desc(), Work.id.desc())


#: the queue's orders, the first the default: likely includes first (issue: ranking), or simply newest first
ORDERINGS: dict[str, Ordering] = {"relevance": most_relevant_first, "newest": newest_first}
DEFAULT_ORDER = next(iter(ORDERINGS))


def stage_of(status: str) -> str | None:
    """The stage a work in ``status`` is waiting at (None once resolved or out of screening)."""
    for stage, statuses in STAGE_STATUSES.items():
        if status in statuses:
            return stage
    return None


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Empty fields do not filter."""

    stage: str = ""            # title-abstract | full-text | any | "" (both; with mine: title/abstract)
    status: str = ""           # one status, or "" for every open status
    source: str = ""           # works found by this source (label of a source record)
    run: int | None = None     # works a given monitor run brought in
    mine: bool = False         # only works still needing my decision
    order: str = DEFAULT_ORDER
    assigned: bool = False     # only works an admin assigned to me
    mentions: bool = False     # only works whose thread mentions me, unread (any status; see queue_conditions)
    q: str = ""                # the search box (store.search: words through the full-text index, or a DOI/PMID)

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages shown: "needs my decision" does not mix title/abstract and full-text tasks unless asked."""
        if self.stage in STAGE_STATUSES:
            return (self.stage,)
        if self.mine and self.stage != ANY_STAGE:
            return (sc.TITLE_ABSTRACT,)
        return sc.STAGES

    def as_params(self) -> dict[str, str]:
        params = {"stage": self.stage, "status": self.status, "source": self.source,
                  "run": str(self.run) if self.run else "", "mine": "1" if self.mine else "",
                  "order": self.order if self.order != DEFAULT_ORDER else "", "q": self.q,
                  "assigned": "1" if self.assigned else "", "mentions": "1" if self.mentions else ""}
        return {k: v for k, v in params.items() if v}


def needs_decision_by(reviewer: str) -> Any:
    """SQL condition: the work waits at a stage (not in conflict) where ``reviewer`` has no current vote.

    A vote taken back (withdrawn) counts as none. One NOT EXISTS with the stage computed from the
    status, not an OR of two, so no planner (SQLite without statistics included) turns the queue's
    ordered index scan into a union and a sort of every open work.
    """
    later = aliased(Decision)
    reopen = aliased(Decision)
    stage = case((Work.status.in_((sc.QUEUED, sc.SCREENING)), sc.TITLE_ABSTRACT), else_=sc.FULL_TEXT)
    current_vote = exists().where(
        Decision.reviewer == reviewer, Decision.stage == stage, Decision.work_id == Work.id,
        Decision.is_final.is_(False), Decision.decision != sc.WITHDRAWN,
        ~exists().where(later.reviewer == reviewer, later.stage == Decision.stage, later.work_id == Decision.work_id,
                        later.is_final.is_(False), later.id > Decision.id),
        ~exists().where(reopen.work_id == Decision.work_id, reopen.stage == Decision.stage,
                        reopen.decision == sc.REOPENED, reopen.id > Decision.id))
    return and_(Work.status.in_((sc.QUEUED, sc.SCREENING, sc.AWAITING_FULL_TEXT, sc.FULL_TEXT_SCREENING)),
                ~current_vote)


def queue_conditions(flt: QueueFilter, *, reviewer: str, session: Session | None = None) -> list[Any]:
    """The WHERE clauses of the filtered queue. (Merged works are ``duplicate``, so never in an open status.)
    The search box needs the ``session`` (a DOI or PMID is looked up first); without one it is not applied.

    "Mentions" looks past the open statuses (a decided record is discussed too) but never at a record whose
    thread the reviewer may not read yet (blinding, web/people.py): one still waiting for their vote."""
    if flt.mentions:
        return [has_unread_mention(reviewer), Work.merged_into_id.is_(None), ~needs_decision_by(reviewer)]
    statuses = tuple(s for stage in flt.stages for s in STAGE_STATUSES[stage])
    if flt.status:
        statuses = tuple(s for s in statuses if s in STATUS_FILTERS.get(flt.status, ()))
    conds: list[Any] = [Work.status.in_(statuses)]
    if flt.source:
        conds.append(exists().where(SourceRecord.work_id == Work.id, SourceRecord.source == flt.source))
    if flt.run:
        conds.append(exists().where(SourceRecord.work_id == Work.id, SourceRecord.run_id == flt.run))
    if flt.mine:
        conds.append(needs_decision_by(reviewer))
    if flt.assigned:
        conds.append(assigned_to(reviewer))
    if flt.q and session is not None and not (q := parse(flt.q)).empty:
        conds.append(search_condition(session, q))
    return conds


def queue_select(flt: QueueFilter, *, reviewer: str, orderings: dict[str, Ordering],
                 session: Session | None = None) -> Select[Any]:
    order = orderings.get(flt.order) or next(iter(orderings.values()), newest_first)
    return order(select(Work).where(*queue_conditions(flt, reviewer=reviewer, session=session)))


COUNT_CAP = 1000


def queue_count(session: Session, flt: QueueFilter, *, reviewer: str, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many works the queue holds, and whether that is exact.

    By status alone the count comes from the status index; with per-row conditions (needs my
    decision, source, run) it stops at ``cap`` + 1 so a big queue costs no more than a page.
    """
    conds = queue_conditions(flt, reviewer=reviewer, session=session)
    if len(conds) == 1:
        return session.scalar(select(func.count()).select_from(Work).where(*conds)) or 0, True
    n = session.scalar(select(func.count()).select_from(select(Work.id).where(*conds).limit(cap + 1).subquery())) or 0
    return min(n, cap), n <= cap


def queue_page(session: Session, flt: QueueFilter, *, reviewer: str, orderings: dict[str, Ordering], page: int = 1,
               size: int = PAGE_SIZE) -> tuple[list[Work], int, bool]:
    """One page of the queue, the total count and whether the count is exact (else: at least that many)."""
    stmt = queue_select(flt, reviewer=reviewer, orderings=orderings, session=session)
    total, exact = queue_count(session, flt, reviewer=reviewer)
    works = list(session.scalars(stmt.limit(size).offset((max(page, 1) - 1) * size)))
    return works, total, exact


def next_for_me(session: Session, flt: QueueFilter, work_id: int, *, reviewer: str,
                orderings: dict[str, Ordering], window: int = 500) -> int | None:
    """After a vote: the next record in the current ordering and filters that still needs ``reviewer``'s decision
    (after ``work_id``'s place, else from the top), or None when nothing is left for them.

    Every decision asks this, so it reads a row or two (issue 24: reading the first ``window`` ids of the queue
    twice was most of a decision's time): the work's place as the ordering's key values, then the first work
    after it (a range read of the ordering's index). An ordering whose terms are not plain columns falls back to
    comparing the first ``window`` ids of both lists."""
    mine = queue_select(replace(flt, mine=True, mentions=False), reviewer=reviewer, orderings=orderings,
                        session=session).with_only_columns(Work.id)
    keys = _order_keys(mine)
    if keys is None:
        return _next_in_window(session, flt, work_id, reviewer=reviewer, orderings=orderings, window=window)
    place = session.execute(select(*(col for col, _ in keys)).where(
        Work.id == work_id, *queue_conditions(replace(flt, mine=False, status="", mentions=False), reviewer=reviewer,
                                              session=session))).first()
    if place is not None:
        found = session.scalar(mine.where(_after_place(keys, tuple(place))).limit(1))
        if found is not None:
            return found
    return next((i for i in session.scalars(mine.limit(2)) if i != work_id), None)


def _order_keys(stmt: Select[Any]) -> list[tuple[Any, bool]] | None:
    """(column, descending) for each ORDER BY term of ``stmt``; None when one is not a plain column order."""
    keys = []
    for term in getattr(stmt, "_order_by_clauses", ()):   # SQLAlchemy keeps a select's ORDER BY terms here
        if isinstance(term, UnaryExpression) and term.modifier in (operators.desc_op, operators.asc_op):
            if not isinstance(term.element, ColumnElement) or isinstance(term.element, UnaryExpression):
                return None
            keys.append((term.element, term.modifier is operators.desc_op))
        elif isinstance(term, ColumnElement) and not isinstance(term, UnaryExpression):
            keys.append((term, False))
        else:
            return None
    return keys or None


def _after_place(keys: list[tuple[Any, bool]], place: tuple[Any, ...]) -> Any:
    """SQL condition: a row comes after ``place`` (the key values of one row) in the order ``keys`` describe.
    One row-value comparison when every term runs the same way (both stores read it as an index range)."""
    if len({desc for _, desc in keys}) == 1:
        row = tuple_(*(col for col, _ in keys))
        return row < tuple_(*place) if keys[0][1] else row > tuple_(*place)
    return or_(*(and_(*(k == v for (k, _), v in zip(keys[:i], place[:i], strict=True)),
                      col < place[i] if desc else col > place[i]) for i, (col, desc) in enumerate(keys)))


def _next_in_window(session: Session, flt: QueueFilter, work_id: int, *, reviewer: str,
                    orderings: dict[str, Ordering], window: int) -> int | None:
    mine = replace(flt, mine=True, mentions=False)   # the mentions view holds no record waiting for my vote
    ids = list(session.scalars(queue_select(mine, reviewer=reviewer, orderings=orderings, session=session)
                               .with_only_columns(Work.id).limit(window)))
    ids = [i for i in ids if i != work_id]
    if not ids:
        return None
    order = list(session.scalars(queue_select(replace(flt, mine=False, status="", mentions=False), reviewer=reviewer,
                                              orderings=orderings, session=session)
                               .with_only_columns(Work.id).limit(window)))
    if work_id in order:
        place = {wid: n for n, wid in enumerate(order)}
        after = [i for i in ids if place.get(i, -1) > place[work_id]]
        if after:
            return after[0]
    return ids[0]


def neighbours(session: Session, flt: QueueFilter, work_id: int, *, reviewer: str,
               orderings: dict[str, Ordering], window: int = 500) -> tuple[int | None, int | None]:
    """The previous and next work around ``work_id`` in the filtered queue (within the first ``window`` ids)."""
    ids = list(session.scalars(queue_select(flt, reviewer=reviewer, orderings=orderings, session=session)
                               .with_only_columns(Work.id).limit(window)))
    if work_id not in ids:
        return None, (ids[0] if ids else None)
    i = ids.index(work_id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def stopping_key(session: Session) -> tuple[Any, ...]:
    """What the stopping estimate depends on, in three cheap lookups: the newest decision, the newest work and how
    many works are not merged away. The queue recomputes the estimate (:func:`ranking.stop_estimate`, the digest's
    function: one rule, one place) only when this changes, so a page load stays cheap on a large store."""
    return (session.scalar(select(func.max(Decision.id))), session.scalar(select(func.max(Work.id))),
            session.scalar(select(func.count()).select_from(Work).where(Work.merged_into_id.is_(None))))
