"""Dashboard figures from a store with a known history: yields, single-source works, notices, the page cache."""

import threading

from prisma_history import build_history, work

from livereview.reports.dashboard import StaleWhileRevalidate, collect
from livereview.reports.recount import Recount, recount_elsewhere
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import Notice
from livereview.store.runs import finish_run, start_run, start_source_run


def test_yield_per_source_and_query_block_and_works_found_by_one_source(engine, protocol):
    build_history(engine, protocol)
    with reading(engine) as s:
        d = collect(s, enabled_sources=protocol.enabled_sources)
    sources = {y.name: y for y in d.sources}
    assert "2023-screening" not in sources          # the previous version's screening is not a source's yield
    # pubmed: studies 1-6 (5 merged into 4), a seed study, study 10; openalex: 1, 2, 7
    assert (sources["pubmed"].records, sources["pubmed"].works) == (9, 7)
    assert (sources["openalex"].works, sources["openalex"].only) == (3, 1)     # 7 only
    assert sources["citation-searching"].only == 1                             # study 9
    queries = {y.name: y for y in d.queries}
    assert (queries["table1_alternatives"].works, queries["table1_alternatives"].only) == (1, 0)
    assert d.single_source_works == sum(y.only for y in d.sources)
    assert d.growth.included[-1] == 52


def test_notices_put_a_retracted_included_study_and_a_failing_source_first(engine, protocol):
    build_history(engine, protocol)
    with transaction(engine) as s:
        s.add(Notice(work_id=work(s, 1).id, kind="retraction", evidence="pubmed: RetractionIn", source="pubmed"))
        for _ in range(2):
            run = start_run(s, "monitor", None, {})
            sr = start_source_run(s, run.id, "crossref", "core", "crossref:core", None, None, "q")
            sr.status, sr.error, sr.finished_at = "failed", "crossref: HTTP 503", utcnow()
            finish_run(s, run.id, "partial", {})
    with reading(engine) as s:
        d = collect(s, enabled_sources=protocol.enabled_sources)
    kinds = [(n.kind, n.urgent) for n in d.notices[:2]]
    assert ("retraction", True) in kinds and ("failing-source", True) in kinds
    retraction = next(n for n in d.notices if n.kind == "retraction")
    assert retraction.text == "retraction of an included study (pubmed)"          # public: no title
    assert retraction.detail and "Distinct study number 1" in retraction.detail   # signed in: the title


def test_the_page_cache_answers_with_the_last_value_while_it_recomputes():
    cache = StaleWhileRevalidate()
    gate = threading.Event()
    calls = []

    def make(v):
        def inner():
            calls.append(v)
            if v == 2:
                gate.wait(5)
            return f"value {v}"
        return inner

    assert cache.get("k", (1,), make(1))[:2] == ("value 1", False)
    assert cache.get("k", (1,), make(99))[:2] == ("value 1", False)      # same store: no recompute
    value, stale, _, version = cache.get("k", (2,), make(2))              # changed: old value now, recount behind
    assert (value, stale, version) == ("value 1", True, (1,))
    assert cache.get("k", (2,), make(3))[:2] == ("value 1", True)        # one recount at a time
    gate.set()
    cache.wait(5)
    assert cache.get("k", (2,), make(4))[:2] == ("value 2", False)
    assert calls == [1, 2]


def test_the_dashboard_shows_when_each_manual_database_was_last_imported_and_which_exports_are_due(engine, protocol):
    build_history(engine, protocol)
    refresh = {name: m.refresh_days for name, m in protocol.manual.items()}
    with reading(engine) as s:
        d = collect(s, enabled_sources=protocol.enabled_sources, manual_refresh=refresh)
    manual = {m.name: m for m in d.manual}
    assert set(manual) == set(protocol.manual)
    assert manual["psycinfo"].last_import is not None and not manual["psycinfo"].due   # imported in the history
    assert manual["wos"].last_import is None and manual["wos"].due                     # never imported: due


def test_a_recount_in_its_own_process_gives_the_numbers_a_recount_here_gives(engine, protocol):
    """Issue 24: the page cache recounts in a lower-priority process of its own, not in the web process."""
    build_history(engine, protocol)
    job = Recount.on(engine, collect, enabled_sources=list(protocol.enabled_sources), reviewers_required=2)
    assert job is not None
    elsewhere = recount_elsewhere(job)
    with reading(engine) as s:
        here = collect(s, enabled_sources=list(protocol.enabled_sources), reviewers_required=2)
    assert elsewhere == here
    cache = StaleWhileRevalidate()
    assert cache.get("k", (1,), lambda: here)[:2] == (here, False)
    value, stale, _, _ = cache.get("k", (2,), lambda: None, job=job)   # changed: recounted in that process
    assert (value, stale) == (here, True)
    cache.wait(120)
    assert cache.get("k", (2,), lambda: None)[:2] == (here, False)
