"""`protocol estimate` on recorded count responses: one count-only request per source, query and window."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from chase_replay import CR, EP, OA, PM, api_settings, load

from livereview.connectors.crossref.search import CrossrefConnector
from livereview.connectors.crossref.search import make_client as crossref_client
from livereview.connectors.europepmc.search import EuropePMCConnector
from livereview.connectors.europepmc.search import make_client as epmc_client
from livereview.connectors.openalex.search import OpenAlexConnector
from livereview.connectors.openalex.search import make_client as oa_client
from livereview.connectors.pubmed.search import PubMedConnector
from livereview.connectors.pubmed.search import make_client as pubmed_client
from livereview.flows.estimate import estimate, volume_check
from livereview.protocols.model import load_protocol
from livereview.settings import BUNDLED_PROTOCOL

TODAY = date(2026, 12, 1)
P = load_protocol(BUNDLED_PROTOCOL)
RECENT = "2026-11-04"   # TODAY - 27 days: the four-week window's first day


def connectors(settings):
    quiet = {"sleep": lambda _: None}
    return {
        "pubmed": PubMedConnector(settings, client=pubmed_client(settings, **quiet)),
        "europepmc": EuropePMCConnector(settings, client=epmc_client(settings, **quiet)),
        "openalex": OpenAlexConnector(settings, client=oa_client(settings, per_second=1000, **quiet),
                                      types=P.source("openalex").types, languages=["en"]),
        "crossref": CrossrefConnector(settings, client=crossref_client(settings, per_second=1000, **quiet),
                                      types=P.source("crossref").types),
    }


def params(request) -> dict[str, str]:
    q = parse_qs(urlsplit(request.url).query)
    if request.body:
        q |= parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
    return {k: v[0] for k, v in q.items()}


def pubmed_count(request):
    p = params(request)
    assert p["retmax"] == "0" and p["usehistory"] == "n"           # a count, nothing kept on the history server
    recent = '"2026/11/04"[crdt] : "2026/12/01"[crdt]' in p["term"]
    assert recent or '"1995/01/01"[crdt] : "2026/12/01"[crdt]' in p["term"]
    return 200, {}, load("pubmed/esearch_handwritten_count_only.xml" if recent else
                         "pubmed/esearch_usehistory_webenv_mcid_2025.xml")


def epmc_count(request):
    p = params(request)
    assert p["pageSize"] == "1" and p["resultType"] == "idlist"
    assert p["query"].count("(SRC:MED OR SRC:PMC)") == 1
    recent = f"FIRST_IDATE:[{RECENT} TO 2026-12-01]" in p["query"]
    return 200, {}, load("europepmc/search_no_results.json" if recent else "europepmc/search_cancer_idlist.json")


def openalex_count(request):
    p = params(request)
    assert p["per_page"] == "1" and "title_and_abstract.search:" in p["filter"] and "language:en" in p["filter"]
    recent = f"from_created_date:{RECENT}" in p["filter"]
    return 200, {}, load("openalex/list_zero_results.json" if recent else "openalex/list_two_works.json")


def crossref_count(request):
    p = params(request)
    assert p["rows"] == "0" and "cursor" not in p and "query.bibliographic" not in p
    assert "issn:1752-1882" in p["filter"] and "from-created-date:" in p["filter"]
    recent = f"from-created-date:{RECENT}" in p["filter"]
    return 200, {}, load("crossref/worklist_zero_results.json" if recent else "crossref/member_works_rows0_facets.json")


@pytest.fixture
def settings(tmp_path):
    return api_settings(tmp_path)


def mock_all(rsps):
    rsps.add_callback(responses.GET, f"{PM}esearch.fcgi", callback=pubmed_count)
    rsps.add_callback(responses.POST, f"{PM}esearch.fcgi", callback=pubmed_count)
    rsps.add_callback(responses.GET, f"{EP}search", callback=epmc_count)
    rsps.add_callback(responses.GET, f"{OA}works", callback=openalex_count)
    rsps.add_callback(responses.GET, f"{CR}works", callback=crossref_count)


@responses.activate
def test_every_source_and_named_query_is_counted_twice_and_nothing_is_fetched(settings):
    mock_all(responses)
    est = estimate(settings, P, today=TODAY, connectors=connectors(settings))
    data = est.as_json()
    assert set(data) == {"capacity_per_week", "per_week_total", "sources"}
    assert data["capacity_per_week"] == 60
    assert set(data["sources"]) == {"pubmed", "europepmc", "openalex", "crossref"}
    pubmed = data["sources"]["pubmed"]["queries"]
    assert list(pubmed) == ["coaching", "therapy-counselling", "between_session", "table1_alternatives",
                            "null-results"]
    assert pubmed["coaching"] == {"backfill": 42249, "per_week": 3.0}          # 12 in four weeks
    assert data["sources"]["europepmc"]["queries"]["coaching"] == {"backfill": 5059039, "per_week": 0.0}
    assert data["sources"]["openalex"]["queries"]["therapy-counselling"] == {"backfill": 2, "per_week": 0.0}
    assert data["sources"]["crossref"]["queries"] == {"toc": {"backfill": 851692, "per_week": 0.0}}
    # the null-results sub-query is reported but not added: its hits are within the domains'
    assert data["per_week_total"] == 3.0 * 4
    # two count-only requests per (source, query): no efetch, no cursor paging
    counted = sum(len(s["queries"]) for s in data["sources"].values())
    assert len(responses.calls) == 2 * counted
    assert not any("efetch" in c.request.url for c in responses.calls)
    json.dumps(data)


@responses.activate
def test_a_source_that_cannot_answer_is_named_with_no_figures_never_zero(settings):
    mock_all(responses)
    responses.replace(responses.GET, f"{OA}works", body=requests.ConnectionError("refused"))
    est = estimate(settings, P, sources=["openalex", "pubmed"], today=TODAY, connectors=connectors(settings))
    data = est.as_json()
    assert data["sources"]["openalex"]["queries"] == {} and "refused" in data["sources"]["openalex"]["error"]
    assert data["sources"]["pubmed"]["queries"]["coaching"]["backfill"] == 42249


@responses.activate
def test_a_first_run_over_the_capacity_factor_is_refused_in_one_line_naming_the_figures(settings):
    mock_all(responses)
    est = estimate(settings, P, sources=["openalex"], today=TODAY, connectors=connectors(settings))
    assert volume_check(est) is None               # 8 records (2 per query) is nothing
    est = estimate(settings, P, sources=["pubmed"], today=TODAY, connectors=connectors(settings))
    msg = volume_check(est)
    assert msg is not None and "\n" not in msg
    assert f"about {4 * 42249} records" in msg and "26 x the capacity of 60/week = 1560" in msg
    assert "--accept-volume" in msg
