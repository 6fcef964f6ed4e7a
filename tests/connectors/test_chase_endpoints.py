"""The citation and look-up endpoints the monthly chase uses: pure parsing and the HTTP calls, replayed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from responses import matchers

from livereview.connectors.crossref.lookup import work_by_doi
from livereview.connectors.crossref.parse import item_to_record as crossref_record
from livereview.connectors.crossref.parse import reference_records
from livereview.connectors.crossref.search import make_client as crossref_client
from livereview.connectors.europepmc.citations import links
from livereview.connectors.europepmc.parse import parse_links
from livereview.connectors.europepmc.search import make_client as epmc_client
from livereview.connectors.openalex.citations import citing, lookup
from livereview.connectors.openalex.parse import cited_by_count, referenced_ids
from livereview.connectors.openalex.search import make_client as oa_client
from livereview.connectors.pubmed.lookup import fetch_pmids
from livereview.connectors.pubmed.search import make_client as pubmed_client
from livereview.errors import CursorError, SourceParseError
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures"
S = Settings(openalex_base_url="https://oa.test/", crossref_base_url="https://cr.test/",
             europepmc_base_url="https://ep.test/rest/", pubmed_base_url="https://eu.test/", openalex_api_key="k")
QUIET = {"sleep": lambda _: None}


def load(name: str) -> bytes:
    return (FIX / name).read_bytes()


def test_references_and_citations_become_thin_records_with_ids_and_preprints_marked():
    refs = parse_links(load("europepmc/references_handmade_MED_16173862.json"), kind="references")
    assert refs.hit_count == 3
    assert [(r.pmid, r.year) for r in refs.records] == [("12215005", 2002), ("7699047", 1999), (None, 1992)]
    assert refs.records[0].authors == ["Kazantzis, N.", "Lampropoulos, G. K."]
    cites = parse_links(load("europepmc/citations_handmade_MED_16173862.json"), kind="citations")
    assert [r.source_id for r in cites.records] == ["MED:26302251", "PPR:PPR123456"]
    assert cites.records[1].publication_types == ["preprint"]
    with pytest.raises(SourceParseError, match="not a citations answer"):
        parse_links(b'{"errMsg": "id not found"}', kind="citations")


@responses.activate
def test_links_pages_until_the_hit_count_is_reached():
    responses.get("https://ep.test/rest/MED/16173862/citations", body=load(
        "europepmc/citations_handmade_MED_16173862.json"), match=[matchers.query_param_matcher(
            {"format": "json", "page": "1", "pageSize": "1000"})])
    records, hits = links(epmc_client(S, **QUIET), "MED", "16173862", "citations")
    assert hits == 2 and len(records) == 2 and len(responses.calls) == 1


def test_crossref_deposited_references_with_a_doi_and_the_retraction_watch_update():
    item = json.loads(load("crossref/work_included_retracted_by_retraction_watch.json"))["message"]
    assert [r.doi for r in reference_records(item)] == ["10.55555/chase.ref.1", "10.55555/chase.crossref.only"]
    rec = crossref_record(item)
    assert rec.is_retracted
    assert [(r.kind, r.target, r.note) for r in rec.relations] == [("retraction-in", "10.1037/ccp0000990",
                                                                     "retraction")]
    real = json.loads(load("crossref/work_pone.0033693_2026_updated_by_correction.json"))["message"]
    assert len(reference_records(real)) == 70 - sum(1 for r in real["reference"] if "DOI" not in r)


@responses.activate
def test_work_by_doi_is_none_for_an_unknown_doi_and_the_item_otherwise():
    responses.get("https://cr.test/works/10.1/none", status=404, body=load("crossref/error_404_resource_not_found.txt"))
    responses.get("https://cr.test/works/10.1037/0022-006x.73.4.749",
                  body=load("crossref/work_included_retracted_by_retraction_watch.json"))
    client = crossref_client(S, per_second=1000, **QUIET)
    assert work_by_doi(client, "10.1/none") is None
    assert work_by_doi(client, "10.1037/0022-006x.73.4.749")["DOI"] == "10.1037/0022-006x.73.4.749"


@responses.activate
def test_openalex_lookup_batches_identifiers_and_citing_follows_the_cursor():
    responses.get("https://oa.test/works", body=load("openalex/chase_lookup_included.json"),
                  match=[matchers.query_param_matcher({"filter": "doi:10.1016/j.beth.2016.05.002|10.1/x",
                                                       "per_page": "50"}, strict_match=False)])
    client = oa_client(S, per_second=1000, **QUIET)
    (work,) = lookup(client, "doi", ["10.1016/j.beth.2016.05.002", "10.1/x", "10.1/x"])
    assert referenced_ids(work) == ["W1900000001", "W1900000002"] and cited_by_count(work) == 2
    page1 = json.loads(load("openalex/chase_citing.json"))
    page1["meta"]["next_cursor"] = "c2"
    responses.get("https://oa.test/works", json=page1,
                  match=[matchers.query_param_matcher({"filter": "cites:W2401234567", "cursor": "*"},
                                                      strict_match=False)])
    responses.get("https://oa.test/works", json={"meta": {"count": 2, "next_cursor": None}, "results": []},
                  match=[matchers.query_param_matcher({"cursor": "c2"}, strict_match=False)])
    assert len(citing(client, "W2401234567")) == 2
    responses.get("https://oa.test/works", json={**page1, "meta": {"count": 9, "next_cursor": "c2"}},
                  match=[matchers.query_param_matcher({"filter": "cites:W9"}, strict_match=False)])
    with pytest.raises(CursorError):
        citing(client, "W9")


@responses.activate
def test_pubmed_efetch_of_known_pmids_carries_the_erratum_relation():
    responses.post("https://eu.test/efetch.fcgi", body=load("pubmed/efetch_35649368_erratum_in.xml"))
    (rec,) = fetch_pmids(pubmed_client(S, **QUIET), S, ["35649368"])
    assert rec.pmid == "35649368"
    assert any(r.kind == "erratum-in" for r in rec.relations)
    assert "id=35649368" in responses.calls[0].request.body


@responses.activate
def test_crossref_many_dois_in_one_filter_and_unknown_ones_are_absent():
    from chase_replay import crossref_answer

    responses.add_callback(responses.GET, "https://cr.test/works", callback=crossref_answer)
    from livereview.connectors.crossref.lookup import works_by_dois

    got = works_by_dois(crossref_client(S, per_second=1000, **QUIET), ["10.1037/0022-006x.73.4.749", "10.1/none"])
    assert list(got) == ["10.1037/0022-006x.73.4.749"]
    assert "filter=doi%3A10.1037%2F0022-006x.73.4.749%2Cdoi%3A10.1%2Fnone" in responses.calls[0].request.url
