"""Crossref: parsing real /works payloads, refusing error payloads, and paging /works with a cursor."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from livereview.connectors.base import Window
from livereview.connectors.crossref import (
    DATE_FILTER,
    CrossrefConnector,
    advertised_rate,
    jats_to_text,
    make_client,
    parse,
)
from livereview.errors import CursorError, SourceHTTPError, SourceParseError, SourceQueryError
from livereview.records.model import Relation
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "crossref"
BASE = "https://api.crossref.test/"
WORKS = BASE + "works"
WINDOW = Window(date(2025, 11, 1), date(2025, 11, 7))


def load(name: str) -> bytes:
    return (FIX / name).read_bytes()


def by_doi(name: str) -> dict:
    return {r.doi: r for r in parse(load(name))}


def settings(**kw) -> Settings:
    base = {"crossref_base_url": BASE, "contact_email": "team@example.org", "http_retries": 2}
    return Settings(**{**base, **kw})


def connector(sleeps: list[float] | None = None, **kw) -> CrossrefConnector:
    s = kw.pop("settings", None) or settings()
    sink = sleeps if sleeps is not None else []
    return CrossrefConnector(s, client=make_client(s, sleep=sink.append, per_second=1000), **kw)


def page(name: str, *, total: int | None = None, items: list | None = None, cursor: str | None = "C") -> bytes:
    data = json.loads(load(name))
    if items is not None:
        data["message"]["items"] = items
    if total is not None:
        data["message"]["total-results"] = total
    data["message"]["next-cursor"] = cursor
    return json.dumps(data).encode()


# --------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(("name", "count"), [
    ("member98_works_cursor_page1.json", 5),
    ("member_works_rows0_facets.json", 0),
    ("work_minimal_no_references_ijo.json", 1),
    ("work_peer_review_no_content_domain.json", 1),
    ("work_pone.0033693_2017.json", 1),
    ("work_pone.0033693_2026_updated_by_correction.json", 1),
    ("work_proceedings_article_icdcsw.json", 1),
    ("work_type_journal_container_doi.json", 1),
    ("worklist_cursor_page1_widget.json", 20),
    ("worklist_cursor_page2_widget.json", 20),
    ("worklist_field_query_author_jats_rich.json", 20),
    ("worklist_sample10_preprint_subtype.json", 10),
    ("worklist_sample2_journal_issue_no_title.json", 2),
    ("worklist_select_doi_title_sparse.json", 20),
    ("worklist_zero_results.json", 0),
    ("worklist_update_notices.json", 3),
])
def test_every_real_work_payload_parses_to_one_record_per_item_with_its_title(name, count):
    data = json.loads(load(name))
    message = data["message"]
    items = message["items"] if data["message-type"] == "work-list" else [message]
    records = parse(load(name))
    assert len(records) == count
    for item, record in zip(items, records, strict=True):
        assert record.doi == item["DOI"].lower() == record.source_id
        assert (record.title is not None) == bool(item.get("title"))
        assert record.raw_format == "crossref-json" and json.loads(record.raw) == item


def test_single_work_gives_every_field_normalised():
    (r,) = parse(load("work_pone.0033693_2026_updated_by_correction.json"))
    assert r.title == ("Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the "
                       "Basal Ganglia of Mice")
    assert r.authors[:3] == ["Sadasivan, Shankar", "Pond, Brooks B.", "Pani, Amar K."]
    assert (r.year, r.published_date, r.journal) == (2012, "2012-03-21", "PLoS ONE")
    assert (r.volume, r.issue, r.pages, r.issn, r.language) == ("7", "3", "e33693", ["1932-6203"], "eng")
    assert r.publication_types == ["journal-article"]
    assert r.url == "https://doi.org/10.1371/journal.pone.0033693"


def test_updated_by_correction_becomes_erratum_in_without_retraction():
    (r,) = parse(load("work_pone.0033693_2026_updated_by_correction.json"))
    assert r.relations == [Relation("erratum-in", "doi", "10.1371/annotation/c76da2c1-ccb8-4797-94c1-359d3ceceeda",
                                    "correction")]
    assert r.is_retracted is False
    (old,) = parse(load("work_pone.0033693_2017.json"))
    assert old.relations == [] and old.language is None


def test_notices_point_at_their_target_and_the_retracted_work_is_flagged():
    recs = by_doi("worklist_update_notices.json")
    notice = recs["10.5555/ecpr.2025.0101"]
    assert notice.relations == [Relation("retraction-of", "doi", "10.5555/ecpr.2023.0042", "retraction")]
    assert notice.authors == ["Editorial Board of Example Coaching Psychology Review"]
    assert notice.is_retracted is False
    assert recs["10.5555/ecpr.2025.0102"].relations == [
        Relation("expression-of-concern-for", "doi", "10.5555/ecpr.2024.0077", "expression_of_concern")]
    work = recs["10.5555/ecpr.2023.0042"]
    assert work.is_retracted is True
    # publisher and Retraction Watch both assert the retraction: one relation
    assert work.relations == [Relation("retraction-in", "doi", "10.5555/ecpr.2025.0101", "retraction"),
                              Relation("erratum-in", "doi", "10.5555/ecpr.2024.0003", "correction")]
    assert (work.year, work.published_date) == (2023, "2023-05-02")


def test_preprint_subtype_and_has_preprint_relation():
    recs = by_doi("worklist_field_query_author_jats_rich.json")
    preprint = recs["10.1101/014852"]
    assert preprint.publication_types == ["posted-content", "preprint"]
    assert preprint.journal == "bioRxiv"
    assert (preprint.year, preprint.published_date) == (2015, "2015-02-04")
    assert recs["10.1002/ece3.2314"].relations == [Relation("has-preprint", "doi", "10.1101/014852")]
    sample = by_doi("worklist_sample10_preprint_subtype.json")
    assert sample["10.2139/ssrn.5250900"].publication_types == ["posted-content", "preprint"]
    assert sample["10.1136/bmj.298.6673.604-c"].publication_types == ["journal-article"]


def test_null_date_parts_fall_back_to_created_year_without_a_publication_date():
    (journal,) = parse(load("work_type_journal_container_doi.json"))
    assert (journal.title, journal.year, journal.published_date) == ("Theoretical Ecology", 2013, None)
    assert journal.authors == [] and journal.issn == ["1874-1738", "1874-1746"]
    (proc,) = parse(load("work_proceedings_article_icdcsw.json"))
    assert (proc.year, proc.published_date, proc.pages) == (2004, None, "877-882")
    assert proc.authors == ["Arya, V.", "Turletti, T."]
    widgets = by_doi("worklist_cursor_page1_widget.json")
    assert widgets["10.1007/978-1-4302-0197-7_9"].published_date is None
    assert widgets["10.1007/978-1-4842-6700-4_5"].published_date == "2020"


def test_jats_abstract_sections_keep_their_labels_and_generic_heading_is_dropped():
    recs = by_doi("worklist_field_query_author_jats_rich.json")
    geb = recs["10.1111/geb.13950"].abstract
    assert geb.startswith("Aim: Despite unprecedented environmental change due to anthropogenic pressure")
    assert "through time. Location: Global, with a North American focus. Time Period: 1923–2014. Major Taxa " \
           "Studied: Mammals, Birds. Methods: We paired" in geb
    assert "maximum spatial extent of 95 km2. Using" in geb
    assert "<" not in geb and "ABSTRACT" not in geb
    assert recs["10.1111/ele.14024"].abstract.startswith("Encouraged by decision makers’ appetite")
    assert "“everything is important” (Bjørnstad & Grenfell). Stochastic" in recs["10.1111/ele.13085"].abstract
    treebase = recs["10.1111/j.2041-210x.2012.00247.x"].abstract
    assert "We have developed treebase, an open‐source software package (freely available from " \
           "http://cran.r-project.org/web/packages/treebase) for the R" in treebase


def test_titles_lose_markup_without_gluing_words_and_subtitle_is_appended():
    recs = by_doi("worklist_field_query_author_jats_rich.json")
    assert recs["10.1111/j.2041-210x.2012.00247.x"].title == (
        "Treebase: an R package for discovery, access and manipulation of online phylogenies")
    assert recs["10.1002/fee.70021"].title == "The role of AI in ecology’s computational carbon footprint"
    sample = by_doi("worklist_sample10_preprint_subtype.json")
    assert sample["10.1246/bcsj.36.278"].title == (
        "The Cationic Copolymerization of Styrene and p-Brornostyrene in Liquid Sulfur Dioxide")
    page2 = by_doi("worklist_cursor_page2_widget.json")
    assert page2["10.1145/3027385.3027428"].title == (
        "Widget, widget as you lead, I am performing well indeed! using results from an exploratory offline "
        "study to inform an empirical online study about a learning analytics widget in a collaborative "
        "learning environment")
    assert page2["10.21326/ksdt.2008..18.018"].volume is None   # deposited as the string "null"


def test_sparse_and_untitled_items_still_give_records():
    issue, = [r for r in parse(load("worklist_sample2_journal_issue_no_title.json")) if r.title is None]
    assert (issue.doi, issue.publication_types, issue.year) == ("10.7752/jpes.2018.03256", ["journal-issue"], 2018)
    sparse = parse(load("worklist_select_doi_title_sparse.json"))
    assert sparse[0].title == "Communicating Ecology" and sparse[0].publication_types == []
    (ijo,) = parse(load("work_minimal_no_references_ijo.json"))
    assert ijo.authors == ["Stravopodis"]


def test_jats_to_text_does_not_expand_entities_it_was_not_given():
    text = "<jats:p>p &lt; 0.05 &amp; <!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;</jats:p>"
    out = jats_to_text(text)
    assert out.startswith("p < 0.05 & ") and out.endswith("&e;")   # the reference stays literal text
    assert "root:" not in out


@pytest.mark.parametrize(("name", "error", "message"), [
    ("agency_medra.json", SourceParseError, "got 'work-agency'"),
    ("transform_csl_json_science_1970.json", SourceParseError, "no 'message-type' envelope"),
    ("error_404_resource_not_found.txt", SourceParseError, "body starts 'Resource not found.'"),
    ("error_400_validation_failure_field_query.json", SourceQueryError,
     "query rejected: This route does not support field query parameters (value: query.*)"),
    ("error_400_sample_too_large.json", SourceQueryError, "less than or equal to 100 (value: 200)"),
    ("error_404_cursor_invalid.json", CursorError, "cursor rejected: Cursor specified but it is invalid"),
    ("error_500_exception.json", SourceHTTPError, "server error: Solr returned a partial result set"),
    ("worklist_truncated.json", SourceParseError, "not valid JSON, truncated or malformed"),
    ("html_instead_of_json.html", SourceParseError,
     "HTML page instead of JSON (503 Service Temporarily Unavailable - Crossref API maintenance)"),
])
def test_payloads_that_are_not_works_are_refused_with_one_clear_line(name, error, message):
    with pytest.raises(error) as info:
        parse(load(name))
    assert message in str(info.value)
    assert "\n" not in str(info.value) and str(info.value).startswith("crossref: ")


# --------------------------------------------------------------------------------------------- searching
@responses.activate
def test_first_request_sends_the_exact_query_window_and_identification():
    s = settings(crossref_plus_token="plus-secret")
    responses.get(WORKS, body=load("worklist_zero_results.json"), match=[
        matchers.query_param_matcher({
            "query.bibliographic": "coaching cognitive behavioural",
            "filter": "from-index-date:2025-11-01,until-index-date:2025-11-07,type:journal-article,"
                      "type:posted-content",
            "rows": "500", "cursor": "*", "mailto": "team@example.org"}),
        matchers.header_matcher({"Crossref-Plus-API-Token": "Bearer plus-secret"}),
    ])
    conn = connector(settings=s, rows=500, types=("journal-article", "posted-content"))
    result = conn.search("  coaching cognitive behavioural ", WINDOW)
    assert result.records == [] and result.total_reported == 0
    assert len(responses.calls) == 1
    assert "mailto:team@example.org" in responses.calls[0].request.headers["User-Agent"]
    assert result.queries == [
        "https://api.crossref.test/works?mailto=***&filter=from-index-date:2025-11-01,until-index-date:2025-11-07"
        ",type:journal-article,type:posted-content&rows=500&cursor=*&query.bibliographic=coaching+cognitive"
        "+behavioural"]
    assert DATE_FILTER == ("from-index-date", "until-index-date")


@responses.activate
def test_pages_to_the_end_although_crossref_repeats_the_same_cursor():
    cursor = json.loads(load("worklist_cursor_page1_widget.json"))["message"]["next-cursor"]
    extra = json.loads(load("worklist_field_query_author_jats_rich.json"))["message"]["items"][:5]
    responses.get(WORKS, body=page("worklist_cursor_page1_widget.json", total=45, cursor=cursor),
                  match=[matchers.query_param_matcher({"cursor": "*"}, strict_match=False)])
    responses.get(WORKS, body=page("worklist_cursor_page2_widget.json", total=45, cursor=cursor),
                  match=[matchers.query_param_matcher({"cursor": cursor}, strict_match=False)])
    responses.get(WORKS, body=page("worklist_cursor_page2_widget.json", total=45, items=extra, cursor=cursor),
                  match=[matchers.query_param_matcher({"cursor": cursor}, strict_match=False)])
    result = connector(rows=20).search("widget", WINDOW)
    assert len(responses.calls) == 3
    assert len(result.records) == 45 == result.total_reported
    assert result.records[0].doi == "10.1007/978-1-4302-0197-7_9"
    assert result.records[-1].doi == "10.1111/2041-210x.14013"
    assert len(result.queries) == 3 and result.warnings == []


@responses.activate
def test_a_cursor_that_returns_the_same_page_again_is_a_cursor_error():
    body = page("worklist_cursor_page1_widget.json", total=100, cursor="SAME")
    responses.get(WORKS, body=body)
    responses.get(WORKS, body=body)
    with pytest.raises(CursorError, match="cursor did not advance: page 2 repeated 20 works already received"):
        connector(rows=20).search("widget", WINDOW)


@responses.activate
def test_stops_when_the_reported_total_is_reached_without_an_empty_last_call():
    responses.get(WORKS, body=page("worklist_cursor_page1_widget.json", total=20, cursor="NEXT"))
    result = connector(rows=20).search("widget", WINDOW)
    assert len(responses.calls) == 1 and len(result.records) == 20


@responses.activate
def test_plain_text_404_is_a_query_error():
    responses.get(WORKS, body=load("error_404_resource_not_found.txt"), status=404, content_type="text/plain")
    with pytest.raises(SourceQueryError) as info:
        connector().search("x", WINDOW)
    assert info.value.status == 404 and "request refused: Resource not found." in str(info.value)


@responses.activate
def test_400_json_carries_the_api_message():
    responses.get(WORKS, body=load("error_400_validation_failure_field_query.json"), status=400)
    with pytest.raises(SourceQueryError, match="This route does not support field query parameters"):
        connector().search("x", WINDOW)


@responses.activate
def test_invalid_cursor_json_is_a_cursor_error():
    responses.get(WORKS, body=page("worklist_cursor_page1_widget.json", total=100, cursor="thing"))
    responses.get(WORKS, body=load("error_404_cursor_invalid.json"), status=404)
    with pytest.raises(CursorError, match="Cursor specified but it is invalid"):
        connector(rows=20).search("widget", WINDOW)


@responses.activate
def test_500_with_a_stack_trace_gives_up_after_retries_with_a_short_message():
    for _ in range(3):
        responses.get(WORKS, body=load("error_500_java_stack_trace.txt"), status=500, content_type="text/plain")
    sleeps: list[float] = []
    conn = connector(sleeps)
    with pytest.raises(SourceHTTPError) as info:
        conn.search("x", WINDOW)
    message = str(info.value)
    assert "gave up after 3 attempts: HTTP 500" in message
    assert "IllegalArgumentException: Cursor specified but it is invalid or expired" in message
    assert " at cayenne" not in message and "Caused by" not in message and "\n" not in message
    assert info.value.status == 500
    assert (conn.client.stats.attempts, conn.client.stats.retries) == (3, 2)


@responses.activate
def test_500_twice_then_success_returns_everything():
    responses.get(WORKS, status=500, body=load("error_500_exception.json"))
    responses.get(WORKS, status=500, body=load("error_500_exception.json"))
    responses.get(WORKS, body=page("worklist_cursor_page1_widget.json", total=20))
    conn = connector()
    result = conn.search("widget", WINDOW)
    assert len(result.records) == 20
    assert (conn.client.stats.requests, conn.client.stats.attempts, conn.client.stats.retries) == (1, 3, 2)


@responses.activate
def test_429_waits_as_long_as_retry_after_says_then_succeeds():
    responses.get(WORKS, status=429, headers={"Retry-After": "7"}, body="Too Many Requests")
    responses.get(WORKS, body=load("worklist_zero_results.json"))
    sleeps: list[float] = []
    result = connector(sleeps).search("x", WINDOW)
    assert result.records == [] and 7.0 in sleeps


@responses.activate
def test_timeouts_are_retried_then_reported():
    for _ in range(3):
        responses.get(WORKS, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(SourceHTTPError, match="gave up after 3 attempts: timed out after 30 s"):
        connector().search("x", WINDOW)


@responses.activate
def test_html_page_with_status_200_is_a_parse_error():
    responses.get(WORKS, body=load("html_instead_of_json.html"), content_type="text/html")
    with pytest.raises(SourceParseError, match="HTML page instead of JSON"):
        connector().search("x", WINDOW)


@responses.activate
def test_truncated_json_is_a_parse_error_not_a_short_result():
    responses.get(WORKS, body=load("worklist_truncated.json"))
    with pytest.raises(SourceParseError, match="truncated or malformed"):
        connector().search("x", WINDOW)


@responses.activate
def test_advertised_rate_limit_only_ever_tightens_the_client():
    responses.get(WORKS, body=load("worklist_zero_results.json"),
                  headers={"x-rate-limit-limit": "2", "x-rate-limit-interval": "1s"})
    responses.get(WORKS, body=load("worklist_zero_results.json"),
                  headers={"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s"})
    conn = connector()
    conn.search("x", WINDOW)
    assert conn.client.limiter.interval == pytest.approx(0.5)
    conn.search("x", WINDOW)
    assert conn.client.limiter.interval == pytest.approx(0.5)
    assert advertised_rate({"x-rate-limit-limit": "3000", "x-rate-limit-interval": "60s"}) == 50.0
    assert advertised_rate({}) is None


def test_rows_outside_the_documented_range_are_refused():
    with pytest.raises(ValueError, match="rows must be between 1 and 1000"):
        CrossrefConnector(settings(), rows=1001)


def test_a_partial_retraction_is_a_retraction_type_notice_not_an_erratum():
    """Crossref's ``partial_retraction`` update type: the notice is about retracting (part of) the work."""
    payload = json.loads(load("work_pone.0033693_2026_updated_by_correction.json"))
    for update in payload["message"]["updated-by"]:
        update["type"] = "partial_retraction"
    (r,) = parse(json.dumps(payload).encode())
    assert r.relations == [Relation("retraction-in", "doi", "10.1371/annotation/c76da2c1-ccb8-4797-94c1-359d3ceceeda",
                                    "partial_retraction")]
    assert r.is_retracted is False   # part of it stands: flagged by its notice, not marked retracted whole
