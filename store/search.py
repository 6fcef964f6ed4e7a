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
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, literal_column, select, table
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


def tsquery_expression(q: TextQuery) -> str:
    """The ``to_tsquery`` text: every word a quoted lexeme joined by ``&``, the last with ``:*`` (a prefix)."""
    parts = [f"'{w}'" for w in q.words]
    if q.prefix and parts:
        parts[-1] += ":*"
    return " & ".join(parts)


def text_match(dialect: str, q: TextQuery) -> ColumnElement[bool]:
    """SQL condition on ``works``: the work's indexed text holds every word of ``q`` (false without words)."""
    if not q.words:
        return false()
    if dialect == "sqlite":
        hits = select(_FTS.c.rowid).where(literal_column("works_fts").op("MATCH")(fts5_expression(q)))
        return Work.id.in_(hits)
    query = func.to_tsquery(literal_column("'english'::regconfig"), tsquery_expression(q))
    return literal_column("works.search_vector").op("@@")(query)


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


def search_condition(session: Session, q: TextQuery) -> ColumnElement[bool]:
    """SQL condition on ``works`` for a search box: an identifier typed as such finds that record exactly;
    otherwise the words, through the full-text index."""
    ids = identifier_matches(session, q)
    if ids:
        return Work.id.in_(ids)
    bind = session.get_bind()
    return text_match(bind.dialect.name, q)


def search_ids(session: Session, text: str, *, limit: int = 100) -> list[int]:
    """Ids of the unmerged works that ``text`` finds, newest first (for the store's own checks and tests)."""
    q = parse(text)
    if q.empty:
        return []
    stmt = (select(Work.id).where(search_condition(session, q), Work.merged_into_id.is_(None))
            .order_by(Work.created_at.desc(), Work.id.desc()).limit(limit))
    return list(session.scalars(stmt))
