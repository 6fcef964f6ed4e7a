"""Unpaywall: reading recorded /v2/{doi} answers, the e-mail on every call (never in a log), 404 and 422; and the
open-access links the Europe PMC and OpenAlex payloads already carry, and the one rule that picks the best."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import responses
from responses import matchers

from livereview.connectors.europepmc.parse import full_text_links
from livereview.connectors.openalex.parse import oa_location
from livereview.connectors.unpaywall import best_location, lookup, make_client, parse
from livereview.errors import MissingCredentialsError, SourceParseError, SourceQueryError
from livereview.records.fulltext import OpenAccessLink, best_link
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "https://api.unpaywall.test/v2/"
EMAIL = "team@example.org"


def load(name: str) -> bytes:
    return (FIX / "unpaywall" / name).read_bytes()


def client(**kw):
    s = Settings(**{"unpaywall_base_url": BASE, "contact_email": EMAIL, "http_retries": 1, **kw})
    return make_client(s, sleep=lambda _: None, per_second=1000)


def test_a_gold_answer_gives_the_publishers_pdf_first_with_licence_and_version():
    links = parse(load("doi_10.7717_peerj.4375.json"))
    assert links[0] == OpenAccessLink(url="https://doi.org/10.7717/peerj.4375", source="unpaywall",
                                      pdf_url="https://peerj.com/articles/4375.pdf", license="cc-by",
                                      version="published", host_type="publisher", oa_status="gold")
    assert [(link.host_type, link.version) for link in links] == [("publisher", "published"),
                                                                  ("repository", "published")]


def test_a_green_answer_keeps_the_accepted_manuscript_and_the_preprint_apart():
    links = parse(load("doi_green_accepted.json"))
    assert [(link.version, link.license, link.pdf_url is not None) for link in links] == [
        ("accepted", "cc-by-nc-nd", True), ("submitted", None, False)]
    assert best_link(links).version == "accepted"


def test_a_closed_work_has_no_link():
    assert parse(load("doi_closed.json")) == []
    assert best_location(json.loads(load("doi_closed.json"))) is None


@responses.activate
def test_lookup_sends_the_contact_email_and_keeps_it_out_of_logs(caplog):
    responses.get(BASE + "10.7717/peerj.4375", body=load("doi_10.7717_peerj.4375.json"),
                  match=[matchers.query_param_matcher({"email": EMAIL})])
    caplog.set_level(logging.DEBUG)
    c = client()
    links = lookup(c, "10.7717/peerj.4375")
    assert links is not None and links[0].pdf_url == "https://peerj.com/articles/4375.pdf"
    assert EMAIL not in caplog.text and all(EMAIL not in u for u in c.stats.urls)


@responses.activate
def test_an_unknown_doi_is_none_not_an_error():
    responses.get(BASE + "10.1234/unknown.doi.0000", body=load("error_404_unknown_doi.json"), status=404)
    assert lookup(client(), "10.1234/unknown.doi.0000") is None


@responses.activate
def test_a_malformed_doi_is_a_refused_query_with_unpaywalls_words():
    responses.get(BASE + "not-a-doi", body=load("error_422_malformed_doi.json"), status=422)
    with pytest.raises(SourceQueryError) as err:
        lookup(client(), "not-a-doi")
    assert err.value.status == 422 and "isn't in the right format" in str(err.value)
    assert EMAIL not in str(err.value) and "\n" not in str(err.value)


@responses.activate
def test_an_html_page_instead_of_json_is_a_parse_error():
    responses.get(BASE + "10.1/x", body="<!DOCTYPE html><html><title>Bad gateway</title></html>", status=200,
                  content_type="text/html")
    with pytest.raises(SourceParseError, match="HTML page"):
        lookup(client(), "10.1/x")


def test_an_error_body_saved_as_a_file_is_refused_by_parse():
    with pytest.raises(SourceQueryError, match="Email address required"):
        parse(load("error_422_no_email.json"))


def test_no_contact_email_no_client():
    with pytest.raises(MissingCredentialsError, match="LIVEREVIEW_CONTACT_EMAIL"):
        make_client(Settings(unpaywall_base_url=BASE, contact_email=None))


def test_europepmc_core_results_give_only_their_open_entries():
    data = json.loads((FIX / "europepmc" / "search_cancer_core.json").read_bytes())
    items = data["resultList"]["result"]
    found = {link.url for item in items for link in full_text_links(item)}
    every = [e for item in items for e in (item.get("fullTextUrlList") or {}).get("fullTextUrl", [])]
    open_urls = {e["url"] for e in every if e.get("availabilityCode") in ("OA", "F")}
    assert len(open_urls) > 10 and found == open_urls
    assert not {e["url"] for e in every if e.get("availabilityCode") == "S"} & found


def test_openalex_best_oa_location_is_read_with_its_licence_and_version():
    work = json.loads((FIX / "openalex" / "work_W2741809807_full_2025.json").read_bytes())
    assert oa_location(work) == OpenAccessLink(url="https://doi.org/10.7717/peerj.4375", source="openalex",
                                               pdf_url="https://peerj.com/articles/4375.pdf", license="cc-by",
                                               version="published", host_type="publisher", oa_status="gold")
    assert oa_location({**work, "best_oa_location": None}) is None


def test_the_best_link_prefers_version_then_licence_then_pdf_then_publisher_then_source():
    def link(**kw):
        return OpenAccessLink(**{"url": "https://x.test/a", "source": "openalex", **kw})

    accepted = link(version="accepted", license="cc-by", pdf_url="https://x.test/a.pdf", source="unpaywall")
    published = link(version="published")
    assert best_link([accepted, published]) is published
    licensed = link(version="published", license="cc-by")
    assert best_link([published, licensed]) is licensed
    with_pdf = link(version="published", license="cc-by", pdf_url="https://x.test/p.pdf")
    assert best_link([licensed, with_pdf]) is with_pdf
    at_publisher = link(version="published", license="cc-by", pdf_url="https://x.test/p.pdf", host_type="publisher")
    assert best_link([with_pdf, at_publisher]) is at_publisher
    from_unpaywall = link(version="published", license="cc-by", pdf_url="https://x.test/p.pdf",
                          host_type="publisher", source="unpaywall")
    assert best_link([at_publisher, from_unpaywall]) is from_unpaywall
    assert best_link([]) is None and best_link([None]) is None


def test_links_that_are_not_http_are_never_candidates():
    answer = json.loads(load("doi_10.7717_peerj.4375.json"))
    answer["best_oa_location"] = {**answer["best_oa_location"], "url": "javascript:alert(1)",
                                  "url_for_pdf": "javascript:alert(1)", "url_for_landing_page": None}
    answer["oa_locations"] = [answer["best_oa_location"]]
    assert parse(json.dumps(answer).encode()) == []
