"""SQLAlchemy 2.x models: the store's tables. The schema itself is created by Alembic migrations.

Layout of the data:

* ``works`` — canonical works (one per real publication), with a *derived* screening status;
* ``source_records`` — every record exactly as a source or file delivered it (raw payload kept),
  linked to its work and to the run or import that brought it;
* ``runs`` / ``source_runs`` / ``watermarks`` — what each monitor run did per source and query,
  and the per-stream cursor that only advances after a commit;
* ``imports`` — file imports; ``protocol_versions`` — every protocol text ever used;
* ``decisions`` (screening votes) and ``audit_log`` (append-only);
* ``work_merges`` (reversible), ``work_links`` (preprint ↔ published, notices), ``notices``
  (retractions/corrections for the digest), ``digests``, ``locks``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from livereview.store.clock import utcnow

#: ``works.relevance`` of a work the ranker has not scored yet (sorts after every score, which are 0..1)
UNSCORED = -1.0


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class ProtocolVersion(Base):
    __tablename__ = "protocol_versions"
    __table_args__ = (UniqueConstraint("review_id", "version", name="uq_protocol_review_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Work(Base):
    __tablename__ = "works"
    __table_args__ = (
        # the queue's default order (relevance, newest first within a score), read backwards: no sort
        Index("ix_works_relevance_created", "relevance", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doi: Mapped[str | None] = mapped_column(String(300), unique=True)
    pmid: Mapped[str | None] = mapped_column(String(20), unique=True)
    pmcid: Mapped[str | None] = mapped_column(String(20), unique=True)
    openalex_id: Mapped[str | None] = mapped_column(String(30), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    journal: Mapped[str | None] = mapped_column(Text)
    volume: Mapped[str | None] = mapped_column(String(50))
    issue: Mapped[str | None] = mapped_column(String(50))
    pages: Mapped[str | None] = mapped_column(String(50))
    issn: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(40))
    publication_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(Text)
    is_retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    has_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    is_preprint: Mapped[bool] = mapped_column(Boolean, default=False)
    domain: Mapped[str | None] = mapped_column(String(50))
    origin: Mapped[str] = mapped_column(String(20))           # seed | import | search
    status: Mapped[str] = mapped_column(String(30), index=True)  # derived from decisions (store.screening)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"), index=True)
    version_of_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"), index=True)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    first_import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    # the latest relevance score (ranking_scores.score, 0..1) as the queue's sort key; -1 = not scored yet
    relevance: Mapped[float] = mapped_column(Float, server_default=text("-1"))  # UNSCORED

    source_records: Mapped[list[SourceRecord]] = relationship(back_populates="work",
                                                              foreign_keys="SourceRecord.work_id")
    decisions: Mapped[list[Decision]] = relationship(back_populates="work", order_by="Decision.id")


class SourceRecord(Base):
    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("source", "source_id", "content_hash", "query_name", name="uq_source_record_content"),
        Index("ix_source_records_ids", "doi"),
        Index("ix_source_records_pmid", "pmid"),
        Index("ix_source_records_pmcid", "pmcid"),
        Index("ix_source_records_openalex", "openalex_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    source: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str] = mapped_column(String(300))
    query_name: Mapped[str] = mapped_column(String(100), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    doi: Mapped[str | None] = mapped_column(String(300))
    pmid: Mapped[str | None] = mapped_column(String(20))
    pmcid: Mapped[str | None] = mapped_column(String(20))
    openalex_id: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[str] = mapped_column(String(30))    # new | duplicate | update | version | notice | seed
    #: how the record found the work it joined: "identifier", or the dedup rule that matched (dedup.rules); None
    #: for the record that made its work (and for records stored before the column existed)
    match_rule: Mapped[str | None] = mapped_column(String(100))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)         # the normalised Record (JSON view)
    raw: Mapped[str | None] = mapped_column(Text)
    raw_format: Mapped[str | None] = mapped_column(String(40))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    source_run_id: Mapped[int | None] = mapped_column(ForeignKey("source_runs.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    work: Mapped[Work] = relationship(back_populates="source_records", foreign_keys=[work_id])


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))  # running | succeeded | partial | failed
    protocol_version_id: Mapped[int | None] = mapped_column(ForeignKey("protocol_versions.id"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    prefect_flow_run_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()

    source_runs: Mapped[list[SourceRun]] = relationship(back_populates="run", order_by="SourceRun.id")


class SourceRun(Base):
    """One (source, query) inside a run: window, exact query sent, counts, requests, outcome."""

    __tablename__ = "source_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    source: Mapped[str] = mapped_column(String(50), index=True)
    query_name: Mapped[str] = mapped_column(String(100))
    stream: Mapped[str] = mapped_column(String(200), index=True)
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    query_sent: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # running | succeeded | failed | skipped
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    run: Mapped[Run] = relationship(back_populates="source_runs")


class Watermark(Base):
    """Per-stream incremental state (dlt-style): the end of the last committed window, plus source state."""

    __tablename__ = "watermarks"

    stream: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(50))
    last_window_end: Mapped[date] = mapped_column(Date)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (UniqueConstraint("sha256", "source", name="uq_import_file_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(40))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    query: Mapped[str | None] = mapped_column(Text)   # the search the team ran to get the file (PRISMA-S)
    protocol_version_id: Mapped[int | None] = mapped_column(ForeignKey("protocol_versions.id"))
    #: the protocol's ``manual.<name>`` query this export answers (its text is in the protocol version above)
    manual_query: Mapped[str | None] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """One reviewer's screening vote (or a final/consensus decision). Never updated: a new vote supersedes."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20))        # title-abstract | full-text
    decision: Mapped[str] = mapped_column(String(20))     # include | exclude | maybe
    reason: Mapped[str | None] = mapped_column(Text)      # an exclusion criterion id, or free text
    note: Mapped[str | None] = mapped_column(Text)
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)  # consensus / adjudication / prior decision
    origin: Mapped[str] = mapped_column(String(20), default="web")  # web | import | seed | merge
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # full text only: was the report found? (PRISMA "reports sought for retrieval" / "reports not retrieved")
    report_retrieved: Mapped[bool | None] = mapped_column(Boolean)

    work: Mapped[Work] = relationship(back_populates="decisions")


class AuditEntry(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WorkMerge(Base):
    """A merge of ``merged_id`` into ``kept_id``: what moved, so it can be undone."""

    __tablename__ = "work_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    rule: Mapped[str] = mapped_column(String(100))
    score: Mapped[float | None] = mapped_column()
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column()
    # the run or import whose records joined the two works (an identifier bridge); None for a person's merge
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)


class WorkLink(Base):
    """A typed link from a work to another work or identifier (preprint-of, retraction-in, erratum-in …)."""

    __tablename__ = "work_links"
    __table_args__ = (UniqueConstraint("work_id", "kind", "target_type", "target", name="uq_work_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(300))
    target_work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"))
    source: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(Base):
    """Something the team must hear about a known work: a retraction, a correction, an expression of concern."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("work_id", "kind", "evidence", name="uq_notice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))       # retraction | correction | expression-of-concern | version
    evidence: Mapped[str] = mapped_column(String(400))  # e.g. "pubmed:RetractionIn pmid 123"
    source: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    detected_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"))


class DigestRecord(Base):
    """A digest for one period: rendered, pending delivery, or sent (never sent twice unless forced)."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | failed
    subject: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    message_id: Mapped[str | None] = mapped_column(String(300))
    eml_path: Mapped[str | None] = mapped_column(Text)
    html_path: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class Lock(Base):
    """A named lock row: two monitor runs never write at once; a dead holder's lock is taken over."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(300))
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    acquired_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class RankingRun(Base):
    """One training of the relevance ranker: on what it learned, and when (the scores it wrote point here)."""

    __tablename__ = "ranking_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))          # model | similarity
    n_included: Mapped[int] = mapped_column(Integer)
    n_excluded: Mapped[int] = mapped_column(Integer)
    n_scored: Mapped[int] = mapped_column(Integer)
    last_decision_id: Mapped[int | None] = mapped_column(Integer)  # newest decision learned from
    last_work_id: Mapped[int | None] = mapped_column(Integer)      # newest work scored
    seconds: Mapped[float] = mapped_column()
    trained_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RankingScore(Base):
    """The latest relevance score of an open work (0..1, higher first) and the terms that raised it most."""

    __tablename__ = "ranking_scores"

    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), primary_key=True)
    ranking_run_id: Mapped[int] = mapped_column(ForeignKey("ranking_runs.id"), index=True)
    score: Mapped[float] = mapped_column()
    why: Mapped[list[str]] = mapped_column(JSON, default=list)


class DuplicatePair(Base):
    """A pair of works put before people: a near miss the deduplication left apart (``dedup.NearMiss``) or a record
    a person split off a work. ``status``: open (to decide) | merged | distinct ("not a duplicate": kept so the
    pair is never proposed again). ``work_id`` is the newer work, ``other_id`` the one it nearly matched."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("work_id", "other_id", name="uq_duplicate_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(100))          # what the rules said (dedup.rules), or "split"
    status: Mapped[str] = mapped_column(String(20), index=True, default="open")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column()


class FullTextLink(Base):
    """The best legal open-access copy of a work the finder found (or that none was found), and when it looked.

    One row per work; ``url`` is None when the sources were asked and know no free copy. Re-checked after
    ``LIVEREVIEW_FULLTEXT_RECHECK_DAYS`` (a copy may appear when an embargo ends).
    """

    __tablename__ = "fulltext_links"

    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    pdf_url: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[str | None] = mapped_column(String(20))     # published | accepted | submitted
    host_type: Mapped[str | None] = mapped_column(String(20))   # publisher | repository
    oa_status: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(30))      # unpaywall | europepmc | openalex
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)  # a source that could not be asked this time
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Attachment(Base):
    """A PDF a person attached to a work: the file is stored once by its SHA-256, the row says who, when, where."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    attached_by: Mapped[str] = mapped_column(String(200))
    attached_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExtractionRecord(Base):
    """One set of extraction values for an included work (issue 21). Never updated: a newer row supersedes.

    ``kind`` is ``extraction`` (one extractor's independent values) or ``reconciled`` (the checker's final values
    after the cross-check, or the published review's row loaded by ``init``: ``review_version`` "1.0",
    ``provenance`` "published review, Table 2"). ``fields`` holds the field definitions the values were written
    under, so a later protocol that changes its fields still reads these values.
    """

    __tablename__ = "extractions"
    __table_args__ = (Index("ix_extractions_work_kind", "work_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))                  # extraction | reconciled
    actor: Mapped[str] = mapped_column(String(200))                # the extractor, or the checker who reconciled
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # field definitions in force
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)    # field -> the checker's note
    note: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(200))          # "extraction" | "cross-check" | "published ..."
    review_version: Mapped[str | None] = mapped_column(String(50))  # "1.0" for the published review's rows
    protocol_version: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppraisalRecord(Base):
    """One QATSDD appraisal of an included work (issue 21). Never updated: a newer row of a rater supersedes.

    ``kind`` is ``rating`` (one rater's independent scores) or ``resolution`` (the agreed scores: ``method``
    "discussion" or "third reviewer"; or a baseline/agreed "not appraised" with its reason). ``scores`` maps the
    item number (as text, "1".."16") to 0..3; items the design does not use are absent.
    """

    __tablename__ = "appraisals"
    __table_args__ = (Index("ix_appraisals_work_kind", "work_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))                  # rating | resolution
    actor: Mapped[str] = mapped_column(String(200))
    tool: Mapped[str] = mapped_column(String(20), default="QATSDD")
    status: Mapped[str] = mapped_column(String(20))                # scored | not appraised
    design: Mapped[str | None] = mapped_column(String(20))         # quantitative | qualitative | mixed
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)               # why not appraised
    method: Mapped[str | None] = mapped_column(String(30))         # discussion | third reviewer (resolutions)
    note: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(200), default="appraisal")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Release(Base):
    """A version of the review, frozen: ``snapshot`` holds everything its report shows (write-once: the database
    refuses UPDATE and DELETE, migration 0014)."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(30), unique=True)
    previous_version: Mapped[str | None] = mapped_column(String(30))
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    cutoff: Mapped[datetime] = mapped_column()      # decisions and records up to here are in this version
    released_by: Mapped[str] = mapped_column(String(200))
    included_total: Mapped[int] = mapped_column(Integer)
    included_new: Mapped[int] = mapped_column(Integer)
    open_items: Mapped[int] = mapped_column(Integer)   # recorded as open with --allow-open
    sha256: Mapped[str] = mapped_column(String(64))    # of the snapshot's canonical JSON
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReleaseWork(Base):
    """A work's place in a release: ``included`` (``is_new`` when first included in it) or ``excluded`` (screened
    out by then: the next version's PRISMA does not count it again)."""

    __tablename__ = "release_works"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    is_new: Mapped[bool] = mapped_column(Boolean, default=False)
    domain: Mapped[str | None] = mapped_column(String(50))


class ThemeTag(Base):
    """A synthesis theme (the protocol's ``[[synthesis.themes]]``) a reviewer puts on an included study, and
    whether the study changes that theme's conclusion."""

    __tablename__ = "theme_tags"
    __table_args__ = (UniqueConstraint("work_id", "theme", name="uq_theme_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    theme: Mapped[str] = mapped_column(String(60))
    changes_conclusion: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(200))
    tagged_at: Mapped[datetime] = mapped_column(default=utcnow)

# -- people in the loop (issue 20): tags, comments and mentions, highlight words, assignments ------------------


class Tag(Base):
    """An admin-defined label with a colour from the fixed palette (store.tags.PALETTE: a CSS class, never CSS)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    colour: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkTag(Base):
    """A tag on a work, put there by a reviewer (who and when; taking it off deletes the row, audited)."""

    __tablename__ = "work_tags"

    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """One message in a record's thread (never edited: the thread is a record of the discussion)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    """An @name in a comment: shown in that user's queue until they read the record's thread."""

    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_user_unread", "user_name", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    user_name: Mapped[str] = mapped_column(String(100))
    read_at: Mapped[datetime | None] = mapped_column()


class HighlightWord(Base):
    """A word or phrase one user wants marked in titles and abstracts, beside the protocol's terms."""

    __tablename__ = "highlight_words"
    __table_args__ = (UniqueConstraint("user_name", "word", name="uq_highlight_user_word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    word: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """A work handed to a reviewer by an admin (the queue's "assigned to me"); a work may go to several."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("work_id", "reviewer", name="uq_assignment_work_reviewer"),
                      Index("ix_assignments_reviewer", "reviewer", "work_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserPreference(Base):
    """One account's remembered list settings (the page size of the record lists and search)."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    page_size: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
