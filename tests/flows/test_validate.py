"""validate-search on replayed responses: recall per source, misses with their reason, stored per protocol version."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from chase_replay import CR, OA, PM, RETRACTED_DOI, S39_DOI, api_settings, clients, load
from sqlalchemy import update

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
    return 200, {}, esearch([i for i in ids if i == PMIDS[S39_DOI] or "homework" not in term])


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
        assert version == "1.1.0" and recall["pubmed"] == {"found": 1, "total": 50}


def test_the_digest_warns_when_a_new_protocol_version_lowers_recall(store, protocol, settings):
    validate_search(settings, protocol, store, sources=["feeds"])
    narrower = protocol.model_copy(update={
        "review": protocol.review.model_copy(update={"version": "1.2.0"}), "sha256": "c" * 64,
        "expansions": {k: v for k, v in protocol.expansions.items() if k != "table1_alternatives"}})
    validate_search(settings, narrower, store, sources=["feeds"])
    with transaction(store) as s:
        drops = recall_drops(s, "ia-coaching", "1.2.0")
        assert [(d.source, d.previous_version) for d in drops] == [("feeds", "1.1.0")]
        lines = reminders(s, narrower, datetime.now(UTC))
    assert any(line.startswith("Search recall fell on feeds: 50% ") and "54% under 1.1.0" in line for line in lines)


def test_an_unknown_source_is_refused(store, protocol, settings):
    from livereview.errors import ConfigError

    with pytest.raises(ConfigError, match="not a searchable source"):
        validate_search(settings, protocol, store, sources=["scopus"])
    with transaction(store) as s:
        assert latest_recall(s, "ia-coaching") == []
