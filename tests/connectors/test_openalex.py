"""OpenAlex: parsing works, the key requirement, cursor paging and the created-date fallback."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
import responses
from responses import matchers

from livereview.connectors.base import Window
from livereview.connectors.openalex import OpenAlexConnector, make_client, parse, rebuild_abstract
from livereview.errors import (
    CursorError,
    MissingCredentialsError,
    SourceHTTPError,
    SourceParseError,
    SourceQueryError,
)
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "openalex"
BASE = "https://api.openalex.test/"
WORKS = BASE + "works"
WINDOW = Window(date(2025, 11, 1), date(2025, 11, 7))
WORK = json.loads((FIX / "work_W2741809807_full_2025.json").read_bytes())


def load(name: str) -> bytes:
    return (FIX / name).read_bytes()


def settings(**kw) -> Settings:
    return Settings(**{"openalex_base_url": BASE, "openalex_api_key": "oa-secret", "http_retries": 1, **kw})


def connector(**kw) -> OpenAlexConnector:
    """A connector searching with ``search=`` (the paging tests' shape); title-and-abstract has its own test."""
    s = kw.pop("settings", None) or settings()
    kw.setdefault("search_filter", None)
    return OpenAlexConnector(s, client=make_client(s, sleep=lambda _: None, per_second=1000), **kw)


def works(*numbers: int) -> list[dict]:
    out = []
    for n in numbers:
        w = copy.deepcopy(WORK)
        w["id"] = f"https://openalex.org/W{n}"
        w["doi"] = f"https://doi.org/10.5555/oa.{n}"
        out.append(w)
    return out


def listing(results: list[dict], *, count: int, cursor: str | None) -> dict:
    return {"meta": {"count": count, "db_response_time_ms": 20, "page": None, "per_page": 2,
                     "next_cursor": cursor, "groups_count": None}, "results": results, "group_by": []}


# --------------------------------------------------------------------------------------------- parsing
def test_single_work_gives_every_field_normalised():
    (r,) = parse(load("work_W2741809807_full_2025.json"))
    assert (r.openalex_id, r.source_id, r.doi) == ("W2741809807", "W2741809807", "10.7717/peerj.4375")
    assert (r.pmid, r.pmcid) == ("29456894", "PMC5815332")
    assert r.title == "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles"
    assert r.authors == ["Piwowar, Heather", "Priem, Jason", "Larivière, Vincent", "Alperín, Juan Pablo",
                         "Matthias, Lisa", "Norlander, Bree", "Farley, Ashley", "West, Jevin D.", "Haustein, Stefanie"]
    assert (r.year, r.published_date, r.journal, r.issn) == (2018, "2018-02-13", "PeerJ", ["2167-8359"])
    assert (r.volume, r.issue, r.pages, r.language) == ("6", None, "e4375", "eng")
    assert r.publication_types == ["article"] and r.is_retracted is False
    assert r.keywords == ["Scholarly Communication", "Web of science", "Open Science", "Citation analysis"]
    assert r.abstract.startswith("Despite growing interest in Open Access (OA) to scholarly literature, there is")
    assert r.abstract.endswith("as a way to inform OA policy and practice.")
    assert len(r.abstract.split(" ")) == 258
    assert r.raw_format == "openalex-json" and json.loads(r.raw)["id"] == WORK["id"]


def test_list_response_gives_one_record_per_result():
    first, preprint = parse(load("list_two_works.json"))
    assert first.openalex_id == "W2741809807"
    assert preprint.openalex_id == "W4400000001" and preprint.doi == "10.31234/osf.io/abc12"
    assert preprint.title == "Coaching for wellbeing: a preprint"
    assert preprint.publication_types == ["preprint"]
    assert preprint.is_retracted is True and preprint.abstract is None
    assert preprint.authors == ["García-López, María José"]
    assert (preprint.journal, preprint.issn, preprint.language, preprint.pages) == ("PsyArXiv", [], "ger", None)
    assert preprint.url == "https://osf.io/abc12"


def test_zero_results_list_parses_to_nothing():
    assert parse(load("list_zero_results.json")) == []


def test_abstract_rebuilt_in_position_order_keeps_a_bare_less_than():
    assert rebuild_abstract({"p": [0], "<": [1], "0.05": [2], "in": [3, 5], "all": [4], "arms": [6]}) == \
        "p < 0.05 in all in arms"
    assert rebuild_abstract(None) is None and rebuild_abstract({}) is None


@pytest.mark.parametrize(("payload", "error", "message"), [
    (load("error_400_invalid_filter.json"), SourceQueryError,
     "API error: Invalid query parameters error.: from_created_dat is not a valid field"),
    (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>", SourceParseError,
     "HTML page instead of JSON (502 Bad Gateway)"),
    (load("list_two_works.json")[:5000], SourceParseError, "not valid JSON, truncated or malformed"),
    (b'{"meta": {"count": 1}, "group_by": []}', SourceParseError, "not an OpenAlex works response"),
])
def test_payloads_that_are_not_works_are_refused(payload, error, message):
    with pytest.raises(error) as info:
        parse(payload)
    assert message in str(info.value) and str(info.value).startswith("openalex: ")


# --------------------------------------------------------------------------------------------- searching
def test_without_a_key_search_raises_missing_credentials_and_sends_nothing():
    s = Settings(openalex_base_url=BASE)
    with responses.RequestsMock() as mock, pytest.raises(MissingCredentialsError) as info:
        OpenAlexConnector(s).search("coaching", WINDOW)
    assert "set LIVEREVIEW_OPENALEX_API_KEY" in str(info.value)
    assert len(mock.calls) == 0


@responses.activate
def test_first_request_sends_the_exact_search_filter_and_key_but_logs_it_redacted():
    responses.get(WORKS, body=load("list_zero_results.json"), match=[matchers.query_param_matcher({
        "search": "coaching psychology", "filter": "from_created_date:2025-11-01,to_created_date:2025-11-07",
        "per_page": "100", "cursor": "*", "api_key": "oa-secret"})])
    result = connector().search("coaching psychology", WINDOW)
    assert result.records == [] and result.total_reported == 0 and result.warnings == []
    assert result.queries == ["https://api.openalex.test/works?api_key=***&filter=from_created_date:2025-11-01,"
                              "to_created_date:2025-11-07&per_page=100&cursor=*&search=coaching+psychology"]


@responses.activate
def test_by_default_the_text_searches_titles_and_abstracts_with_language_and_type_filters():
    responses.get(WORKS, body=load("list_zero_results.json"), match=[matchers.query_param_matcher({
        "filter": "from_created_date:2025-11-01,to_created_date:2025-11-07,type:article|book,language:en,"
                  'title_and_abstract.search:(homework OR "between-session activities")',
        "per_page": "100", "cursor": "*", "api_key": "oa-secret"})])
    s = settings()
    conn = OpenAlexConnector(s, client=make_client(s, sleep=lambda _: None, per_second=1000),
                             types=("article", "book"), languages=("en",))
    assert conn.search('(homework OR "between-session activities")', WINDOW).records == []


def test_a_comma_in_a_title_and_abstract_search_is_refused_before_sending():
    with pytest.raises(SourceQueryError, match="comma"):
        OpenAlexConnector(settings(), search_filter="title_and_abstract.search").search("a, b", WINDOW)


@responses.activate
def test_pages_with_next_cursor_until_it_is_null():
    responses.get(WORKS, json=listing(works(1, 2), count=5, cursor="c2"),
                  match=[matchers.query_param_matcher({"cursor": "*", "per_page": "2"}, strict_match=False)])
    responses.get(WORKS, json=listing(works(3, 4), count=5, cursor="c3"),
                  match=[matchers.query_param_matcher({"cursor": "c2"}, strict_match=False)])
    responses.get(WORKS, json=listing(works(5), count=5, cursor=None),
                  match=[matchers.query_param_matcher({"cursor": "c3"}, strict_match=False)])
    result = connector(per_page=2).search("coaching", WINDOW)
    assert len(responses.calls) == 3
    assert [r.openalex_id for r in result.records] == ["W1", "W2", "W3", "W4", "W5"]
    assert result.total_reported == 5


@responses.activate
def test_a_repeated_cursor_stops_when_everything_arrived_and_fails_when_not():
    responses.get(WORKS, json=listing(works(1, 2), count=2, cursor="c2"))
    responses.get(WORKS, json=listing(works(1, 2), count=2, cursor="c2"))
    assert [r.openalex_id for r in connector(per_page=2).search("x", WINDOW).records] == ["W1", "W2"]
    responses.reset()
    responses.get(WORKS, json=listing(works(1, 2), count=9, cursor="c2"))
    responses.get(WORKS, json=listing(works(3, 4), count=9, cursor="c2"))
    with pytest.raises(CursorError, match="cursor repeated after 4 of 9 works"):
        connector(per_page=2).search("x", WINDOW)


@responses.activate
def test_refused_created_date_filter_falls_back_to_publication_dates_with_overlap_and_warns():
    responses.get(WORKS, status=403, body=load("error_403_premium_filter.json"),
                  match=[matchers.query_param_matcher(
                      {"filter": "from_created_date:2025-11-01,to_created_date:2025-11-07"}, strict_match=False)])
    responses.get(WORKS, json=listing(works(7), count=1, cursor=None),
                  match=[matchers.query_param_matcher(
                      {"filter": "from_publication_date:2025-10-02,to_publication_date:2025-11-07", "cursor": "*"},
                      strict_match=False)])
    result = connector().search("coaching", WINDOW)
    assert [r.openalex_id for r in result.records] == ["W7"]
    assert result.warnings == [
        "openalex: the created-date filter was refused (Forbidden: The filter from_created_date requires a premium "
        "API key. See https://openalex.org/pricing); searched publication dates 2025-10-02..2025-11-07 instead "
        "(window start moved back 30 days)"]
    assert len(result.queries) == 2


@pytest.mark.parametrize(("status", "name", "error", "message"), [
    (400, "error_400_invalid_filter.json", SourceQueryError, "query rejected: Invalid query parameters error."),
    (401, "error_401_invalid_key.json", MissingCredentialsError, "API key rejected: Invalid API key."),
    (403, "error_403_rate_limit.json", SourceHTTPError, "rate limit or daily budget exhausted"),
])
@responses.activate
def test_error_statuses_become_clear_typed_errors(status, name, error, message):
    responses.get(WORKS, status=status, body=load(name))
    with pytest.raises(error) as info:
        connector().search("coaching", WINDOW)
    assert message in str(info.value) and info.value.status == status
    assert "oa-secret" not in str(info.value)


@responses.activate
def test_html_and_truncated_bodies_are_parse_errors():
    responses.get(WORKS, body="<html><head><title>Service Unavailable</title></head></html>",
                  content_type="text/html")
    with pytest.raises(SourceParseError, match="HTML page instead of JSON"):
        connector().search("coaching", WINDOW)
    responses.reset()
    responses.get(WORKS, body=load("list_two_works.json")[:3000], content_type="application/json")
    with pytest.raises(SourceParseError, match="truncated or malformed"):
        connector().search("coaching", WINDOW)


def test_per_page_above_the_api_maximum_is_refused():
    with pytest.raises(ValueError, match="per_page must be between 1 and 100"):
        OpenAlexConnector(settings(), per_page=200)
