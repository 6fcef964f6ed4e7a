"""Text search over works with the back-end's own full-text index (migration ``0011_search_index``).

* SQLite: the FTS5 table ``works_fts`` (external content ``works``, kept by triggers on every write);
* PostgreSQL: the generated ``works.search_vector`` (``tsvector``) with a GIN index.

Both index title, abstract, authors, journal, DOI and PMID, with English stemming. A person's text is never
handed to either engine as query syntax: :func:`parse` keeps only its words (letters and digits), each is
quoted, all must match, and the last one matches as a prefix (``diabet`` finds "diabetes") unless the text ends
with a space. FTS operators, quotes, brackets, NUL and very long input therefore cannot make a query fail; what
is left of them is at most :data:`MAX_WORDS` words. A DOI or PMID typed as such is looked up exactly by the
identifier columns (works and every source record, merged works answered by the work they were merged into).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, literal_column, select, table, text
from sqlalchemy import column as sql_column
from sqlalchemy.orm import Session

from livereview.records.normalise import normalise_doi, normalise_pmid
from livereview.store.merge import survivor
from livereview.store.models import SourceRecord, Work

#: the most words of a query that are searched (the rest of a pasted paragraph is ignored)
MAX_WORDS = 32
#: the longest word kept (longer runs of letters are no word a person searches for)
MAX_WORD = 60
#: the most characters of a query looked at
MAX_CHARS = 2000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PMID = re.compile(r"^\s*(?:pmid\s*:?\s*)?(\d{1,9})\s*$", re.IGNORECASE)

#: SQLite: a query matching at least this many works is checked row by row along the list's order (see
#: :func:`text_match`); fewer are read from the index first and sorted
DENSE_AFTER = 2000

_FTS = table("works_fts", sql_column("rowid"))


@dataclass(frozen=True)
class TextQuery:
    """What a search box's text asks for: its words, whether the last is a prefix, and any identifier in it."""

    text: str
    words: tuple[str, ...]
    prefix: bool
    doi: str | None = None
    pmid: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing to search for (no words and no identifier): the list is shown unfiltered."""
        return not self.words and not self.doi and not self.pmid


def parse(text: str) -> TextQuery:
    """A person's search text as a :class:`TextQuery` (never fails: any text is a query, maybe an empty one)."""
    text = text[:MAX_CHARS].replace("\x00", " ")
    words = tuple(w.lower()[:MAX_WORD] for w in _WORD.findall(text))[:MAX_WORDS]
    stripped = text.strip()
    doi = normalise_doi(stripped) if "10." in stripped and len(stripped) < 400 else None
    m = _PMID.match(stripped)
    pmid = normalise_pmid(m.group(1)) if m else None
    prefix = bool(words) and not text[-1:].isspace() and len(words[-1]) >= 2 and text.rstrip()[-1:].isalnum()
    return TextQuery(text=stripped, words=words, prefix=prefix, doi=doi, pmid=pmid)


def fts5_expression(q: TextQuery) -> str:
    """The FTS5 MATCH expression: every word a quoted string (so no word is an operator), the last a prefix."""
    parts = [f'"{w}"' for w in q.words]
    if q.prefix and parts:
        parts[-1] += "*"
    return " ".join(parts)


def tsquery_expression(q: TextQuery, *, expansion: str = "") -> str:
    """The ``to_tsquery`` text: every word a quoted lexeme joined by ``&``, the last with ``:*`` (a prefix).

    ``expansion``: a common lexeme the prefix covers, ORed in (``('homework' | 'homew':*)``, the same matches):
    the planner has statistics for a lexeme, none for a prefix, and so reads a common query along the list's
    order instead of collecting every match from the GIN index."""
    parts = [f"'{w}'" for w in q.words]
    if q.prefix and parts:
        parts[-1] += ":*"
        if expansion and re.fullmatch(r"[^\W_]+", expansion):
            parts[-1] = f"('{expansion}' | {parts[-1]})"
    return " & ".join(parts)


def _fts_match(q: TextQuery) -> ColumnElement[bool]:
    return literal_column("works_fts").op("MATCH")(fts5_expression(q))


def text_match(dialect: str, q: TextQuery, *, dense: bool = False, expansion: str = "") -> ColumnElement[bool]:
    """SQL condition on ``works``: the work's indexed text holds every word of ``q`` (false without words).

    SQLite: a query that matches few works (not ``dense``) is answered from the FTS index first (``id IN`` its
    matches, then sorted); one that matches many is checked row by row as the list's own index is read in its
    order (``EXISTS … rowid = works.id``), a page stopping after its rows instead of sorting most of the store.
    Such a check of a prefix merges every term it covers each time, so there the last word is matched whole.
    PostgreSQL: ``search_vector @@ to_tsquery(…)`` through the GIN index, or, ``dense``, on the rows read."""
    if not q.words:
        return false()
    if dialect == "sqlite":
        if dense:
            whole = replace(q, prefix=False)
            return exists().where(_fts_match(whole), _FTS.c.rowid == Work.id)
        return Work.id.in_(select(_FTS.c.rowid).where(_fts_match(q)))
    query = func.to_tsquery(literal_column("'english'::regconfig"), tsquery_expression(q, expansion=expansion))
    return literal_column("works.search_vector").op("@@")(query)


def matching_ids(q: TextQuery) -> Select[Any]:
    """SQLite: ``SELECT works.id`` driven by the FTS index (its matches in rowid order, then the work row), to
    which a list adds its conditions: a capped count or a page in found order reads no more than it needs."""
    return select(Work.id).select_from(_FTS).join(Work, Work.id == _FTS.c.rowid).where(_fts_match(q))


def in_found_order(stmt: Select[Any], *, newest: bool) -> Select[Any]:
    """Order :func:`matching_ids` by the index's rowid (the work's id, the order works were found in)."""
    return stmt.order_by(_FTS.c.rowid.desc() if newest else _FTS.c.rowid.asc())


#: PostgreSQL: a word in at least this share of works (by the column's statistics) is common
COMMON_SHARE = 0.02


def _common(session: Session, q: TextQuery) -> str | None:
    """PostgreSQL: when every word of ``q`` (its stem; the last one's stem as a prefix) is in at least
    :data:`COMMON_SHARE` of the works, by ``ANALYZE``'s most common elements of ``works.search_vector``: the most
    common lexeme the last word's prefix covers ("" when it is no prefix), else None. Without statistics nothing is
    common (a small or new store: the GIN index answers quickly anyway)."""
    row = session.execute(text(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
        "WHERE schemaname = current_schema() AND tablename = 'works' AND attname = 'search_vector'")).first()
    if row is None or not row[0]:
        return None
    share = dict(zip(row[0], row[1], strict=False))
    expansion = ""
    for n, word in enumerate(q.words):
        stems = session.scalar(select(func.tsvector_to_array(func.to_tsvector(
            literal_column("'english'::regconfig"), word)))) or []
        last = q.prefix and n == len(q.words) - 1
        for stem in stems:
            covered = {e: f for e, f in share.items() if e.startswith(stem)} if last else {stem: share.get(stem, 0.0)}
            if sum(covered.values()) < COMMON_SHARE:
                return None
            if last:
                expansion = max(covered, key=covered.__getitem__)
    return expansion


def _few_matches(session: Session, q: TextQuery) -> list[int] | None:
    """PostgreSQL: the ids of the works ``q`` matches when fewer than :data:`DENSE_AFTER`, else None.

    The planner cannot tell a rare prefix (``zzz:*``) from a common one and would walk the list's order index for
    it, row by row through the whole store; the GIN index answers "how many, up to the limit" at once. So that
    question is asked of the GIN index alone (a bitmap scan: plain index and sequential scans off for it), and a
    rare query becomes a list of ids; a common one stays a condition, read along the list's order."""
    match = text_match("postgresql", q)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    try:
        ids = list(session.scalars(select(Work.id).where(match).limit(DENSE_AFTER)))
    finally:
        session.execute(text("RESET enable_seqscan"))
        session.execute(text("RESET enable_indexscan"))
    return ids if len(ids) < DENSE_AFTER else None


def is_dense(session: Session, q: TextQuery, *, threshold: int | None = None) -> bool:
    """SQLite: whether ``q``'s words match at least ``threshold`` (default :data:`DENSE_AFTER`) works (read from
    the index, at most that many)."""
    if not q.words or session.get_bind().dialect.name != "sqlite":
        return False
    threshold = threshold or DENSE_AFTER
    capped = select(_FTS.c.rowid).where(_fts_match(q)).limit(threshold).subquery()
    return (session.scalar(select(func.count()).select_from(capped)) or 0) >= threshold


def identifier_matches(session: Session, q: TextQuery) -> list[int]:
    """The works a DOI or PMID in ``q`` names exactly (the work itself, or the one it was merged into)."""
    found: set[int] = set()
    for col_work, col_source, value in ((Work.doi, SourceRecord.doi, q.doi), (Work.pmid, SourceRecord.pmid, q.pmid)):
        if not value:
            continue
        found.update(session.scalars(select(Work.id).where(col_work == value)))
        found.update(session.scalars(select(SourceRecord.work_id).where(col_source == value).limit(50)))
    if not found:
        return []
    merged = dict(session.execute(select(Work.id, Work.merged_into_id).where(Work.merged_into_id.is_not(None))
                                  .where(Work.id.in_(found))).all())
    return sorted({survivor(w, merged.get) if w in merged else w for w in found})


@dataclass(frozen=True)
class Search:
    """A search box's part of a list query: its WHERE condition; on SQLite with words, the index-driven ids a
    capped count starts from, and whether a page in found order should start from them too (``drive``)."""

    condition: ColumnElement[bool]
    count_from: Select[Any] | None = None
    drive: bool = False


def search_plan(session: Session, q: TextQuery) -> Search:
    """How a list applies a search box: an identifier typed as such finds that record exactly; otherwise the
    words, through the full-text index."""
    ids = identifier_matches(session, q)
    if ids:
        return Search(Work.id.in_(ids))
    dialect = session.get_bind().dialect.name
    if not q.words:
        return Search(false())
    if dialect == "postgresql":
        expansion = _common(session, q)
        if expansion is not None:   # the planner reads it along the list's order, stopping after a page
            return Search(text_match(dialect, q, expansion=expansion))
        few = _few_matches(session, q)
        return Search(Work.id.in_(few) if few is not None else text_match(dialect, q))
    dense = is_dense(session, q)
    # a row-by-row check matches the last word whole: only when the whole word is itself common; a common prefix
    # of a rare word ("homew") is read from the index first, as a rare query is
    whole_dense = dense and (not q.prefix or is_dense(session, replace(q, prefix=False)))
    return Search(text_match(dialect, q, dense=whole_dense), matching_ids(q), drive=dense)


def search_condition(session: Session, q: TextQuery) -> ColumnElement[bool]:
    """SQL condition on ``works`` for a search box (:func:`search_plan`'s condition)."""
    return search_plan(session, q).condition


def search_ids(session: Session, text: str, *, limit: int = 100) -> list[int]:
    """Ids of the unmerged works that ``text`` finds, last found first (for the store's own checks and tests)."""
    q = parse(text)
    if q.empty:
        return []
    stmt = (select(Work.id).where(search_condition(session, q), Work.merged_into_id.is_(None))
            .order_by(Work.id.desc()).limit(limit))
    return list(session.scalars(stmt))
