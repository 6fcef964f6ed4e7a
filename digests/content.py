"""What a digest says, read from the store: counts, new candidates, notices, source health, corpus growth.

Everything is gathered into plain dataclasses (:class:`DigestContent`) so rendering needs no
database and can be tested, and benchmarked, on its own. The ordering of candidates is a
pluggable :data:`Ranker`: by default :func:`by_relevance`, the ranker learned from the team's
decisions (:mod:`ranking`), which sets ``Candidate.score`` and the terms that raised it
(``Candidate.why``); :func:`newest_first` is the plain alternative.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from livereview.digests.links import doi_url, pubmed_url, work_url
from livereview.digests.reminders import reminders
from livereview.protocols.model import Protocol
from livereview.protocols.queries import ConceptFilter
from livereview.ranking import scores_or_rank, stop_estimate
from livereview.records.vocabulary import NoticeKind
from livereview.reports.growth import Growth
from livereview.reports.growth import growth as growth_series
from livereview.store import health, screening
from livereview.store.chase import CHASE_SOURCE, connection_label, connections
from livereview.store.clock import as_utc
from livereview.store.estimates import latest_estimate
from livereview.store.health import SourceHealth
from livereview.store.ingest import canonical
from livereview.store.models import Notice, ProtocolVersion, SourceRecord, Work
from livereview.store.prisma import domain_counts

#: source-record classifications that mean "found again, not a new candidate": the duplicates removed this period
#: ("update" is a duplicate that brought metadata the work lacked; the digest shows the split by kind)
DUPLICATE_CLASSES = ("duplicate", "already-queued", "in-corpus", "update")
#: notice kinds about a study's validity: reported first when the study is included
SERIOUS_NOTICES = tuple(NoticeKind)
SNIPPET_CHARS = 300
MAX_AUTHORS = 3


@dataclass(frozen=True)
class Period:
    """The half-open interval ``[start, end)`` a digest covers, in UTC, shown in the review's time zone."""

    start: datetime
    end: datetime
    timezone: str = "UTC"

    def local(self, value: datetime) -> datetime:
        return value.astimezone(ZoneInfo(self.timezone))

    @property
    def label(self) -> str:
        return f"{self.local(self.start):%Y-%m-%d} – {self.local(self.end):%Y-%m-%d}"


@dataclass(frozen=True)
class Candidate:
    """A new work waiting for the team, as the ranker sees it."""

    work_id: int
    title: str | None
    authors: list[str]
    journal: str | None
    year: int | None
    doi: str | None
    pmid: str | None
    url: str | None
    abstract: str | None
    keywords: list[str]
    status: str
    created_at: datetime
    sources: list[str]
    score: float | None = None
    connection: str | None = None          # "cites 3 included studies" (citation chasing)
    why: tuple[str, ...] = ()


Ranker = Callable[[Sequence[Candidate]], list[Candidate]]


def newest_first(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Newest publication year first, then most recently found: the order until scores exist."""
    return sorted(candidates, key=lambda c: (c.year or 0, as_utc(c.created_at), c.work_id), reverse=True)


def by_relevance(session: Session, protocol: Protocol) -> Ranker:
    """Most likely include first, with the terms that raised each score: the ranker's persisted scores, or a
    ranking made now for candidates not scored yet (similarity to the includes and the protocol's terms while
    there are too few decisions). Equal scores keep the newest-first order."""
    def rank(candidates: Sequence[Candidate]) -> list[Candidate]:
        scores = scores_or_rank(session, protocol, [c.work_id for c in candidates])
        scored = [replace(c, score=scores[c.work_id][0], why=tuple(scores[c.work_id][1]))
                  if c.work_id in scores else c for c in newest_first(candidates)]
        return sorted(scored, key=lambda c: -(c.score if c.score is not None else -1.0))  # stable: ties stay
    return rank


@dataclass(frozen=True)
class CandidateItem:
    """A candidate ready to render: links checked, authors shortened, snippet cut, term spans found."""

    work_id: int
    title: str
    title_spans: list[tuple[int, int]]
    authors: str
    journal: str | None
    year: int | None
    doi: str | None
    doi_link: str | None
    pmid: str | None
    pubmed_link: str | None
    link: str | None
    sources: list[str]
    matched_terms: list[str]
    snippet: str | None
    snippet_spans: list[tuple[int, int]]
    status: str
    score: float | None = None
    connection: str | None = None
    why: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticeItem:
    notice_id: int
    kind: str
    work_id: int
    work_title: str
    work_status: str
    evidence: str
    source: str
    detected_at: datetime
    link: str | None
    notice_link: str | None = None   # the notice itself (retraction / erratum), when its evidence names it

    @property
    def about_included(self) -> bool:
        return self.work_status == screening.INCLUDED

    @property
    def urgent(self) -> bool:
        return self.about_included and self.kind in SERIOUS_NOTICES


@dataclass(frozen=True)
class ProtocolChange:
    version: str
    previous: str | None
    loaded_at: datetime


@dataclass(frozen=True)
class Counts:
    new_candidates: int
    new_by_source: dict[str, int]
    duplicates_removed: int
    duplicates_by_kind: dict[str, int]
    identified: int          # records identified since the previous version, before deduplication (PRISMA)
    screened: int            # records screened: a title/abstract decision reached (PRISMA)
    included: int            # studies included in all: the previous version's plus the new ones (PRISMA)

    def as_dict(self) -> dict[str, Any]:
        return {"new_candidates": self.new_candidates, "new_by_source": dict(self.new_by_source),
                "duplicates_removed": self.duplicates_removed, "duplicates_by_kind": dict(self.duplicates_by_kind),
                "identified": self.identified, "screened": self.screened, "included": self.included}


@dataclass(frozen=True)
class DigestContent:
    review_id: str
    review_title: str
    protocol_version: str
    period: Period
    counts: Counts
    candidates: list[CandidateItem]
    more: int                              # new candidates not shown (over the protocol's cap)
    notices: list[NoticeItem]
    protocol_changes: list[ProtocolChange]
    health: list[SourceHealth]
    growth: Growth
    base_url: str | None = None
    reminders: list[str] = field(default_factory=list)   # manual exports due, search recall lowered
    stopping: str | None = None            # the stopping rule's estimate (ranking.stop_estimate), one sentence
    volume: str | None = None   # the last `protocol estimate` beside this period's actual yield, per week
    domains: str | None = None  # the PRISMA counts per domain (coaching / therapy-counselling), as the paper gave them

    @property
    def notice_ids(self) -> list[int]:
        return [n.notice_id for n in self.notices]

    @property
    def failing(self) -> list[SourceHealth]:
        return [h for h in self.health if h.failing]

    @property
    def nothing_new(self) -> bool:
        return not self.candidates and not self.notices and not self.protocol_changes   # reminders show anyway

    @property
    def heartbeat(self) -> str | None:
        """The one line that says the job is alive when there is nothing to report."""
        if not self.nothing_new:
            return None
        if self.failing:
            names = ", ".join(h.source for h in self.failing)
            verb = "is" if len(self.failing) == 1 else "are"
            return f"Nothing new this period, but {names} {verb} failing (see source health below)."
        if not any(h.state in ("ok", "skipped") for h in self.health):
            return "Nothing new this period; no source has run yet."
        return "Nothing new this period; all sources healthy."

    def summary(self) -> dict[str, Any]:
        """What the ``digests.counts`` column keeps."""
        return self.counts.as_dict() | {
            "shown": len(self.candidates), "more": self.more, "notices": len(self.notices),
            "protocol_changes": len(self.protocol_changes), "failing_sources": [h.source for h in self.failing],
        }


# -- presentation of one candidate ------------------------------------------------------------------------------
def short_authors(authors: Sequence[str]) -> str:
    if not authors:
        return ""
    shown = "; ".join(authors[:MAX_AUTHORS])
    return shown + (" et al." if len(authors) > MAX_AUTHORS else "")


def snippet_bounds(text: str, spans: Sequence[tuple[int, int]], limit: int = SNIPPET_CHARS) -> tuple[int, int]:
    """Where to cut about ``limit`` characters of ``text`` at word boundaries, around the first matched term."""
    if len(text) <= limit:
        return 0, len(text)
    start = 0
    if spans and spans[0][1] > limit - 40:
        start = max(0, spans[0][0] - limit // 3)
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < spans[0][0] else start
    end = start + limit
    if end < len(text):
        space = text.rfind(" ", start + limit // 2, end)
        end = space if space > 0 else end
    return start, min(end, len(text))


def snippet_with_spans(text: str | None, spans: Sequence[tuple[int, int]],
                       limit: int = SNIPPET_CHARS) -> tuple[str | None, list[tuple[int, int]]]:
    """The snippet, and the term spans moved into it (clipped at the cuts), so it needs no second scan."""
    if not text:
        return None, []
    start, end = snippet_bounds(text, spans, limit)
    core = text[start:end].rstrip(" ,;:")
    stop = start + len(core)
    prefix = "…" if start > 0 else ""
    shift = len(prefix) - start
    moved = [(max(s, start) + shift, min(e, stop) + shift) for s, e in spans if s < stop and e > start]
    return prefix + core + ("…" if end < len(text) else ""), moved


def snippet(text: str | None, spans: Sequence[tuple[int, int]], limit: int = SNIPPET_CHARS) -> str | None:
    """About ``limit`` characters of the abstract, cut at word boundaries, around the first matched term."""
    return snippet_with_spans(text, spans, limit)[0]


def present(c: Candidate, terms_of: ConceptFilter | None, *,
            base_url: str | None = None) -> CandidateItem:
    """Turn a ranked candidate into what the templates show (links checked, terms located)."""
    title = c.title or "(no title)"
    abstract = c.abstract or ""
    matcher = terms_of
    if matcher is not None:
        terms = matcher.matched_terms(c.title, c.abstract, " ; ".join(c.keywords or []))
        title_spans = matcher.spans(title)
        snip, snip_spans = snippet_with_spans(abstract, matcher.spans(abstract))
    else:
        terms, title_spans, snip, snip_spans = [], [], snippet(abstract, []), []
    return CandidateItem(
        work_id=c.work_id, title=title, title_spans=title_spans, authors=short_authors(c.authors),
        journal=c.journal, year=c.year, doi=c.doi, doi_link=doi_url(c.doi), pmid=c.pmid,
        pubmed_link=pubmed_url(c.pmid), link=work_url(c.work_id, base_url=base_url, doi=c.doi, pmid=c.pmid,
                                                     url=c.url),
        sources=list(c.sources), matched_terms=terms, snippet=snip, snippet_spans=snip_spans, status=c.status,
        score=c.score, connection=c.connection, why=tuple(c.why))


# -- reading the store ----------------------------------------------------------------------------------------
def _utc(value: datetime) -> datetime:
    """UTC, aware: SQLite stores the UTC wall time without an offset, so every bound value must be UTC."""
    return as_utc(value).astimezone(UTC)  # type: ignore[union-attr]


def new_candidates(session: Session, period: Period) -> list[Candidate]:
    """Works created in the period, not merged away, still waiting for the team (an open status)."""
    start, end = _utc(period.start), _utc(period.end)
    in_period = (Work.created_at >= start, Work.created_at < end, Work.merged_into_id.is_(None),
                 Work.status.in_(screening.OPEN_STATUSES))
    sources: dict[int, list[str]] = defaultdict(list)
    for wid, src in session.execute(select(SourceRecord.work_id, SourceRecord.source).join(
            Work, Work.id == SourceRecord.work_id).where(*in_period).distinct().order_by(SourceRecord.source)):
        sources[wid].append(src)
    return [Candidate(work_id=w.id, title=w.title, authors=list(w.authors or []), journal=w.journal, year=w.year,
                      doi=w.doi, pmid=w.pmid, url=w.url, abstract=w.abstract, keywords=list(w.keywords or []),
                      status=w.status, created_at=as_utc(w.created_at), sources=sources.get(w.id, []),
                      connection=connection_label(connections(session, w.id)) if CHASE_SOURCE in
                      sources.get(w.id, []) else None)
            for w in session.scalars(select(Work).where(*in_period))]


def corpus_counts(session: Session, period: Period, candidates: Sequence[Candidate],
                  corpus: Growth | None = None, *, reviewers_required: int = 2) -> Counts:
    """This period's candidates and duplicates, and the corpus at the period's end: records identified, records
    screened and studies included are the PRISMA diagram's boxes as of ``period.end`` (:mod:`store.prisma`),
    read off the growth series' last point, so the digest, the dashboard and the PRISMA page agree."""
    start, end = _utc(period.start), _utc(period.end)
    by_source: Counter[str] = Counter(s for c in candidates for s in c.sources)
    dups = dict(session.execute(
        select(SourceRecord.classification, func.count()).where(
            SourceRecord.fetched_at >= start, SourceRecord.fetched_at < end,
            SourceRecord.classification.in_(DUPLICATE_CLASSES)).group_by(SourceRecord.classification)).all())
    g = corpus or growth(session, period.end, reviewers_required=reviewers_required)
    return Counts(new_candidates=len(candidates), new_by_source=dict(sorted(by_source.items())),
                  duplicates_removed=sum(dups.values()), duplicates_by_kind=dict(sorted(dups.items())),
                  identified=g.records[-1], screened=g.screened[-1], included=g.included[-1])


def pending_notices(session: Session, period: Period, *, base_url: str | None = None) -> list[NoticeItem]:
    """Notices not yet reported: retractions/corrections of included studies first, then the rest, oldest first."""
    items = []
    for notice in session.scalars(select(Notice).where(Notice.digest_id.is_(None),
                                                       Notice.detected_at < _utc(period.end))):
        work = session.get(Work, notice.work_id)
        assert work is not None
        work = canonical(session, work)
        items.append(NoticeItem(
            notice_id=notice.id, kind=notice.kind, work_id=work.id, work_title=work.title or "(no title)",
            work_status=work.status, evidence=notice.evidence, source=notice.source,
            detected_at=as_utc(notice.detected_at),  # type: ignore[arg-type]
            link=work_url(work.id, base_url=base_url, doi=work.doi, pmid=work.pmid, url=work.url),
            notice_link=evidence_link(notice.evidence)))
    return sorted(items, key=lambda n: (not n.urgent, not n.about_included, n.detected_at, n.notice_id))


_EVIDENCE_ID = re.compile(r"\b(doi|pmid) (\S+)")


def evidence_link(evidence: str) -> str | None:
    """The link of the notice itself when its evidence names it (``… retraction-in doi 10.…``)."""
    m = _EVIDENCE_ID.search(evidence or "")
    if not m:
        return None
    return doi_url(m[2].rstrip(").,;")) if m[1] == "doi" else pubmed_url(m[2].rstrip(").,;"))


def protocol_changes(session: Session, review_id: str, period: Period) -> list[ProtocolChange]:
    """Protocol versions first loaded in the period, each with the version it replaced."""
    versions = list(session.scalars(select(ProtocolVersion).where(ProtocolVersion.review_id == review_id)
                                    .order_by(ProtocolVersion.loaded_at, ProtocolVersion.id)))
    out, previous = [], None
    for pv in versions:
        loaded = as_utc(pv.loaded_at)
        assert loaded is not None
        if _utc(period.start) <= loaded < _utc(period.end):
            out.append(ProtocolChange(pv.version, previous, loaded))
        previous = pv.version
    return out


def source_health(session: Session, period: Period, sources: Sequence[str]) -> list[SourceHealth]:
    """Per source: last success, records this period, last error, failing or not (the rules of store.health)."""
    return health.source_health(session, sources, since=period.start, until=period.end)


def growth(session: Session, until: datetime, protocol: Protocol | None = None, *,
           reviewers_required: int = 2) -> Growth:
    """Corpus growth from the previous version's baseline (the protocol's ``review.baseline_date`` when it
    sets one) to the digest's end (:mod:`reports.growth`)."""
    return growth_series(session, until, baseline=protocol.review.baseline_date if protocol else None,
                         reviewers_required=reviewers_required)


def domain_line(session: Session, protocol: Protocol, until: datetime) -> str | None:
    """The corpus per domain, as the paper reported it (64 coaching / 1,273 therapy-counselling records): records
    identified and studies included by each named query, and the total where a record found by both counts once."""
    if not protocol.domains:
        return None
    t = domain_counts(session, [r for r, _ in protocol.exclusion_reasons], protocol.domains, as_of=until,
                      reviewers_required=protocol.review.reviewers_per_record)
    cols = [f"{name} {d.identified:,} records, {d.included:,} new included" for name, d in t.domains.items()]
    return ("; ".join(cols) + f"; total {t.total.identified:,} records, {t.total.included:,} new included "
            f"({t.in_several:,} new work{'s' if t.in_several != 1 else ''} found by both queries: "
            "in each domain's figure, once in the total)")


def yield_by_query(session: Session, protocol: Protocol, work_ids: Sequence[int]) -> dict[str, int]:
    """New works per named query (per domain: coaching / therapy-counselling), as the paper reported 64 / 1,273."""
    names = protocol.domains
    if not names or not work_ids:
        return {}
    rows = dict(session.execute(select(SourceRecord.query_name, func.count(distinct(SourceRecord.work_id))).where(
        SourceRecord.work_id.in_(list(work_ids)), SourceRecord.query_name.in_(names))
        .group_by(SourceRecord.query_name)).all())
    return {n: int(rows.get(n, 0)) for n in names}


def volume_line(session: Session, protocol: Protocol, period: Period, new_candidates: int,
                by_query: dict[str, int] | None = None) -> str | None:
    """The last ``protocol estimate`` beside the period's yield: "Expected 12.5/week (estimate of <date>, protocol
    2.0.0); this period 9 new (9.0/week; coaching 2; therapy-counselling 7); capacity 60/week"."""
    last = latest_estimate(session, protocol.review.id)
    if last is None:
        return None
    version, when, data = last
    days = max((period.end - period.start).total_seconds() / 86400, 1.0)
    actual = round(new_candidates * 7 / days, 1)
    cap = data.get("capacity_per_week")
    return (f"Expected {data.get('per_week_total')}/week (estimate of {when:%Y-%m-%d}, protocol {version}); "
            f"this period {new_candidates} new ({actual}/week"
            + "".join(f"; {n} {k}" for n, k in (by_query or {}).items()) + ")"
            + (f"; capacity {cap}/week" if cap else ""))


def collect(session: Session, protocol: Protocol, period: Period, *, base_url: str | None = None,
            rank: Ranker | None = None, concept_filter: ConceptFilter | None = None) -> DigestContent:
    """Everything the digest for ``period`` says, read in the caller's session (ranked :func:`by_relevance`
    unless another ``rank`` is given)."""
    matcher = concept_filter or ConceptFilter(protocol)
    candidates = new_candidates(session, period)
    ranked = (rank or by_relevance(session, protocol))(candidates)
    cap = protocol.digest.max_candidates
    shown = [present(c, matcher, base_url=base_url) for c in ranked[:cap]]
    corpus = growth(session, period.end, protocol, reviewers_required=protocol.review.reviewers_per_record)
    return DigestContent(
        review_id=protocol.review.id, review_title=protocol.review.title, protocol_version=protocol.review.version,
        period=replace(period, timezone=protocol.digest.timezone),
        counts=corpus_counts(session, period, candidates, corpus),
        candidates=shown, more=max(0, len(ranked) - cap), notices=pending_notices(session, period, base_url=base_url),
        protocol_changes=protocol_changes(session, protocol.review.id, period),
        health=source_health(session, period, protocol.enabled_sources), growth=corpus,
        base_url=base_url, reminders=reminders(session, protocol, period.end),
        stopping=stop_estimate(session, protocol).sentence(),
        volume=volume_line(session, protocol, period, len(candidates),
                           yield_by_query(session, protocol, [c.work_id for c in candidates])),
        domains=domain_line(session, protocol, period.end))
