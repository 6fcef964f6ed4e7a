"""Europe PMC: search JSON parsing on real payloads, and cursor paging against replayed answers."""

from __future__ import annotations

import copy
import json
import math
from datetime import date
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from livereview.connectors.base import Window
from livereview.connectors.europepmc import EuropePMCConnector, build_query, make_client, parse, parse_page
from livereview.errors import CursorError, SourceHTTPError, SourceParseError, SourceQueryError
from livereview.records.model import Relation
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "europepmc"
BASE = "https://epmc.test/europepmc/webservices/rest/"
SEARCH = BASE + "search"
WINDOW = Window(date(2025, 11, 1), date(2025, 11, 8))


def payload(name: str) -> bytes:
    return (FIX / name).read_bytes()


def records(name: str) -> dict:
    return {r.source_id: r for r in parse(payload(name))}


# -- parse: every real file ----------------------------------------------------------------------------------
REAL = {  # file -> (records, records with a title, hitCount, nextCursorMark)
    "search_cancer.json": (25, 25, 5059039, "AoIIP4ZawSg1MzEyODI1MA=="),
    "search_cancer_core.json": (25, 25, 5059039, "AoIIP4ZawSg1MzEyODI1MA=="),
    "search_cancer_idlist.json": (25, 0, 5059039, "AoIIP4ZawSg1MzEyODI1MA=="),
    "search_cancer_sorted_cited.json": (25, 25, 5059039, "AoIGAAAAACc5OTk4NTQ2"),
    "search_no_results.json": (0, 0, 0, None),
}


def test_every_real_search_json_is_covered_here():
    assert sorted(p.name for p in FIX.glob("search_*.json") if "handwritten" not in p.name) == sorted(REAL)


@pytest.mark.parametrize(("name", "expected"), sorted(REAL.items()))
def test_every_real_search_json_parses_to_its_records(name, expected):
    page = parse_page(payload(name))
    n, titled, hits, cursor = expected
    assert len(page.records) == n
    assert sum(1 for r in page.records if r.title) == titled
    assert (page.hit_count, page.next_cursor) == (hits, cursor)
    for r in page.records:
        assert r.source == "europepmc" and r.source_id.startswith("MED:") and r.pmid == r.source_id[4:]
        assert r.raw_format == "europepmc-json" and json.loads(r.raw)["id"] == r.pmid
        assert r.title is None or "<" not in r.title


def test_core_record_fields():
    r = records("search_cancer_core.json")["MED:39709209"]
    assert r.title == ("Abscopal response in a patient with fibrolamellar hepatocellular carcinoma "
                       "following radiotherapy.")
    assert r.authors == ["Schoenfeld, Jonathan D", "Haas-Kogan, Daphne A", "O'Neill, Allison F"]
    assert (r.journal, r.volume, r.issue) == ("Lancet (London, England)", "404", "10471")
    assert r.pages == "2603-2604"
    assert r.issn == ["0140-6736", "1474-547X"]
    assert (r.year, r.published_date, r.language) == (2025, "2025-12", "eng")
    assert r.doi == "10.1016/s0140-6736(24)02600-x" and r.pmcid is None
    assert r.publication_types == ["Journal Article"] and r.abstract is None
    assert r.url == "https://europepmc.org/article/MED/39709209"


def test_h4_sections_become_labels_and_inline_markup_goes():
    core = records("search_cancer_core.json")
    flex = core["MED:40468710"]
    assert flex.abstract.startswith("OBJECTIVE: This study investigated whether psychological flexibility, "
                                    "the key construct in the Acceptance and Commitment Therapy (ACT) model")
    assert " DESIGN: This was an online, prospective, longitudinal, correlational study" in flex.abstract
    h2s = core["MED:40511629"]
    assert "Hydrogen sulfide (H2S) is of particular interest" in h2s.abstract and "<sub>" not in h2s.abstract
    assert core["MED:40437959"].abstract.startswith("ISSUE ADDRESSED: Despite national cancer screening")
    # no sections: no labels
    assert core["MED:40420324"].abstract.startswith("The prognosis of prostate cancer in male dogs")


def test_mesh_and_keywords_are_collected():
    r = records("search_cancer_core.json")["MED:40468710"]
    assert r.keywords[:4] == ["Humans", "Neoplasms", "Fatigue", "Remission Induction"]
    assert "Acceptance And Commitment Therapy" in r.keywords and "Psychological Flexibility" in r.keywords
    assert len(r.keywords) == 24


def test_erratum_for_relations_come_from_comment_corrections():
    r = records("search_cancer_core.json")["MED:39709208"]
    note = "Lancet. 2024 Sep 28;404(10459):1227-1239. doi: 10.1016/S0140-6736(24)01653-2."
    assert r.relations == [Relation("erratum-for", "pmid", "39293462", note),
                           Relation("erratum-for", "doi", "10.1016/s0140-6736(24)01653-2", note)]
    assert r.publication_types == ["Published Erratum", "correction"]
    assert r.pmcid == "PMC12124214" and r.is_retracted is False


def test_lite_record_reads_the_flat_fields():
    r = records("search_cancer.json")["MED:40468710"]
    assert r.authors == ["Al-Abbadey, M.", "Tomescu-Stachie, S.", "Kaklamanou, D.", "Jarrett, N.",
                         "Merwood, A.", "Tyndall, I.", "McCracken, L."]
    assert (r.journal, r.volume, r.issue, r.pages) == ("Br J Health Psychol", "30", "3", "e12807")
    assert r.issn == ["1359-107X", "2044-8287"]
    assert r.abstract is None and r.year == 2025
    erratum = records("search_cancer.json")["MED:39709208"]
    assert erratum.publication_types == ["published erratum", "correction"]


def test_idlist_records_carry_identifiers_only():
    r = records("search_cancer_idlist.json")["MED:39709208"]
    assert (r.pmid, r.pmcid, r.title, r.authors) == ("39709208", "PMC12124214", None, [])


def test_preprint_source_is_a_preprint():
    r = records("search_handwritten_preprint_retraction.json")["PPR:PPR900001"]
    assert r.publication_types == ["preprint"]
    assert r.journal == "bioRxiv" and r.doi == "10.1101/2025.11.02.123456"
    assert r.title == "Coaching in vivo: a randomised pilot"
    assert r.abstract == "BACKGROUND: Coaching may help. METHODS: We randomised 40 people (H2O intake)."
    assert r.authors == ["Doe, Jane", "Roe, R."]
    assert (r.pmid, r.year, r.published_date) == (None, 2025, "2025-11-02")


def test_retracted_record_with_a_bare_object_comment_correction():
    r = records("search_handwritten_preprint_retraction.json")["MED:90000001"]
    assert r.is_retracted is True
    assert [(x.kind, x.id_type, x.target) for x in r.relations] == [
        ("retraction-in", "pmid", "90000002"), ("retraction-in", "doi", "10.5555/hand.2016.retract")]
    assert r.title == "Effects of Lactobacillus on sleep"
    assert r.authors == ["Hand-Written Study Group"]
    assert (r.year, r.published_date) == (2014, "2014")  # "2014 Jan-Apr" is no single month
    assert r.keywords == ["Sleep", "probiotics"] and r.doi == "10.5555/hand.2014.001"


def test_pmc_record_relations_and_medline_style_names():
    r = records("search_handwritten_preprint_retraction.json")["PMC:PMC9000007"]
    assert r.relations == [Relation("erratum-in", "pmcid", "PMC9000008", "Example Open. 2025;3:20")]
    assert r.authors == ["van der Berg, A.", "ASPIRE Investigators"]
    assert (r.pmcid, r.published_date, r.pages) == ("PMC9000007", "2025-11-04", "11-19")
    assert r.issn == ["0000-0035"]
    assert r.publication_types == ["research-article"]


# -- parse: refusals -----------------------------------------------------------------------------------------
def test_html_instead_of_json_is_a_parse_error():
    with pytest.raises(SourceParseError, match="answered with an HTML page instead of JSON"):
        parse(payload("ebi_handwritten_error_page.html"))


def test_truncated_json_is_a_parse_error():
    with pytest.raises(SourceParseError, match="not valid JSON, truncated or malformed"):
        parse(payload("search_cancer_core.json")[:30000])


def test_json_without_result_list_is_a_parse_error():
    with pytest.raises(SourceParseError, match="the JSON has no resultList"):
        parse(b'{"version": "6.9", "hitCount": 3}')


def test_an_error_body_is_a_query_error_with_its_message():
    with pytest.raises(SourceQueryError, match="search refused: Invalid cursorMark parameter"):
        parse(payload("search_handwritten_error_body.json"))


@pytest.mark.parametrize("body", [b'{"hitCount": 1, "resultList": {"result": ["MED:1"]}}',
                                  b'{"hitCount": 1, "resultList": [{"id": "1"}]}'])
def test_results_that_are_not_records_are_a_parse_error(body):
    with pytest.raises(SourceParseError, match="not a list of records"):
        parse(body)


# -- search --------------------------------------------------------------------------------------------------
def settings(**kw) -> Settings:
    return Settings(europepmc_base_url=BASE, **kw)


def connector(cfg: Settings, **kw) -> EuropePMCConnector:
    return EuropePMCConnector(cfg, client=make_client(cfg, sleep=lambda _s: None), **kw)


CORE = json.loads(payload("search_cancer_core.json"))["resultList"]["result"]


def page_json(items: list[dict], *, hits: int, next_cursor: str | None) -> str:
    data: dict = {"version": "6.9", "hitCount": hits, "request": {}, "resultList": {"result": items}}
    if next_cursor is not None:
        data["nextCursorMark"] = next_cursor
    return json.dumps(data)


def page_params(cursor: str, *, size: int, query: str = "coaching", **extra) -> list:
    params = {"query": build_query(query, WINDOW), "format": "json", "resultType": "core",
              "pageSize": str(size), "cursorMark": cursor, **extra}
    return [matchers.query_param_matcher(params)]


def test_build_query_puts_the_window_on_the_first_index_date():
    expected = "(TITLE_ABS:coaching) AND FIRST_IDATE:[2025-11-01 TO 2025-11-08]"
    assert build_query("TITLE_ABS:coaching", WINDOW) == expected


@responses.activate(assert_all_requests_are_fired=True)
def test_search_pages_with_the_cursor_until_it_repeats():
    cursors = ["*", "C1", "C2", "C3"]
    for i in range(3):
        responses.get(SEARCH, body=page_json(CORE[2 * i:2 * i + 2], hits=7, next_cursor=cursors[i + 1]),
                      match=page_params(cursors[i], size=2, email="team@example.org"))
    responses.get(SEARCH, body=page_json([], hits=7, next_cursor="C3"),
                  match=page_params("C3", size=2, email="team@example.org"))
    result = connector(settings(contact_email="team@example.org"), page_size=2).search("coaching", WINDOW)
    assert [r.pmid for r in result.records] == [x["pmid"] for x in CORE[:6]]
    assert result.stats.requests == 4 <= math.ceil(7 / 2) + 1
    assert result.queries == ["(coaching) AND FIRST_IDATE:[2025-11-01 TO 2025-11-08]"]
    assert result.warnings == ["Europe PMC reported 7 hits for 2025-11-01..2025-11-08 but delivered 6"]
    assert all("email=***" in u for u in result.stats.urls)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_cursor_echoed_back_on_a_full_page_ends_the_search():
    responses.get(SEARCH, body=page_json(CORE[:2], hits=9, next_cursor="C1"), match=page_params("*", size=2))
    responses.get(SEARCH, body=page_json(CORE[2:4], hits=9, next_cursor="C1"),
                  match=page_params("C1", size=2))
    result = connector(settings(), page_size=2).search("coaching", WINDOW)
    assert len(result.records) == 4 and result.stats.requests == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_paging_stops_once_hit_count_records_arrived():
    responses.get(SEARCH, body=page_json(CORE[:3], hits=5, next_cursor="C1"), match=page_params("*", size=3))
    responses.get(SEARCH, body=page_json(CORE[3:5], hits=5, next_cursor="C2"),
                  match=page_params("C1", size=3))
    result = connector(settings(), page_size=3).search("coaching", WINDOW)
    assert len(result.records) == 5 and result.total_reported == 5
    assert result.stats.requests == 2 and result.warnings == []


@responses.activate(assert_all_requests_are_fired=True)
def test_zero_hits_without_a_cursor_cost_one_request():
    responses.get(SEARCH, body=payload("search_no_results.json"), match=page_params("*", size=1000))
    result = EuropePMCConnector(settings()).search("coaching", WINDOW)
    assert result.records == [] and result.total_reported == 0 and result.stats.requests == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_a_cursor_that_never_ends_hits_the_page_cap():
    for i in range(4):  # 5 hits in pages of 2: three pages, one spare, then stop
        responses.get(SEARCH, body=page_json(CORE[:1], hits=5, next_cursor=f"N{i + 1}"))
    with pytest.raises(CursorError, match="still paging after 4 pages for 5 hits"):
        connector(settings(), page_size=2).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_cursor_that_goes_back_is_a_cursor_error():
    responses.get(SEARCH, body=page_json(CORE[:1], hits=9, next_cursor="A"), match=page_params("*", size=2))
    responses.get(SEARCH, body=page_json(CORE[1:2], hits=9, next_cursor="B"), match=page_params("A", size=2))
    responses.get(SEARCH, body=page_json(CORE[2:3], hits=9, next_cursor="A"), match=page_params("B", size=2))
    with pytest.raises(CursorError, match="went back to an earlier page"):
        connector(settings(), page_size=2).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_html_instead_of_json_fails_the_search():
    responses.get(SEARCH, body=payload("ebi_handwritten_error_page.html"), content_type="text/html")
    with pytest.raises(SourceParseError, match="europepmc: answered with an HTML page"):
        connector(settings()).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_truncated_second_page_fails_the_whole_search():
    responses.get(SEARCH, body=page_json(CORE[:2], hits=4, next_cursor="C1"))
    responses.get(SEARCH, body=page_json(CORE[2:4], hits=4, next_cursor="C2")[:-200])
    with pytest.raises(SourceParseError, match="truncated or malformed"):
        connector(settings(), page_size=2).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_http_400_with_an_error_body_is_a_query_error():
    responses.get(SEARCH, status=400, body=payload("search_handwritten_error_body.json"))
    with pytest.raises(SourceQueryError, match=r"europepmc: request refused.*\(HTTP 400\)"):
        connector(settings()).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_429_honours_retry_after_and_500s_are_retried():
    waits: list[float] = []
    cfg = settings()
    responses.get(SEARCH, status=429, headers={"Retry-After": "3"})
    responses.get(SEARCH, status=500)
    responses.get(SEARCH, status=503)
    responses.get(SEARCH, body=page_json(CORE[:1], hits=1, next_cursor="C1"))
    client = make_client(cfg, sleep=waits.append)
    result = EuropePMCConnector(cfg, client=client).search("coaching", WINDOW)
    assert len(result.records) == 1
    assert waits[0] == 3.0
    assert (result.stats.attempts, result.stats.retries) == (4, 3)


@responses.activate(assert_all_requests_are_fired=True)
def test_timeouts_are_retried_and_then_give_up():
    cfg = settings(http_retries=1)
    responses.get(SEARCH, body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(SEARCH, body=page_json([], hits=0, next_cursor=None))
    assert connector(cfg).search("coaching", WINDOW).stats.attempts == 2
    responses.get(SEARCH, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.get(SEARCH, body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(SourceHTTPError, match="gave up after 2 attempts: timed out"):
        connector(cfg).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_search_records_are_parsed_like_saved_ones():
    item = copy.deepcopy(CORE[7])
    responses.get(SEARCH, body=page_json([item], hits=1, next_cursor="C1"))
    [record] = connector(settings()).search("coaching", WINDOW).records
    assert record.to_json_dict() == records("search_cancer_core.json")["MED:40511629"].to_json_dict()
