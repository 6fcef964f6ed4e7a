"""The monthly chase: citation searching on every included study, and the evidence watch on the same studies.

**Evidence watch** (every run, every included study, a handful of requests): the current record of each
study is fetched from Crossref (``/works?filter=doi:…``: ``updated-by`` carries retractions, corrections and
expressions of concern from publishers and Retraction Watch), PubMed (``efetch``: publication types and
CommentsCorrections), Europe PMC (``EXT_ID`` search: ``commentCorrectionList``) and OpenAlex
(``is_retracted``), and stored through the one ingest door. Ingest matches each record to its included
work and turns its relations into notices — once: a notice is unique on (work, kind, evidence), so a
rerun adds nothing. The digest shows them first.

**Citation chase** (backward: what a study cites; forward: what cites it) from OpenAlex
(``referenced_works``, ``cites:``), Europe PMC (``references``, ``citations``) and Crossref (deposited
references). What comes back is filtered by the protocol's concepts (title, abstract, keywords), its
languages and, for a peer-reviewed-only review, preprints; the rest is stored with source
``citation-chase`` and query ``<direction>:<api>`` (how PRISMA's "other methods" box counts it, see
``store/chase.py``), deduplicated against everything stored, queued when new, and tagged with every
included study it connects to.

Incremental and resumable: a study is chased in one transaction with its state (references already
fetched, cited-by counts seen); a study chased within ``chase.refresh_days`` is skipped; a study whose
cited-by count did not change is not asked for its citing works again; references are fetched once.
OpenAlex requests stop at ``chase.openalex_budget`` (the key's daily budget): the studies left over keep
their old state and go first next time.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow
from sqlalchemy import Engine

from livereview.connectors.crossref import lookup as crossref_lookup
from livereview.connectors.crossref.parse import item_to_record as crossref_record
from livereview.connectors.crossref.parse import reference_records
from livereview.connectors.europepmc import citations as epmc_citations
from livereview.connectors.http import SourceClient
from livereview.connectors.openalex import citations as oa_citations
from livereview.connectors.openalex.parse import cited_by_count, referenced_ids
from livereview.connectors.openalex.parse import item_to_record as openalex_record
from livereview.connectors.pubmed import lookup as pubmed_lookup
from livereview.errors import SourceError
from livereview.protocols.model import Protocol
from livereview.protocols.queries import language_allowed
from livereview.records.model import Record
from livereview.records.normalise import normalise_openalex_id
from livereview.settings import Settings
from livereview.store.chase import (
    CHASE_FLOW,
    CHASE_SOURCE,
    Study,
    included_studies,
    link_to_included,
    save_study_state,
    study_state,
)
from livereview.store.context import open_store
from livereview.store.db import require_current_schema, transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.models import SourceRun
from livereview.store.runs import acquire_lock, finish_run, register_protocol, release_lock, start_run, start_source_run

log = logging.getLogger(__name__)
LOCK_NAME = "chase"
WATCH_QUERY = "evidence-watch"
APIS = ("openalex", "europepmc", "crossref", "pubmed")
#: the chase's methods (PRISMA "other methods"): direction:api
METHODS = ("backward:openalex", "forward:openalex", "backward:europepmc", "forward:europepmc", "backward:crossref")


@dataclass
class Clients:
    """One HTTP client per API for the whole run: their request counters are the run's request counts."""

    openalex: SourceClient
    europepmc: SourceClient
    crossref: SourceClient
    pubmed: SourceClient

    @classmethod
    def from_settings(cls, settings: Settings) -> Clients:
        from livereview.connectors.crossref.search import make_client as crossref_client
        from livereview.connectors.europepmc.search import make_client as epmc_client
        from livereview.connectors.openalex.search import make_client as oa_client
        from livereview.connectors.pubmed.search import make_client as pubmed_client

        return cls(oa_client(settings), epmc_client(settings), crossref_client(settings), pubmed_client(settings))

    def requests(self) -> dict[str, int]:
        return {api: getattr(self, api).stats.requests for api in APIS}


@dataclass
class Watched:
    """What the evidence watch fetched, kept for the chase (no second request for the same thing)."""

    openalex: dict[int, Mapping[str, Any]] = field(default_factory=dict)     # study work id -> OpenAlex work
    crossref: dict[int, Mapping[str, Any]] = field(default_factory=dict)     # study work id -> Crossref item
    epmc_cited_by: dict[int, int] = field(default_factory=dict)              # study work id -> citedByCount
    epmc_has_refs: dict[int, bool] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class ChaseReport:
    run_id: int = 0
    status: str = "succeeded"
    studies: int = 0
    chased: int = 0
    skipped_recent: int = 0
    deferred_budget: int = 0
    notices: int = 0
    watch_counts: dict[str, int] = field(default_factory=dict)
    methods: dict[str, dict[str, int]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# -- evidence watch -------------------------------------------------------------------------------------------
def _safe(report_errors: list[str], what: str, fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except SourceError as exc:
        report_errors.append(f"{what}: {exc}")
        log.warning("%s failed: %s", what, exc)
        return None


def fetch_watch(clients: Clients, settings: Settings, studies: Sequence[Study], watched: Watched) -> list[Record]:
    """The current record of every included study from each API (no store access)."""
    records: list[Record] = []
    by_doi = {s.doi: s for s in studies if s.doi}
    by_pmid = {s.pmid: s for s in studies if s.pmid}
    if settings.openalex_api_key is not None or "api_key" in clients.openalex.default_params:
        works = _safe(watched.errors, "openalex look-up", oa_citations.lookup, clients.openalex, "doi", list(by_doi))
        for work in works or []:
            rec = openalex_record(work)
            study = by_doi.get(rec.doi or "")
            if study is not None:
                watched.openalex[study.work_id] = work
                records.append(rec)
    else:
        watched.errors.append("openalex: no API key (LIVEREVIEW_OPENALEX_API_KEY); skipped")
    items = _safe(watched.errors, "crossref look-up", crossref_lookup.works_by_dois, clients.crossref, list(by_doi))
    for doi, item in (items or {}).items():
        if doi in by_doi:
            watched.crossref[by_doi[doi].work_id] = item
            records.append(crossref_record(item))
    if by_pmid:
        recs = _safe(watched.errors, "pubmed efetch", pubmed_lookup.fetch_pmids, clients.pubmed, settings,
                     list(by_pmid))
        records.extend(recs or [])
        query = "(" + " OR ".join(f"EXT_ID:{p}" for p in by_pmid) + ") AND SRC:MED"
        page = _safe(watched.errors, "europepmc look-up", epmc_citations.search_page, clients.europepmc, settings,
                     query, page_size=max(25, min(1000, len(by_pmid))))
        for rec in page.records if page else []:
            study = by_pmid.get(rec.pmid or "")
            if study is None:
                continue
            raw = json.loads(rec.raw or "{}")
            count = raw.get("citedByCount")
            watched.epmc_cited_by[study.work_id] = count if isinstance(count, int) else 0
            watched.epmc_has_refs[study.work_id] = raw.get("hasReferences") == "Y"
            records.append(rec)
    return records


def store_watch(engine: Engine, protocol: Protocol, run_id: int, records: Sequence[Record]) -> dict[str, int]:
    """One transaction: the studies' current records in, their updates and notices raised (once)."""
    with transaction(engine) as s:
        sr = start_source_run(s, run_id, "evidence-watch", WATCH_QUERY, "chase:evidence-watch", None, None,
                              "current record of every included study: crossref, pubmed, europepmc, openalex")
        prov = Provenance(origin="search", run_id=run_id, source_run_id=sr.id, query_name=WATCH_QUERY,
                          actor=f"chase run {run_id}", reviewers_required=protocol.review.reviewers_by_stage)
        report = ingest_records(s, records, prov)
        counts = {**report.as_dict(), "notices": len(report.notice_ids)}
        sr.counts, sr.status, sr.finished_at = counts, "succeeded", datetime.now(UTC)
    return counts


# -- citation chase -------------------------------------------------------------------------------------------
def keep(protocol: Protocol, rec: Record) -> bool:
    """Language and type only (no preprints when the protocol asks): citation chasing exists to find what the
    keywords miss (the concept filter admits 27 of the paper's own 50 includes on their titles), so chased
    records are not put through it; ranking orders them and the queue shows which includes they cite or are
    cited by. A reference with no title (an identifier the index holds no metadata for) cannot be screened and
    is left out."""
    if protocol.review.peer_reviewed_only and any(t.lower() in ("preprint", "posted-content")
                                                  for t in rec.publication_types):
        return False
    return bool((rec.title or "").strip()) and language_allowed(protocol, rec.language)


@dataclass
class StudyFinds:
    """What one study's chase fetched, per method, and the state to save once stored."""

    records: dict[str, list[Record]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def fetch_study(clients: Clients, protocol: Protocol, study: Study, state: dict[str, Any], watched: Watched, *,
                openalex_left: int) -> StudyFinds | None:
    """Fetch what changed for one study since its saved state; None when the OpenAlex budget cannot cover it."""
    finds = StudyFinds(state=dict(state))
    st = finds.state
    directions = set(protocol.chase.directions)
    work = watched.openalex.get(study.work_id)
    if work is not None:
        st["openalex_id"] = normalise_openalex_id(work.get("id"))
        new_refs = [w for w in referenced_ids(work) if w not in set(st.get("openalex_refs", []))]
        count = cited_by_count(work)
        want_back = "backward" in directions and bool(new_refs)
        want_fwd = "forward" in directions and count != st.get("openalex_cited_by") and count > 0
        cost = (math.ceil(len(new_refs) / oa_citations.BATCH) if want_back else 0) + \
            (math.ceil(count / oa_citations.PER_PAGE) if want_fwd else 0)
        if cost > openalex_left:
            return None
        if want_back:
            works = _safe(finds.errors, f"openalex references of {st['openalex_id']}", oa_citations.works_by_ids,
                          clients.openalex, new_refs)
            if works is not None:
                finds.records["backward:openalex"] = [openalex_record(w) for w in works]
                st["openalex_refs"] = list(dict.fromkeys([*st.get("openalex_refs", []), *new_refs]))
        if want_fwd:
            works = _safe(finds.errors, f"openalex citing {st['openalex_id']}", oa_citations.citing,
                          clients.openalex, st["openalex_id"])
            if works is not None:
                finds.records["forward:openalex"] = [openalex_record(w) for w in works]
                st["openalex_cited_by"] = count
        elif "forward" in directions:
            st["openalex_cited_by"] = count
    if study.pmid and study.work_id in watched.epmc_cited_by:
        if "backward" in directions and watched.epmc_has_refs.get(study.work_id) and not st.get("epmc_refs_done"):
            got = _safe(finds.errors, f"europepmc references of MED:{study.pmid}", epmc_citations.links,
                        clients.europepmc, "MED", study.pmid, "references")
            if got is not None:
                finds.records["backward:europepmc"] = got[0]
                st["epmc_refs_done"] = True
        count = watched.epmc_cited_by[study.work_id]
        if "forward" in directions and count and count != st.get("epmc_cited_by"):
            got = _safe(finds.errors, f"europepmc citations of MED:{study.pmid}", epmc_citations.links,
                        clients.europepmc, "MED", study.pmid, "citations")
            if got is not None:
                finds.records["forward:europepmc"] = got[0]
                st["epmc_cited_by"] = count
    item = watched.crossref.get(study.work_id)
    if item is not None and "backward" in directions:
        seen = set(st.get("crossref_refs", []))
        refs = [r for r in reference_records(item) if r.doi not in seen]
        if refs:
            finds.records["backward:crossref"] = refs
            st["crossref_refs"] = sorted(seen | {r.doi for r in refs if r.doi})
    return finds


def store_study(engine: Engine, protocol: Protocol, run_id: int, source_runs: Mapping[str, int], study: Study,
                finds: StudyFinds, today: date) -> dict[str, Counter[str]]:
    """One transaction per study: kept records in (tagged with the study), its state saved — all or nothing."""
    counts: dict[str, Counter[str]] = {}
    with transaction(engine) as s:
        matcher = matcher_for(s)
        for method, records in finds.records.items():
            direction, api = method.split(":", 1)
            kept = [replace(r, source=CHASE_SOURCE, source_id=f"{api}:{r.stable_id()}") for r in records
                    if keep(protocol, r)]
            prov = Provenance(origin="search", run_id=run_id, source_run_id=source_runs[method], query_name=method,
                              actor=f"chase run {run_id}", reviewers_required=protocol.review.reviewers_by_stage)
            report = ingest_records(s, kept, prov, matcher=matcher)
            c: Counter[str] = Counter({"fetched": len(records), "filtered_out": len(records) - len(kept)})
            c.update(report.counts)
            for _, work_id in report.classifications:
                if work_id is not None and link_to_included(s, work_id, study.work_id, direction, api):
                    c["linked"] += 1
            counts[method] = c
        if not finds.errors:
            save_study_state(s, study.work_id, today, finds.state, run_id)
        else:  # keep what was fetched, but chase the study again next run
            previous, _ = study_state(s, study.work_id)
            save_study_state(s, study.work_id, previous or date(1970, 1, 1), finds.state, run_id)
    return counts


def _due(last: date | None, today: date, refresh_days: int) -> bool:
    return last is None or today - last >= timedelta(days=refresh_days)


# -- the whole run ----------------------------------------------------------------------------------------------
def execute_chase(settings: Settings, protocol: Protocol, engine: Engine, *, clients: Clients | None = None,
                  today: date | None = None, flow_run_id: str | None = None) -> dict[str, Any]:
    """Evidence watch then citation chase on every included study; returns the run summary (see module doc)."""
    require_current_schema(engine)
    today = today or datetime.now(UTC).date()
    clients = clients or Clients.from_settings(settings)
    before = clients.requests()
    acquire_lock(engine, LOCK_NAME, f"chase {flow_run_id or 'local'}")
    report = ChaseReport()
    try:
        with transaction(engine) as s:
            pv = register_protocol(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                                   protocol.text or "", protocol.path)
            run = start_run(s, CHASE_FLOW, pv.id, {"today": today.isoformat()}, prefect_flow_run_id=flow_run_id)
            report.run_id = run.id
            studies = included_studies(s)
            source_runs = {m: start_source_run(s, run.id, CHASE_SOURCE, m, f"chase:{m}", None, today,
                                               f"{m} of every included study").id for m in METHODS}
            states = {st.work_id: study_state(s, st.work_id) for st in studies}
        report.studies = len(studies)
        try:
            watched = Watched()
            watch_records = fetch_watch(clients, settings, studies, watched)
            report.errors.extend(watched.errors)
            report.watch_counts = store_watch(engine, protocol, report.run_id, watch_records)
            report.notices = report.watch_counts.get("notices", 0)
            order = sorted(studies, key=lambda st: (states[st.work_id][0] or date.min, st.work_id))
            for study in order:
                last, state = states[study.work_id]
                if not _due(last, today, protocol.chase.refresh_days):
                    report.skipped_recent += 1
                    continue
                left = protocol.chase.openalex_budget - (clients.openalex.stats.requests - before["openalex"])
                finds = fetch_study(clients, protocol, study, state, watched, openalex_left=left)
                if finds is None:
                    report.deferred_budget += 1
                    continue
                report.errors.extend(finds.errors)
                stored = store_study(engine, protocol, report.run_id, source_runs, study, finds, today)
                for method, c in stored.items():
                    total = report.methods.setdefault(method, {})
                    for k, v in c.items():
                        total[k] = total.get(k, 0) + v
                report.chased += 1
        except BaseException as exc:
            with transaction(engine) as s:
                finish_run(s, report.run_id, "failed", report.as_dict(), error=f"{type(exc).__name__}: {exc}")
            raise
        after = clients.requests()
        report.requests = {api: after[api] - before[api] for api in APIS}
        report.status = "partial" if report.errors else "succeeded"
        with transaction(engine) as s:
            for method, sr_id in source_runs.items():
                sr = s.get(SourceRun, sr_id)
                assert sr is not None
                sr.counts = report.methods.get(method, {})
                sr.status, sr.finished_at = "succeeded", datetime.now(UTC)
            finish_run(s, report.run_id, report.status, report.as_dict(),
                       error="; ".join(report.errors)[:2000] or None)
    finally:
        release_lock(engine, LOCK_NAME)
    return report.as_dict()


@flow(name="chase", flow_run_name="chase-{protocol_path}", log_prints=True)
def monthly_chase(protocol_path: str | None = None) -> dict[str, Any]:
    """Scheduled entry point (deployment ``monthly-chase``): evidence watch and citation chase. See module doc."""
    from prefect.runtime import flow_run

    with open_store(protocol_path, require_schema=False) as opened:  # execute_chase checks the schema itself
        summary = execute_chase(opened.settings, opened.protocol, opened.engine,
                                flow_run_id=str(flow_run.id) if flow_run.id else None)
    if summary["status"] == "failed":
        raise SourceError("chase", "the chase failed; see the run summary")
    return summary
