"""validate-search on replayed responses: recall per source, misses with their reason, stored per protocol version."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from chase_replay import CR, EP, OA, PM, RETRACTED_DOI, S39_DOI, api_settings, clients, load
from sqlalchemy import select, update

from livereview.digests.reminders import reminders
from livereview.flows.init_store import init_store
from livereview.flows.validate import NO_ID, NOT_INDEXED, NOT_MATCHED, validate_search
from livereview.store.db import transaction
from livereview.store.models import Work
from livereview.store.validation import latest_recall, recall_drops

FIX = Path(__file__).resolve().parents[1] / "fixtures"
PMIDS = {S39_DOI: "27993338", RETRACTED_DOI: "16173862"}   # given to two included works for the PubMed check


def esearch(ids: list[str]) -> bytes:
    """The recorded real esearch answer with its count and id list replaced."""
    xml = (FIX / "pubmed" / "esearch_usehistory_webenv_mcid_2025.xml").read_text()
    xml = re.sub(r"<Count>\d+</Count>", f"<Count>{len(ids)}</Count>", xml, count=1)
    return re.sub(r"<IdList>.*?</IdList>", "<IdList>" + "".join(f"<Id>{i}</Id>" for i in ids) + "</IdList>", xml,
                  flags=re.S).encode()


def pubmed_answer(request):
    term = parse_qs(request.body)["term"][0]
    ids = re.findall(r"(\d+)\[uid\]", term)
    # PubMed has both; the protocol's query retrieves only S39 (its title has "homework" and "therapy")
    return 200, {}, esearch([i for i in ids if i == PMIDS[S39_DOI] or "[tiab]" not in term])


def openalex_answer(request):
    flt = parse_qs(urlsplit(request.url).query)["filter"][0]
    if S39_DOI in flt:
        return 200, {}, load("openalex/chase_lookup_included.json")
    return 200, {}, load("openalex/list_zero_results.json")


@pytest.fixture
def settings(tmp_path):
    return api_settings(tmp_path)


@pytest.fixture
def store(engine, protocol):
    init_store(engine, protocol)
    with transaction(engine) as s:
        for doi, pmid in PMIDS.items():
            s.execute(update(Work).where(Work.doi == doi).values(pmid=pmid))
    return engine


def test_recall_per_source_with_each_miss_and_its_reason_is_printed_and_stored(store, protocol, settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, PM + "esearch.fcgi", callback=pubmed_answer)
        rsps.add_callback(responses.GET, OA + "works", callback=openalex_answer)
        rsps.get(CR + "works/" + RETRACTED_DOI, body=load("crossref/work_included_retracted_by_retraction_watch.json"))
        rsps.get(re.compile(re.escape(CR) + r"works/10\..*"), status=404, body=b"Resource not found.")
        results = {r.source: r for r in validate_search(settings, protocol, store, clients=clients(settings),
                                                         sources=["pubmed", "openalex", "crossref", "feeds"])}
    pubmed = results["pubmed"]
    assert (pubmed.found, pubmed.total) == (1, 50)
    reasons = {m.label.split()[0]: m for m in pubmed.misses}
    assert reasons["S19"].reason == NOT_MATCHED                  # indexed (its PMID answers) but the query misses it
    assert reasons["S19"].would_catch == ["expansion proposed_clinical_context (proposed, inactive)"]
    assert reasons["S01"].reason == NO_ID
    assert (results["openalex"].found, results["openalex"].total) == (1, 50)
    assert {m.reason for m in results["openalex"].misses} == {NOT_INDEXED, NO_ID}
    crossref = results["crossref"]
    assert crossref.found == 0 and {m.label.split()[0]: m.reason for m in crossref.misses}["S19"] == NOT_MATCHED
    assert results["feeds"].found == 27                          # title-only text: core + table1_alternatives
    with transaction(store) as s:
        (version, recall), = latest_recall(s, "ia-coaching")
        assert version == "2.1.0" and recall["pubmed"] == {"found": 1, "total": 50}


def test_the_digest_warns_when_a_new_protocol_version_lowers_recall(store, protocol, settings):
    validate_search(settings, protocol, store, sources=["feeds"])
    narrower = protocol.model_copy(update={
        "review": protocol.review.model_copy(update={"version": "1.2.0"}), "sha256": "c" * 64,
        "expansions": {k: v for k, v in protocol.expansions.items() if k != "table1_alternatives"}})
    validate_search(settings, narrower, store, sources=["feeds"])
    with transaction(store) as s:
        drops = recall_drops(s, "ia-coaching", "1.2.0")
        assert [(d.source, d.previous_version) for d in drops] == [("feeds", "2.1.0")]
        lines = reminders(s, narrower, datetime.now(UTC))
    assert any(line.startswith("Search recall fell on feeds: 50% ") and "under 2.1.0" in line for line in lines)


def test_an_unknown_source_is_refused(store, protocol, settings):
    from livereview.errors import ConfigError

    with pytest.raises(ConfigError, match="not a searchable source"):
        validate_search(settings, protocol, store, sources=["scopus"])
    with transaction(store) as s:
        assert latest_recall(s, "ia-coaching") == []


# -- issue 19: live-index mode, "not measured", identifiers learned ---------------------------------------------
LEARNED_DOI, LEARNED_PMID = "10.1056/nejmoa1715274", "29768149"   # the recorded efetch record's identifiers


def test_pubmed_learns_the_pmid_of_a_doi_only_include_and_reports_it(store, protocol, settings):
    """A DOI-only include is looked up by ``"doi"[doi]``, its record fetched to pair PMID and DOI, then tested."""
    with transaction(store) as s:
        s.execute(update(Work).where(Work.doi == S39_DOI).values(doi=LEARNED_DOI, pmid=None))
    terms = []

    def answer(request):
        term = parse_qs(request.body)["term"][0]
        terms.append(term)
        if "[doi]" in term:
            return 200, {}, esearch([LEARNED_PMID] if f'"{LEARNED_DOI}"[doi]' in term else [])
        ids = re.findall(r"(\d+)\[uid\]", term)
        return 200, {}, esearch([i for i in ids if i == LEARNED_PMID or "[tiab]" not in term])

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, PM + "esearch.fcgi", callback=answer)
        rsps.post(PM + "efetch.fcgi", body=load("pubmed/efetch_29768149_2019dtd_structured.xml"))
        (pubmed,) = validate_search(settings, protocol, store, clients=clients(settings), sources=["pubmed"])
    assert pubmed.not_measured is None
    assert [a.split(" ", 1)[1] for a in pubmed.added] == [f"PMID {LEARNED_PMID}"]
    assert pubmed.found == 1 and pubmed.total == 50
    assert any(LEARNED_PMID + "[uid]" in t and "homework" in t for t in terms)   # (QUERY) AND (ids…)
    with transaction(store) as s:
        run_summary = latest_recall(s, "ia-coaching")[0][1]
    assert run_summary["pubmed"] == {"found": 1, "total": 50}


def test_a_source_with_no_identifier_is_not_measured_never_zero(store, protocol, settings):
    with transaction(store) as s:
        s.execute(update(Work).values(doi=None, pmid=None))
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        results = validate_search(settings, protocol, store, clients=clients(settings),
                                  sources=["pubmed", "europepmc", "openalex", "crossref"])
    assert all(r.not_measured and r.found == 0 for r in results), [(r.source, r.not_measured) for r in results]
    with transaction(store) as s:
        assert latest_recall(s, "ia-coaching") == [(protocol.review.version, {})]   # no 0/50 baseline stored


def test_an_unreachable_source_is_not_measured_and_stores_no_baseline(store, protocol, settings):
    import requests

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(PM + "esearch.fcgi", body=requests.ConnectionError("offline"))
        (pubmed,) = validate_search(settings, protocol, store, clients=clients(settings), sources=["pubmed"])
    assert pubmed.error and pubmed.found == 0
    with transaction(store) as s:
        assert latest_recall(s, "ia-coaching") == [(protocol.review.version, {})]


def test_openalex_matches_pmid_only_includes_by_ids_pmid(store, protocol, settings):
    with transaction(store) as s:
        s.execute(update(Work).where(Work.doi == S39_DOI).values(doi=None))
    filters = []

    def answer(request):
        flt = parse_qs(urlsplit(request.url).query)["filter"][0]
        filters.append(flt)
        if flt.startswith("ids.pmid:") and PMIDS[S39_DOI] in flt:
            return 200, {}, load("openalex/chase_lookup_included.json")
        return 200, {}, load("openalex/list_zero_results.json")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, OA + "works", callback=answer)
        (oa,) = validate_search(settings, protocol, store, clients=clients(settings), sources=["openalex"])
    assert any(f.startswith("ids.pmid:") and "title_and_abstract.search:" in f for f in filters)
    assert oa.not_measured is None and oa.total == 50


def test_unverifiable_seed_rows_are_marked_in_the_output(store, protocol, settings):
    (feeds,) = validate_search(settings, protocol, store, sources=["feeds"])
    marked = {m.label.split()[0] for m in feeds.misses if m.label.endswith("[unverifiable seed row]")}
    assert marked and marked <= {"S09", "S10", "S28", "S45", "S49"}


# -- Europe PMC's live-index mode, and identifiers learned written to the store (issue 19) ------------------------
S39_PMID, S19_PMID = "27993338", "16173864"


def epmc_answer(queries):
    """Europe PMC ``search``: the identifier look-up answers S39 and S19 (recorded shape); the protocol's query ANDed
    with the identifiers retrieves only S39 (S19's title has homework but "treatment", not therapy/counselling)."""
    page = json.loads(load("europepmc/search_handwritten_validate_includes.json"))

    def answer(request):
        q = parse_qs(urlsplit(request.url).query)["query"][0]
        queries.append(q)
        wanted = [r for r in page["resultList"]["result"]
                  if f"EXT_ID:{r['pmid']}" in q or f'doi:"{r["doi"].lower()}"' in q.lower()]
        if "TITLE_ABS:" in q:
            wanted = [r for r in wanted if r["pmid"] == S39_PMID]
        return 200, {}, json.dumps({**page, "hitCount": len(wanted), "resultList": {"result": wanted}})
    return answer


@pytest.fixture
def id_gaps(engine, protocol):
    """S39 known by DOI only, S19 by PMID only: what Europe PMC's look-up can fill."""
    init_store(engine, protocol)
    with transaction(engine) as s:
        s.execute(update(Work).where(Work.doi == S39_DOI).values(pmid=None))
        s.execute(update(Work).where(Work.doi == RETRACTED_DOI).values(doi=None, pmid=S19_PMID))
    return engine


def test_europepmc_measures_recall_on_the_live_index_and_writes_the_identifiers_it_learned(id_gaps, protocol,
                                                                                           settings):
    from livereview.store.models import AuditEntry

    queries: list[str] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, EP + "search", callback=epmc_answer(queries))
        (epmc,) = validate_search(settings, protocol, id_gaps, clients=clients(settings), sources=["europepmc"])
    assert epmc.not_measured is None and epmc.error is None
    assert (epmc.found, epmc.total) == (1, 50)
    reasons = {m.label.split()[0]: m.reason for m in epmc.misses}
    assert reasons["S19"] == NOT_MATCHED                      # indexed, not retrieved by the query
    assert reasons["S01"] in (NOT_INDEXED, NO_ID)
    # one request per query: (QUERY) AND (EXT_ID:… OR DOI:"…"), scoped to MEDLINE/PMC, keywords ORed in
    live = [q for q in queries if "TITLE_ABS:" in q]
    assert live and all(f"EXT_ID:{S19_PMID}" in q and "(SRC:MED OR SRC:PMC)" in q and "KW:" in q for q in live)
    assert sorted(a.split(" ", 1)[1] for a in epmc.added) == [f"DOI {RETRACTED_DOI}", f"PMID {S39_PMID}"]
    assert sorted(epmc.stored) == [f"S19 DOI {RETRACTED_DOI}: written to the store",
                                   f"S39 PMID {S39_PMID}: written to the store"]
    with transaction(id_gaps) as s:
        assert s.scalars(select(Work.pmid).where(Work.doi == S39_DOI)).one() == S39_PMID
        assert s.scalars(select(Work.doi).where(Work.pmid == S19_PMID)).one() == RETRACTED_DOI   # normalised
        filled = s.scalars(select(AuditEntry).where(AuditEntry.action == "identifier-filled")).all()
        assert sorted((e.details["field"], e.details["source"]) for e in filled) == [("doi", "europepmc"),
                                                                                      ("pmid", "europepmc")]
        (version, recall), = latest_recall(s, "ia-coaching")
    assert recall["europepmc"] == {"found": 1, "total": 50}


def test_an_identifier_another_work_holds_is_reported_not_written(id_gaps, protocol, settings):
    with transaction(id_gaps) as s:
        holder = s.scalars(select(Work).where(Work.origin == "seed", Work.pmid.is_(None), Work.doi != S39_DOI)
                           .order_by(Work.id).limit(1)).one()
        holder.pmid, holder_id = S39_PMID, holder.id
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, EP + "search", callback=epmc_answer([]))
        (epmc,) = validate_search(settings, protocol, id_gaps, clients=clients(settings), sources=["europepmc"])
    assert f"S39 PMID {S39_PMID}: not written (held by work {holder_id} (a duplicate to merge?))" in epmc.stored
    with transaction(id_gaps) as s:
        assert s.scalars(select(Work.pmid).where(Work.doi == S39_DOI)).one() is None
