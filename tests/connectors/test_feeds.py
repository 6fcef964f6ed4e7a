"""Journal feeds: parsing every feed shape, refusing unsafe or non-feed documents, conditional GETs."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import responses
from responses import matchers

from livereview.connectors.base import Window
from livereview.connectors.feeds import FeedConnector, doi_from_url, make_client, parse, parse_feed
from livereview.errors import SourceParseError
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
FEED_URL = "https://feeds.example.org/journal/rss"


def load(name: str) -> bytes:
    return (FIX / name).read_bytes()


def connector() -> FeedConnector:
    s = Settings(http_retries=1)
    return FeedConnector(s, client=make_client(s, sleep=lambda _: None, per_second=1000))


# --------------------------------------------------------------------------------------------- parsing
def test_rss1_prism_feed_gives_all_69_items_with_dois_volumes_and_pages():
    records = parse(load("science_twis_rss1_prism.rdf.xml"))
    assert len(records) == 69
    assert all(r.title for r in records)
    dois = [r.doi for r in records]
    assert len(set(dois)) == 69 and all(d.startswith("10.1126/science.356.") for d in dois)
    first = records[0]
    assert (first.title, first.doi, first.authors) == ("Food for fungi", "10.1126/science.356.6343.1134-a",
                                                       ["Hines, P. J."])
    assert (first.journal, first.volume, first.issue, first.pages) == ("Science", "356", "6343", "1134")
    assert (first.issn, first.year, first.published_date) == (["0036-8075", "1095-9203"], 2017, "2017-06-16")
    assert first.keywords == ["Botany, Microbiology"] and first.abstract is None
    assert first.source_id == first.url == "http://science.sciencemag.org/cgi/content/short/356/6343/1134-a?rss=1"
    last = records[-1]
    assert (last.title, last.doi, last.pages, last.issue) == (
        "Creating a weakness in prostate cancer", "10.1126/science.356.6340.816-o", "816-818", "6340")
    assert last.raw_format == "feed-entry-json" and '"prism_volume": "356"' in last.raw


def test_wiley_shaped_rss2_reads_prism_doi_split_creators_and_abstract_sections():
    parsed = parse_feed(load("wiley_rss2_prism.xml"))
    assert parsed.warnings == [] and parsed.version == "rss20"
    article, correction = parsed.records
    assert article.doi == "10.1002/jclp.70011"
    assert article.title == "Cognitive‐behavioral coaching for perfectionism: A randomized controlled trial"
    assert article.authors == ["Doe, Jane", "Smith, John A.", "Lee, Ann"]
    assert article.abstract == ("Objective: To test whether cognitive‐behavioral coaching reduces perfectionism "
                                "(p < 0.05 threshold). Method: Adults (N = 120) were randomized.")
    assert (article.journal, article.volume, article.issue, article.pages) == (
        "Journal of Clinical Psychology", "81", "6", "512-525")
    assert (article.issn, article.published_date, article.year) == (["0021-9762", "1097-4679"], "2025-06-01", 2025)
    # no DOI element: taken from the /doi/ link, without Wiley's ?af=R
    assert correction.doi == "10.1002/jclp.70020"
    assert correction.abstract is None and correction.authors == []   # "…, EarlyView." is no abstract
    assert parsed.dates == [date(2025, 5, 20), date(2025, 4, 2)]


def test_sciencedirect_description_paragraphs_become_date_journal_and_authors():
    parsed = parse_feed(load("sciencedirect_rss2.xml"))
    online, issue, old = parsed.records
    assert online.authors == ["Tibbs-Cortes, Laura E.", "Han, Linqian", "Jewell, Jeremy B."]
    assert (online.journal, online.published_date, online.abstract, online.doi) == (
        "Behaviour Research and Therapy", "2025-05-20", None, None)
    assert online.source_id == "https://www.sciencedirect.com/science/article/pii/S0005796725000912"
    assert (issue.journal, issue.volume, issue.published_date, issue.year) == (
        "Behaviour Research and Therapy", "189", "2025-06", 2025)
    assert parsed.dates == [date(2025, 5, 20), None, date(2025, 3, 2)]
    assert old.title == "Worry postponement revisited"


def test_atom_feed_takes_dois_from_links_and_keeps_undated_entries():
    parsed = parse_feed(load("springer_atom.atom"))
    dated, undated = parsed.records
    assert dated.doi == "10.1007/s10608-025-10611-2" and dated.title == "Self-compassion coaching and rumination"
    assert dated.authors == ["Haddad, Noor", "Berg, Peter van der"]
    assert dated.abstract == "Rumination fell (d = 0.41) after six sessions."
    assert dated.journal == "Cognitive Therapy and Research"
    assert (undated.doi, undated.published_date, undated.year) == ("10.1007/s10608-025-10700-9", None, None)
    assert parsed.dates == [date(2025, 5, 21), None]


def test_rss091_with_the_netscape_doctype_is_accepted():
    (record,) = parse(load("rss091_netscape.xml"))
    assert record.title == "Coaching psychology in cafés: a field study"
    assert record.doi == "10.9999/ijc.2025.7"


def test_atom_entry_with_nothing_in_it_is_skipped_with_a_warning():
    parsed = parse_feed(load("atom_incomplete_empty_author.atom"), url=FEED_URL)
    assert parsed.records == []
    assert parsed.warnings == [f"feeds: {FEED_URL}: skipped 1 entries with neither a title nor an identifier (DOI)"]
    assert parsed.skipped == 1


def test_items_with_only_a_link_are_dropped_and_counted_items_with_a_doi_but_no_title_kept():
    payload = load("science_twis_rss1_prism.rdf.xml")
    items = re.findall(rb"<item rdf:about=.*?</item>", payload, re.DOTALL)
    untitled = re.sub(rb"<(dc:)?title>.*?</(dc:)?title>\n", b"", items[0])               # keeps its DOI
    bare = re.sub(rb"<(dc:title|title|dc:identifier)>.*?</(dc:title|title|dc:identifier)>\n", b"", items[1])
    assert b"title" not in bare and b"doi" not in bare and b"<link>" in bare
    parsed = parse_feed(payload.replace(items[0], untitled).replace(items[1], bare), url=FEED_URL)
    assert parsed.skipped == 1 and len(parsed.records) == 68
    assert all(r.title or r.doi for r in parsed.records)
    assert [r.doi for r in parsed.records if r.title is None] == ["10.1126/science.356.6343.1134-a"]


def test_malformed_feed_with_readable_entries_returns_them_and_warns():
    broken = load("science_twis_rss1_prism.rdf.xml").replace(b"<title><![CDATA[Food for fungi]]></title>",
                                                             b"<title>Food & fungi</title>", 1)
    parsed = parse_feed(broken, url=FEED_URL)
    assert len(parsed.records) == 69
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith(f"feeds: {FEED_URL} is malformed (")
    assert parsed.warnings[0].endswith("kept the 69 entries that could be read")


@pytest.mark.parametrize(("name", "message"), [
    ("malformed_html_instead_of_feed.rss", "an HTML page, not a feed ('Document Moved')"),
    ("malformed_empty_document.xml", "empty document (no feed element, only comments or an XML declaration)"),
    ("malformed_rss_incomplete_cdata.xml", "malformed feed with no readable entries"),
    ("malformed_undeclared_namespace.xml", "malformed feed with no readable entries (SAXParseException"),
    ("billion_laughs.xml", "document declares XML entities"),
    ("xxe_external_entity.xml", "document declares XML entities"),
    ("xxe_external_dtd_malformed.xml", "document declares XML entities"),
])
def test_documents_that_are_not_safe_readable_feeds_are_refused(name, message):
    with pytest.raises(SourceParseError) as info:
        parse_feed(load(name), url=FEED_URL)
    assert message in str(info.value)
    assert str(info.value).startswith(f"feeds: {FEED_URL}: ") and "\n" not in str(info.value)


def test_utf16_entity_declaration_is_refused_too():
    payload = load("billion_laughs.xml").decode().replace('<?xml version="1.0"?>', "").encode("utf-16")
    assert payload[:2] in (b"\xff\xfe", b"\xfe\xff") and b"<!ENTITY" not in payload
    with pytest.raises(SourceParseError, match="declares XML entities"):
        parse(payload)


def test_a_payload_that_looks_like_a_path_is_never_opened_as_a_file():
    with pytest.raises(SourceParseError, match="not an RSS or Atom feed|empty document"):
        parse(b"/etc/hostname")


@pytest.mark.parametrize(("url", "doi"), [
    ("https://onlinelibrary.wiley.com/doi/abs/10.1002/jclp.70011?af=R", "10.1002/jclp.70011"),
    ("https://www.tandfonline.com/doi/full/10.1080/17521882.2025.2500001?af=R", "10.1080/17521882.2025.2500001"),
    ("https://link.springer.com/article/10.1007/s10608-025-10611-2", "10.1007/s10608-025-10611-2"),
    ("https://doi.org/10.1037%2Fcpb0000123", "10.1037/cpb0000123"),
    ("https://www.sciencedirect.com/science/article/pii/S0005796725000912", None),
    ("https://example.org/news/10.5/post", None),
])
def test_doi_from_url_only_trusts_links_that_carry_a_doi(url, doi):
    assert doi_from_url(url) == doi


# --------------------------------------------------------------------------------------------- fetching
@responses.activate
def test_first_fetch_stores_etag_and_last_modified_by_feed_url():
    responses.get(FEED_URL, body=load("wiley_rss2_prism.xml"), content_type="application/rss+xml",
                  headers={"ETag": '"v1"', "Last-Modified": "Tue, 20 May 2025 14:00:00 GMT"})
    other = {"https://other.example/feed": {"etag": '"x"'}}
    result = connector().search(FEED_URL, Window(date(2025, 1, 1), date(2025, 5, 22)), state=other)
    assert [r.doi for r in result.records] == ["10.1002/jclp.70011", "10.1002/jclp.70020"]
    assert result.state == {**other, FEED_URL: {"etag": '"v1"', "last_modified": "Tue, 20 May 2025 14:00:00 GMT"}}
    assert result.queries == [FEED_URL] and result.total_reported == 2
    assert "If-None-Match" not in responses.calls[0].request.headers


@responses.activate
def test_304_not_modified_gives_no_records_and_leaves_state_unchanged():
    state = {FEED_URL: {"etag": '"v1"', "last_modified": "Tue, 20 May 2025 14:00:00 GMT"}}
    responses.get(FEED_URL, status=304, match=[matchers.header_matcher(
        {"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 20 May 2025 14:00:00 GMT"})])
    result = connector().search(FEED_URL, Window(date(2025, 5, 1), date(2025, 5, 27)), state=state)
    assert result.records == [] and result.state == state and result.warnings == []


@responses.activate
def test_entries_posted_before_the_window_are_dropped_and_undated_ones_kept():
    responses.get(FEED_URL, body=load("sciencedirect_rss2.xml"))
    result = connector().search(FEED_URL, Window(date(2025, 4, 1), date(2025, 5, 27)))
    assert [r.title for r in result.records] == [
        "Imagery rescripting as a coaching intervention: a multiple-baseline study",
        "Behavioural activation delivered by coaches"]
    assert result.state == {}


@responses.activate
def test_science_feed_window_keeps_only_the_latest_issue():
    responses.get(FEED_URL, body=load("science_twis_rss1_prism.rdf.xml"))
    result = connector().search(FEED_URL, Window(date(2017, 6, 15), date(2017, 6, 21)))
    assert len(result.records) == 21 and {r.issue for r in result.records} == {"6343"}


@responses.activate
def test_html_page_served_for_a_feed_is_a_parse_error_naming_the_feed():
    responses.get(FEED_URL, body=load("malformed_html_instead_of_feed.rss"), content_type="text/html")
    with pytest.raises(SourceParseError, match=re.escape(f"feeds: {FEED_URL}: an HTML page, not a feed")):
        connector().search(FEED_URL, Window(date(2025, 1, 1), date(2025, 1, 7)))


def test_query_must_be_an_absolute_feed_url():
    with pytest.raises(ValueError, match="absolute http"):
        connector().search("Journal of Clinical Psychology", Window(date(2025, 1, 1), date(2025, 1, 7)))


