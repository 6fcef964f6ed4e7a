"""The monitor flow: rerun every search of the protocol, store what came back, queue only what is new.

For each enabled source and each of its queries (a *stream*: core query, expansion queries, one
per journal feed) the flow works out the window — from the stream's watermark minus an overlap
(or the protocol's date floor on the first run, sliced so a backfill commits as it goes) up to
today — fetches it (a task with retries and a timeout) and stores it (a task: one transaction
that stores the records, the stream's counts and the advanced watermark together). A failing
source stops only its own streams: the run ends ``partial``, says which source failed and why,
and because that stream's watermark did not move, the next run fetches its whole missed window.

Thin by design: the logic lives in plain functions (``plan_streams``, ``fetch_window``,
``store_window``) that tests call without Prefect; the flow only orchestrates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff
from sqlalchemy import Engine

from livereview.connectors.base import SearchResult, Window
from livereview.connectors.registry import connector_for
from livereview.errors import (
    LiveReviewError,
    MissingCredentialsError,
    SourceError,
    SourceHTTPError,
    SourceQueryError,
    VolumeRefusedError,
)
from livereview.flows.estimate import COUNTABLE, Estimate, estimate, volume_check
from livereview.protocols.model import CORE_QUERY, Protocol
from livereview.protocols.queries import (
    ConceptFilter,
    SourceQuery,
    language_allowed,
    openalex_languages,
    source_queries,
)
from livereview.secrets import scrub
from livereview.settings import Settings
from livereview.store.clock import utcnow
from livereview.store.context import open_store
from livereview.store.db import require_current_schema, transaction
from livereview.store.health import consecutive_failures
from livereview.store.ingest import FuzzyMatcher, Provenance, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.models import SourceRun
from livereview.store.runs import (
    WRITER_LOCK,
    abandon_stale_runs,
    acquire_lock,
    advance_watermark,
    finish_run,
    get_watermark,
    next_window_start,
    register_protocol,
    release_lock,
    start_run,
    start_source_run,
)

log = logging.getLogger(__name__)
#: marks a log record that the run's summary table repeats: ``livereview run`` keeps it off the console, where the
#: table says it once (see cli/logs.py); the log file and the scheduled flow's log keep it
IN_RUN_SUMMARY = {"in_run_summary": True}
LOCK_NAME = WRITER_LOCK  # shared with imports: one writer of works at a time
COUNT_KEYS = ("fetched", "dropped", "filtered_out", "new", "already-queued", "in-corpus", "update", "version",
              "notice", "unchanged")


@dataclass
class StreamPlan:
    """One stream's work in this run: its query and the windows to fetch, in order."""

    query: SourceQuery
    windows: list[Window]
    state: dict[str, Any] = field(default_factory=dict)
    backfill: bool = False
    types: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)   # for sources that filter by language (OpenAlex codes)

    @property
    def source(self) -> str:
        return self.query.source

    @property
    def endpoint(self) -> str:
        """What one outage takes down: the source's API, or for a feed its own host."""
        return urlsplit(self.query.text).netloc if self.source == "feeds" else self.source


@dataclass
class StreamOutcome:
    stream: str
    source: str
    query_name: str
    status: str                      # succeeded | failed | skipped
    window: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    unreachable: bool = False        # the source could not be reached at all (HTTP retries spent)


# -- plain steps (testable without Prefect) ---------------------------------------------------------------------
def plan_streams(engine: Engine, protocol: Protocol, *, sources: list[str] | None = None, since: date | None = None,
                 today: date | None = None) -> list[StreamPlan]:
    """The streams to run and their windows, from the watermarks."""
    today = today or utcnow().date()
    wanted = sources or protocol.enabled_sources
    unknown = [s for s in wanted if s not in protocol.enabled_sources]
    if unknown:
        raise SourceQueryError(",".join(unknown), "not an enabled source of this protocol "
                               f"(enabled: {', '.join(protocol.enabled_sources)})")
    plans: list[StreamPlan] = []
    with transaction(engine) as s:
        for source in wanted:
            cfg = protocol.source(source)
            for q in source_queries(protocol, source):
                wm = get_watermark(s, q.stream)
                start = min(next_window_start(wm, floor=protocol.review.date_floor, overlap_days=cfg.overlap_days,
                                              since=since), today)
                window = Window(start, today)
                backfill = wm is None and since is None
                sliced = backfill and source != "feeds"
                windows = list(window.slices(cfg.backfill_slice_days)) if sliced else [window]
                plans.append(StreamPlan(q, windows, dict(wm.state) if wm and wm.state else {}, backfill,
                                        list(cfg.types), openalex_languages(protocol)))
    return plans


def fetch_window(settings: Settings, plan: StreamPlan, window: Window) -> SearchResult:
    """Ask the source for one window of one stream (no store access)."""
    connector = connector_for(plan.source, settings, types=plan.types, languages=plan.languages)
    return connector.search(plan.query.text, window, state=plan.state)


def store_window(engine: Engine, protocol: Protocol, *, run_id: int, source_run_id: int, plan: StreamPlan,
                 window: Window, result: SearchResult, matcher: FuzzyMatcher | None = None) -> dict[str, int]:
    """One transaction: records in, stream counts updated, watermark advanced — all or nothing.

    ``matcher`` is the run's fuzzy index (built once per run); an entry left by a rolled-back window
    points at no work and is ignored by ingest.
    """
    records = result.records
    filtered_out = 0
    if plan.query.client_filter:
        concept_filter = ConceptFilter(protocol, plan.query.name if plan.query.name in protocol.query_names
                                       else CORE_QUERY)
        # the concept filter, and the language criterion these sources cannot apply in their query
        kept = [r for r in records if concept_filter.matches(r.title, r.abstract, " ".join(r.keywords))
                and language_allowed(protocol, r.language)]
        filtered_out = len(records) - len(kept)
        records = kept
    prov = Provenance(origin="search", run_id=run_id, source_run_id=source_run_id, query_name=plan.query.name,
                      actor=f"monitor run {run_id}", reviewers_required=protocol.review.reviewers_by_stage)
    with transaction(engine) as s:
        report = ingest_records(s, records, prov, matcher=matcher if matcher is not None else matcher_for(s))
        counts = {"fetched": len(result.records), "filtered_out": filtered_out, **report.counts}
        if result.dropped:
            counts["dropped"] = result.dropped
        sr = s.get(SourceRun, source_run_id)
        assert sr is not None
        merged = dict(sr.counts or {})
        for k, v in counts.items():
            merged[k] = merged.get(k, 0) + v
        sr.counts = merged
        sr.requests = (sr.requests or 0) + (result.stats.requests if result.stats else 0)
        sent = "\n".join(result.queries) if result.queries else plan.query.text
        sr.query_sent = sent if not sr.query_sent or sr.query_sent == plan.query.text else sr.query_sent + "\n" + sent
        sr.warnings = list(sr.warnings or []) + list(result.warnings)
        advance_watermark(s, plan.query.stream, plan.source, window.end, result.state, run_id)
        plan.state = {**plan.state, **result.state}
    return counts


def _open_source_run(engine: Engine, run_id: int, plan: StreamPlan) -> int:
    """Record (committed at once) that this stream started, over its planned window."""
    with transaction(engine) as s:
        sr = start_source_run(s, run_id, plan.source, plan.query.name, plan.query.stream, plan.windows[0].start,
                              plan.windows[-1].end, plan.query.text)
        return sr.id


def _finish_source_run(engine: Engine, source_run_id: int, status: str, error: str | None = None) -> None:
    with transaction(engine) as s:
        sr = s.get(SourceRun, source_run_id)
        assert sr is not None
        sr.status, sr.error = status, scrub(error) if error else error
        sr.finished_at = utcnow()


# -- Prefect tasks ----------------------------------------------------------------------------------------------------
def _retry_unless_permanent(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a window whose answer was garbled (an HTML error page, truncated JSON: a proxy hiccup).

    Not retried: a refused query or a missing key (they would fail the same way), and HTTP failures,
    which the HTTP client has already retried with backoff — retrying those again would multiply waits.
    """
    try:
        state.result()
    except (SourceQueryError, MissingCredentialsError, SourceHTTPError):
        return False
    except Exception:  # noqa: BLE001 - a parse failure or a bug in one window is worth one more attempt
        return True
    return False


@task(name="fetch-window", task_run_name="fetch {plan.query.stream} {window}", retry_jitter_factor=0.5,
      timeout_seconds=3600, retry_condition_fn=_retry_unless_permanent, cache_policy=NO_CACHE, persist_result=False)
def fetch_window_task(settings: Settings, plan: StreamPlan, window: Window) -> SearchResult:
    return fetch_window(settings, plan, window)


@task(name="store-window", task_run_name="store {plan.query.stream} {window}", cache_policy=NO_CACHE,
      persist_result=False, timeout_seconds=3600)
def store_window_task(engine: Engine, protocol: Protocol, run_id: int, source_run_id: int, plan: StreamPlan,
                      window: Window, result: SearchResult, matcher: FuzzyMatcher | None) -> dict[str, int]:
    return store_window(engine, protocol, run_id=run_id, source_run_id=source_run_id, plan=plan, window=window,
                        result=result, matcher=matcher)


# -- orchestration ----------------------------------------------------------------------------------------------------
def run_stream(engine: Engine, settings: Settings, protocol: Protocol, run_id: int, plan: StreamPlan, *,
               use_tasks: bool, matcher: FuzzyMatcher | None = None) -> StreamOutcome:
    first, last = plan.windows[0], plan.windows[-1]
    sr_id = _open_source_run(engine, run_id, plan)
    outcome = StreamOutcome(plan.query.stream, plan.source, plan.query.name, "running", f"{first.start}..{last.end}")
    fetch = fetch_window_task.with_options(  # retries come from settings (LIVEREVIEW_TASK_RETRIES / _RETRY_DELAY)
        retries=settings.task_retries,
        retry_delay_seconds=exponential_backoff(backoff_factor=settings.task_retry_delay)(settings.task_retries),
    ) if use_tasks else fetch_window
    store = store_window_task if use_tasks else None
    try:
        for window in plan.windows:
            result = fetch(settings, plan, window)
            if store is not None:
                counts = store(engine, protocol, run_id, sr_id, plan, window, result, matcher)
            else:
                counts = store_window(engine, protocol, run_id=run_id, source_run_id=sr_id, plan=plan, window=window,
                                      result=result, matcher=matcher)
            for k, v in counts.items():
                outcome.counts[k] = outcome.counts.get(k, 0) + v
            outcome.requests += result.stats.requests if result.stats else 0
            outcome.warnings.extend(result.warnings)
    except MissingCredentialsError as exc:
        outcome.status, outcome.error = "skipped", str(exc)
        log.warning("%s skipped: %s", plan.query.stream, exc, extra=IN_RUN_SUMMARY)
        _finish_source_run(engine, sr_id, "skipped", str(exc))
        return outcome
    except (SourceError, LiveReviewError) as exc:
        outcome.status, outcome.error = "failed", str(exc)
        outcome.unreachable = isinstance(exc, SourceHTTPError) and exc.status is None
    except Exception as exc:  # noqa: BLE001 - one broken source must not stop the others; the error is recorded
        outcome.status, outcome.error = "failed", scrub(f"{type(exc).__name__}: {exc}")
        log.exception("%s failed unexpectedly", plan.query.stream, extra=IN_RUN_SUMMARY)
    else:
        outcome.status = "succeeded"
    if outcome.status == "failed":
        log.error("%s failed: %s", plan.query.stream, outcome.error, extra=IN_RUN_SUMMARY)
    _finish_source_run(engine, sr_id, outcome.status, outcome.error)
    return outcome


def skip_unreachable(engine: Engine, run_id: int, plan: StreamPlan, error: str) -> StreamOutcome:
    """Record a stream not tried because its source could not be reached earlier in this run."""
    first, last = plan.windows[0], plan.windows[-1]
    sr_id = _open_source_run(engine, run_id, plan)
    reason = f"not tried: {plan.endpoint} was unreachable earlier in this run ({error})"
    _finish_source_run(engine, sr_id, "failed", reason)
    return StreamOutcome(plan.query.stream, plan.source, plan.query.name, "failed", f"{first.start}..{last.end}",
                         error=reason, unreachable=True)


def run_status(outcomes: list[StreamOutcome]) -> str:
    attempted = [o for o in outcomes if o.status != "skipped"]
    failed = [o for o in attempted if o.status == "failed"]
    if not failed:
        return "succeeded"
    return "failed" if len(failed) == len(attempted) else "partial"


def summarise(outcomes: list[StreamOutcome]) -> dict[str, Any]:
    totals: dict[str, int] = {}
    for o in outcomes:
        for k, v in o.counts.items():
            totals[k] = totals.get(k, 0) + v
    return {
        "status": run_status(outcomes),
        "totals": totals,
        "streams": [o.__dict__ for o in outcomes],
        "failed_sources": sorted({o.source for o in outcomes if o.status == "failed"}),
        "skipped_sources": sorted({o.source for o in outcomes if o.status == "skipped"}),
    }


def execute_monitor(settings: Settings, protocol: Protocol, engine: Engine, *, sources: list[str] | None = None,
                    since: date | None = None, use_tasks: bool = False, alert: bool = True,
                    flow_run_id: str | None = None) -> dict[str, Any]:
    """The whole run: lock, plan, fetch + store each stream, record the summary, alert. Returns the summary."""
    require_current_schema(engine)
    acquire_lock(engine, LOCK_NAME, f"monitor pid-run {flow_run_id or 'local'}")
    try:
        with transaction(engine) as s:
            abandon_stale_runs(s)
            pv = register_protocol(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                                   protocol.text or "", protocol.path)
            run = start_run(s, "monitor", pv.id, {"sources": sources, "since": since.isoformat() if since else None},
                            prefect_flow_run_id=flow_run_id)
            run_id = run.id
        outcomes: list[StreamOutcome] = []
        try:
            plans = plan_streams(engine, protocol, sources=sources, since=since)
            with transaction(engine) as s:
                matcher = matcher_for(s)
            unreachable: dict[str, str] = {}
            for plan in plans:
                if plan.endpoint in unreachable:  # don't wait out every stream's retries against a dead endpoint
                    outcomes.append(skip_unreachable(engine, run_id, plan, unreachable[plan.endpoint]))
                    continue
                outcome = run_stream(engine, settings, protocol, run_id, plan, use_tasks=use_tasks, matcher=matcher)
                if outcome.status == "failed" and outcome.unreachable:
                    unreachable[plan.endpoint] = outcome.error or "unreachable"
                outcomes.append(outcome)
        except BaseException as exc:  # interrupted (Ctrl-C, cancellation): record it, keep what was committed
            with transaction(engine) as s:
                finish_run(s, run_id, "failed", summarise(outcomes), error=f"interrupted: {type(exc).__name__}")
            raise
        summary = summarise(outcomes) | {"run_id": run_id, "protocol_version": protocol.review.version}
        with transaction(engine) as s:
            failing_twice = [src for src in {o.source for o in outcomes} if consecutive_failures(s, src) >= 2]
            summary["failing_twice"] = sorted(failing_twice)
            errors = "; ".join(f"{o.stream}: {o.error}" for o in outcomes if o.status == "failed") or None
            finish_run(s, run_id, summary["status"], summary, error=errors)
    finally:
        release_lock(engine, LOCK_NAME)
    summary["ranking"] = (rank_queue_task if use_tasks else rank_queue)(engine, protocol)
    summary["fulltext"] = find_full_text_links(engine, settings)
    if alert and (summary["status"] != "succeeded" or summary["failing_twice"]):
        summary["alert"] = _alert(settings, protocol, summary)
    return summary


def rank_queue(engine: Engine, protocol: Protocol) -> dict[str, Any]:
    """Retrain the ranker on the decisions and rescore the queue, new works included (a failure only warns)."""
    from livereview.ranking import retrain

    try:
        run = retrain(engine, protocol, only_if_changed=True)
    except Exception as exc:  # the run's records are committed; a stale ranking must not fail it
        log.warning("ranking not updated: %s", exc, exc_info=True)
        return {"status": "failed", "error": str(exc)}
    if run is None:
        return {"status": "unchanged"}
    return {"status": "trained", "id": run.id, "method": run.method, "scored": run.n_scored}


def find_full_text_links(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The open-access finder's step (flows/fulltext.py): links for records at full text (a failure only warns)."""
    from livereview.flows.fulltext import find_full_texts

    try:
        return find_full_texts(engine, settings)
    except Exception as exc:  # the run's records are committed; a missing link must not fail it
        log.warning("full-text links not updated: %s", exc, exc_info=True)
        return {"status": "failed", "error": str(exc)}


@task(name="rank-queue", cache_policy=NO_CACHE)
def rank_queue_task(engine: Engine, protocol: Protocol) -> dict[str, Any]:
    return rank_queue(engine, protocol)


def _alert(settings: Settings, protocol: Protocol, summary: dict[str, Any]) -> str:
    from livereview.digests.alerts import send_alert

    lines = [f"Monitor run {summary['run_id']} for {protocol.review.title} ended {summary['status']}.", ""]
    for o in summary["streams"]:
        if o["status"] != "succeeded":
            lines.append(f"- {o['stream']}: {o['status']}: {o['error']}")
    if summary["failing_twice"]:
        lines += ["", "Failing two runs or more in a row: " + ", ".join(summary["failing_twice"])]
    lines += ["", "The next run retries each failed source's whole missed window.",
              "Details: `livereview status`."]
    subject = f"[livereview] monitor run {summary['run_id']} {summary['status']}: {protocol.review.id}"
    # recipients fall back to this run's protocol, not whichever protocol the settings name by default
    return send_alert(settings, subject, "\n".join(lines), protocol_recipients=protocol.digest.recipients)


# -- the first-run volume check (issue 19): measured before anything is fetched ----------------------------------
def first_run_estimate(settings: Settings, protocol: Protocol, engine: Engine, *, sources: list[str] | None = None,
                       since: date | None = None) -> Estimate | None:
    """Before a run: when it backfills (a stream with no watermark), what it would bring, counted (count-only
    requests for the backfilling sources). None when nothing backfills or the protocol sets no capacity."""
    if protocol.review.weekly_capacity is None:
        return None
    backfilling = sorted({p.source for p in plan_streams(engine, protocol, sources=sources, since=since)
                          if p.backfill and p.source in COUNTABLE})
    if not backfilling:
        return None
    return estimate(settings, protocol, sources=backfilling)


def first_run_volume(settings: Settings, protocol: Protocol, engine: Engine, *, sources: list[str] | None = None,
                     since: date | None = None) -> str | None:
    """The one-line refusal of :func:`volume_check` for a run about to backfill, else None (no request is made
    when nothing backfills or the protocol sets no capacity)."""
    est = first_run_estimate(settings, protocol, engine, sources=sources, since=since)
    return volume_check(est) if est is not None else None


def refuse_over_volume(settings: Settings, protocol: Protocol, engine: Engine, *, sources: list[str] | None = None,
                       since: date | None = None, alert: bool = True) -> None:
    """The scheduled (unattended) run's volume check: raise :class:`VolumeRefusedError` with the one line, before
    anything is fetched, when a backfill would exceed capacity x ``volume_factor``; the maintainer is alerted.

    An estimate that counted every countable source is kept in the store like ``protocol estimate``'s, so the
    digest shows it beside the actual yield."""
    est = first_run_estimate(settings, protocol, engine, sources=sources, since=since)
    if est is None:
        return
    if set(est.sources) == {s for s in protocol.enabled_sources if s in COUNTABLE}:
        from livereview.store.estimates import record_estimate

        with transaction(engine) as s:
            record_estimate(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                            protocol.text or "", protocol.path, est.as_json())
    refusal = volume_check(est)
    if refusal is None:
        return
    refusal = refusal.replace("rerun with --accept-volume",
                              "rerun with --accept-volume (scheduled runs: LIVEREVIEW_ACCEPT_VOLUME=true)")
    log.error("monitor not started: %s", refusal)
    if alert:
        from livereview.digests.alerts import send_alert

        send_alert(settings, f"[livereview] first run not started (volume): {protocol.review.id}",
                   f"The scheduled monitor run for {protocol.review.title} did not start:\n\n{refusal}\n",
                   protocol_recipients=protocol.digest.recipients)
    raise VolumeRefusedError(refusal)


def run_monitor(protocol_path: str | None = None, sources: list[str] | None = None, since: str | None = None,
                alert: bool = True, *, use_tasks: bool = False, flow_run_id: str | None = None,
                accept_volume: bool = False) -> dict[str, Any]:
    """The monitor flow's body as a plain function: a one-off local run calls it directly (no Prefect server to
    start: work begins at once), the scheduled flow calls it with ``use_tasks`` for per-window retries.

    A run that would backfill is measured first (:func:`refuse_over_volume`) and stops before
    fetching when over the protocol's capacity, unless ``accept_volume`` or the ``LIVEREVIEW_ACCEPT_VOLUME``
    setting (unattended runs) accepts it; ``livereview run`` measures before calling and passes True."""
    day = date.fromisoformat(since) if since else None
    with open_store(protocol_path) as opened:
        if not (accept_volume or opened.settings.accept_volume):
            refuse_over_volume(opened.settings, opened.protocol, opened.engine, sources=sources, since=day,
                               alert=alert)
        return execute_monitor(opened.settings, opened.protocol, opened.engine, sources=sources,
                               since=day, use_tasks=use_tasks, alert=alert, flow_run_id=flow_run_id)


@flow(name="monitor", flow_run_name="monitor-{protocol_path}", log_prints=True)
def monitor(protocol_path: str | None = None, sources: list[str] | None = None, since: str | None = None,
            alert: bool = True, accept_volume: bool = False) -> dict[str, Any]:
    """Scheduled entry point: rerun the protocol's searches and queue what is new. See the module docstring.
    A first run over the protocol's volume stops before fetching (one line) unless ``accept_volume`` (or
    ``LIVEREVIEW_ACCEPT_VOLUME``) accepts it."""
    from prefect.runtime import flow_run

    summary = run_monitor(protocol_path, sources, since, alert, use_tasks=True,
                          flow_run_id=str(flow_run.id) if flow_run.id else None, accept_volume=accept_volume)
    if summary["status"] == "failed":
        raise SourceError(",".join(summary["failed_sources"]) or "monitor", "every source failed; see the run summary")
    return summary
