"""PubMed: efetch XML parsing on real payloads, and windowed searches against replayed E-utilities."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from livereview.connectors.base import Window
from livereview.connectors.pubmed import PubMedConnector, build_query, parse
from livereview.connectors.pubmed.search import make_client, parse_esearch
from livereview.errors import SourceError, SourceHTTPError, SourceParseError, SourceQueryError
from livereview.records.model import Relation
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed"
BASE = "https://eutils.test/entrez/eutils/"
ESEARCH = BASE + "esearch.fcgi"
EFETCH = BASE + "efetch.fcgi"
WINDOW = Window(date(2025, 11, 1), date(2025, 11, 8))
KEY = "s3cret-ncbi-key"


def payload(name: str) -> bytes:
    return (FIX / name).read_bytes()


def one(name: str):
    records = parse(payload(name))
    assert len(records) == 1
    return records[0]


def by_pmid(name: str) -> dict:
    return {r.pmid: r for r in parse(payload(name))}


# -- parse: every real file ----------------------------------------------------------------------------------
REAL_EFETCH = {
    "efetch_1234567_1975_no_abstract.xml": ["1234567"],
    "efetch_20301577_book_chapter_genereviews.xml": ["20301577"],
    "efetch_23121403_collective_author_commentin.xml": ["23121403"],
    "efetch_29768149_2019dtd_structured.xml": ["29768149"],
    "efetch_2_articles_one_without_abstract_or_doi.xml": ["12091962", "9997"],
    "efetch_35649368_erratum_in.xml": ["35649368"],
    "efetch_35679569_comment_letter_no_abstract.xml": ["35679569"],
    "efetch_36987902_norwegian_vernacular_title.xml": ["36987902"],
    "efetch_37909814_empty_articleset.xml": [],
    "efetch_38048813_german_vernacular_no_abstract.xml": ["38048813"],
    "efetch_38833988_published_erratum.xml": ["38833988"],
    "efetch_collective_name_referencelist_unicode.xml": ["29963580"],
    "efetch_html_tags_in_title_2018.xml": ["27797938"],
    "efetch_structured_abstract_commentin_cites.xml": ["27797938"],
}


def test_every_real_efetch_file_is_covered_here():
    real = sorted(p.name for p in FIX.glob("efetch_*.xml") if "handwritten" not in p.name)
    assert real == sorted(REAL_EFETCH)


@pytest.mark.parametrize(("name", "pmids"), sorted(REAL_EFETCH.items()))
def test_every_real_efetch_file_parses_to_its_articles_with_titles(name, pmids):
    records = parse(payload(name))
    assert [r.pmid for r in records] == pmids
    for r in records:
        assert r.title and "<" not in r.title
        assert r.source == "pubmed" and r.source_id == r.pmid
        assert r.raw_format == "pubmed-xml" and r.raw.startswith("<Pubmed")
        assert r.url == f"https://pubmed.ncbi.nlm.nih.gov/{r.pmid}/"


def test_the_parser_does_not_depend_on_a_dtd_biopython_ships():
    # the hand-written set names pubmed_260101.dtd; Bio.Entrez would try to download it
    assert b"pubmed_260101.dtd" in payload("efetch_handwritten_medlinedate_retraction.xml")
    assert [r.pmid for r in parse(payload("efetch_handwritten_medlinedate_retraction.xml"))] == [
        "90000001", "90000002", "90000006"]


# -- parse: titles -------------------------------------------------------------------------------------------
def test_norwegian_record_keeps_its_english_title_and_not_the_vernacular_one():
    r = one("efetch_36987902_norwegian_vernacular_title.xml")
    assert r.title == ("Patients over 75 years admitted to the National Burn Centre, Haukeland University "
                       "Hospital, 2000-19.")
    assert r.language == "eng"
    assert r.authors[:3] == ["Bruserud, Øyvind", "Arnes, Kaja", "Kjørsvik, Camilla Rygg"]
    assert r.issn == ["0807-7096", "0029-2001"]
    assert r.published_date == "2023-03-28"
    assert r.pages is None and r.volume == "143" and r.issue == "5"


def test_german_bracketed_english_translation_is_unbracketed():
    r = one("efetch_38048813_german_vernacular_no_abstract.xml")
    assert r.title == "A Broader Scope - Bio-Psycho-Social Medicine In Global Focus"
    assert r.language == "ger"
    assert r.abstract is None
    assert r.pages == "487-488"
    assert r.doi == "10.1055/a-2189-0166"
    assert r.publication_types == ["Editorial"]
    assert r.published_date == "2023-12"


def test_vernacular_title_is_used_only_when_there_is_no_english_title():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000006"]
    assert r.title == "Un título sólo en español."
    assert r.year == 2024 and r.published_date == "2024-11-30"  # no PubDate: ArticleDate
    assert r.pages == "201-209"  # StartPage/EndPage preferred over MedlinePgn 201-9


def test_tert_markup_is_removed_without_fusing_words():
    fused = one("efetch_html_tags_in_title_2018.xml")  # "at the<i>TERT</i>gene" in the XML
    spaced = one("efetch_structured_abstract_commentin_cites.xml")  # "at the <i>TERT</i> gene"
    title = ("Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
             "pancreatic cancer.")
    assert fused.title == spaced.title == title
    assert "at the TERT region in relation" in fused.abstract
    assert "Three SNPs at TERT" in fused.abstract and "disequilibrium r2<0.25)" in fused.abstract
    assert "atTERT" not in fused.abstract and "TERTgene" not in fused.abstract
    assert "p trend=0.048" not in spaced.abstract and "ptrend=0.048" in spaced.abstract


def test_translated_title_with_inline_markup_is_clean():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000001"]
    assert r.title == "Effects of Lactobacillus on sleep in H2-breath-test positive adults"


# -- parse: abstracts, authors, dates, identifiers -----------------------------------------------------------
def test_structured_abstract_keeps_section_labels():
    r = one("efetch_23121403_collective_author_commentin.xml")
    assert r.abstract.startswith("BACKGROUND: Patients who have had a first episode of unprovoked venous "
                                 "thromboembolism have a high risk of recurrence")
    labels = re.findall(r"\b([A-Z]{4,}): ", r.abstract)
    assert labels == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert r.abstract.endswith("Clinical Trials Registry number, ACTRN12605000004662.).")


def test_unlabelled_section_gets_no_label_and_bold_is_dropped():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000001"]
    assert r.abstract == ("BACKGROUND: Sleep matters. An unlabelled middle part with p<0.05. "
                          "CONCLUSIONS: It may help.")


def test_non_ascii_spaces_are_collapsed_in_the_abstract():
    r = one("efetch_36987902_norwegian_vernacular_title.xml")
    assert "MATERIAL AND METHOD: All patients ≥ 75 years admitted" in r.abstract
    assert "\xa0" not in r.abstract


def test_collective_names_are_authors():
    aspirin = one("efetch_23121403_collective_author_commentin.xml")
    assert aspirin.authors[0] == "Brighton, Timothy A"
    assert aspirin.authors[-1] == "ASPIRE Investigators"
    assert len(aspirin.authors) == 13  # the InvestigatorList is not the author list
    lung = one("efetch_collective_name_referencelist_unicode.xml")
    assert lung.authors[-1] == "Canadian Respiratory Research Network"


def test_authors_from_initials_invalid_names_skipped_and_collective_markup_removed():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000001"]
    assert r.authors == ["García-López, M. J.", "Smith, Anna", "Hand-Written Study Group"]


def test_medline_date_gives_the_year():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000001"]
    assert r.year == 2014 and r.published_date == "2014"
    assert r.volume == "12" and r.issue == "1-2" and r.pages == "e123"


def test_season_date_gives_the_year_only():
    old = by_pmid("efetch_2_articles_one_without_abstract_or_doi.xml")["12091962"]
    assert old.year == 1990 and old.published_date == "1990"
    assert old.doi is None and old.abstract is None
    assert old.pages == "113-125"  # StartPage/EndPage, not MedlinePgn "113-25"


def test_journal_fields_of_a_trial():
    r = one("efetch_23121403_collective_author_commentin.xml")
    assert (r.journal, r.volume, r.issue) == ("The New England journal of medicine", "367", "21")
    assert r.pages == "1979-1987"
    assert r.issn == ["1533-4406", "0028-4793"]
    assert (r.year, r.published_date) == (2012, "2012-11-22")
    assert r.doi == "10.1056/nejmoa1210384"
    assert r.publication_types == ["Journal Article", "Multicenter Study", "Randomized Controlled Trial",
                                   "Research Support, Non-U.S. Gov't"]
    assert "Aspirin" in r.keywords and "Venous Thromboembolism" in r.keywords
    assert r.relations == []  # CommentIn is not a relation the review acts on
    assert r.is_retracted is False


def test_doi_comes_from_article_id_list_when_there_is_no_elocation():
    r = one("efetch_1234567_1975_no_abstract.xml")
    assert r.doi == "10.1159/000398269"
    assert r.authors == ["Rauramo, L", "Lagerspetz, K", "Engblom, P", "Punnonen, R"]
    assert (r.year, r.published_date, r.pages, r.volume) == (1975, "1975", "94-104", "3")
    other = by_pmid("efetch_2_articles_one_without_abstract_or_doi.xml")["9997"]
    assert other.doi == "10.1016/0005-2795(76)90109-4"


def test_ids_of_the_reference_list_are_never_the_records_own():
    letter = one("efetch_35679569_comment_letter_no_abstract.xml")
    assert letter.pmcid == "PMC9184892" and letter.doi == "10.2105/ajph.2022.306873"
    assert letter.pages == "S224-S225" and letter.issue == "S3"
    notice = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000002"]
    assert notice.pmcid is None
    assert notice.doi == "10.5555/hand.2016.retract"  # the ValidYN="N" DOI is skipped too


def test_keywords_are_mesh_then_author_keywords():
    r = one("efetch_35649368_erratum_in.xml")
    assert r.keywords[:2] == ["Acetyl Coenzyme A", "Apoptosis"]
    assert r.keywords[-2:] == ["fatty acid oxidation", "mitochondrial membrane potential"]
    assert "Phospholipids" in r.keywords and "phospholipids" not in r.keywords  # case-insensitive dedup
    hand = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000001"]
    assert hand.keywords == ["Sleep", "probiotics"]  # "Sleep" keyword folded into the MeSH term


# -- parse: corrections and retractions ----------------------------------------------------------------------
def test_erratum_in_points_at_the_erratum_by_pmid_and_doi():
    r = one("efetch_35649368_erratum_in.xml")
    note = "Cell Rep. 2022 Jun 28;39(13):111044. doi: 10.1016/j.celrep.2022.111044."
    assert r.relations == [Relation("erratum-in", "pmid", "35767954", note),
                           Relation("erratum-in", "doi", "10.1016/j.celrep.2022.111044", note)]
    assert r.is_retracted is False


def test_published_erratum_points_at_the_corrected_article():
    r = one("efetch_38833988_published_erratum.xml")
    assert r.publication_types == ["Published Erratum"]
    assert [(x.kind, x.id_type, x.target) for x in r.relations] == [
        ("erratum-for", "pmid", "33279609"), ("erratum-for", "doi", "10.1016/j.bbamcr.2020.118918")]


def test_retracted_publication_is_flagged_with_its_relations():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000001"]
    assert r.is_retracted is True
    assert [(x.kind, x.id_type, x.target) for x in r.relations] == [
        ("retraction-in", "pmid", "90000002"), ("retraction-in", "doi", "10.5555/hand.2016.retract"),
        ("expression-of-concern-in", "pmid", "90000003"), ("update-of", "pmid", "90000004")]
    assert (r.pmcid, r.doi, r.language) == ("PMC9000001", "10.5555/hand.2014.001", "spa")


def test_retraction_notice_is_not_itself_retracted():
    r = by_pmid("efetch_handwritten_medlinedate_retraction.xml")["90000002"]
    assert r.is_retracted is False
    assert r.publication_types == ["Retraction of Publication"]
    assert [(x.kind, x.id_type, x.target) for x in r.relations] == [
        ("retraction-of", "pmid", "90000001"), ("retraction-of", "doi", "10.5555/hand.2014.001"),
        ("expression-of-concern-for", "pmid", "90000001")]
    assert (r.year, r.published_date) == (2016, "2016")  # Season "Spring"


# -- parse: books and raw ------------------------------------------------------------------------------------
def test_book_chapter_has_book_title_chapter_authors_and_book_year():
    r = one("efetch_20301577_book_chapter_genereviews.xml")
    assert r.title == "CACNA1C-Related Disorders"
    assert r.journal == "GeneReviews®"
    assert r.authors == ["Napolitano, Carlo", "Priori, Silvia G"]  # not the six editors
    assert (r.year, r.published_date) == (1993, "1993")
    assert r.abstract.startswith("CLINICAL CHARACTERISTICS: The clinical manifestations of CACNA1C-related "
                                 "disorders include")
    assert " DIAGNOSIS/TESTING: The diagnosis of a CACNA1C-related disorder" in r.abstract
    assert "Copyright" not in r.abstract
    assert r.publication_types == ["Review"] and r.language == "eng"
    assert r.doi is None and r.pmcid is None
    assert "CACNA1C" in r.keywords and r.keywords.count("Timothy Syndrome") == 1


def test_raw_is_the_articles_own_xml_and_parses_back_to_the_same_record():
    records = parse(payload("efetch_2_articles_one_without_abstract_or_doi.xml"))
    assert records[0].raw.startswith("<PubmedArticle><MedlineCitation") and "9997" not in records[0].raw
    again = parse(f"<PubmedArticleSet>{records[1].raw}</PubmedArticleSet>".encode())
    assert again[0].to_json_dict() == records[1].to_json_dict()
    lung = one("efetch_collective_name_referencelist_unicode.xml")
    assert "<mml:math" in lung.raw and "ns0:" not in lung.raw


# -- parse: refusals -----------------------------------------------------------------------------------------
ENTITY_PAYLOADS = ["efetch_handwritten_billion_laughs.xml", "efetch_handwritten_xxe_passwd.xml"]


@pytest.mark.parametrize("name", ENTITY_PAYLOADS)
def test_entity_declarations_are_refused_before_any_expansion(name):
    with pytest.raises(SourceParseError, match="refused XML with entity declarations"):
        parse(payload(name))


def test_html_page_instead_of_xml_is_a_parse_error():
    with pytest.raises(SourceParseError, match="HTML page instead of XML"):
        parse(payload("ncbi_handwritten_error_page.html"))


def test_truncated_xml_is_a_parse_error():
    with pytest.raises(SourceParseError, match="not well-formed XML"):
        parse(payload("efetch_23121403_collective_author_commentin.xml")[:5000])


def test_efetch_error_answer_names_the_error():
    with pytest.raises(SourceParseError, match=r"efetch answered with an error: Unable to obtain query #1"):
        parse(payload("efetch_handwritten_history_error.xml"))


def test_an_esearch_answer_is_not_an_article_set():
    with pytest.raises(SourceParseError, match="expected a PubmedArticleSet, got <eSearchResult>"):
        parse(payload("esearch_translationstack_mesh.xml"))


def test_error_messages_are_one_line_naming_the_source():
    with pytest.raises(SourceParseError) as info:
        parse(payload("efetch_handwritten_xxe_passwd.xml"), source="pubmed-import")
    assert str(info.value).startswith("pubmed-import: efetch: refused")
    assert "\n" not in str(info.value)


# -- esearch answers -----------------------------------------------------------------------------------------
def test_real_esearch_answers_give_count_and_history_keys():
    found = parse_esearch(payload("esearch_usehistory_webenv_mcid_2025.xml"))
    assert (found.count, found.query_key, found.webenv) == (42249, "1", "MCID_6927d6e7fee3e90f880ec190")
    assert parse_esearch(payload("esearch_author_usehistory_post.xml")).count == 34
    assert parse_esearch(payload("esearch_retstart_journal_translation.xml")).webenv is None
    assert parse_esearch(payload("esearch_translationstack_mesh.xml")).count == 5


def test_phrase_not_found_is_a_warning_not_an_error():
    found = parse_esearch(payload("esearch_zero_results_phrase_not_found.xml"))
    assert found.count == 0 and found.warnings == ["esearch PhraseNotFound: abcXYZ"]


def test_esearch_error_element_is_a_query_error():
    with pytest.raises(SourceQueryError, match="esearch rejected the query: Invalid query: unbalanced"):
        parse_esearch(payload("esearch_handwritten_error.xml"))


def test_unknown_field_tag_is_a_query_error():
    with pytest.raises(SourceQueryError, match="FieldNotFound 'tiabx'"):
        parse_esearch(payload("esearch_handwritten_field_not_found.xml"))


# -- search against replayed E-utilities ---------------------------------------------------------------------
def settings(**kw) -> Settings:
    return Settings(pubmed_base_url=BASE, **kw)


def connector(cfg: Settings, **kw) -> PubMedConnector:
    """A connector whose client does not really sleep (rate limit and backoff waits are skipped)."""
    return PubMedConnector(cfg, client=make_client(cfg, sleep=lambda _s: None), **kw)


def esearch_xml(count: int, *, webenv: str = "MCID_test", query_key: str = "1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{count}</Count>'
            f"<RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv><IdList/>"
            f"<TranslationSet/><QueryTranslation>test</QueryTranslation></eSearchResult>").encode()


def article_set(raws: list[str]) -> bytes:
    body = "\n".join(raws)
    return (f'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
            f'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
            f"<PubmedArticleSet>\n{body}\n</PubmedArticleSet>").encode()


def real_raws() -> list[str]:
    names = ["efetch_36987902_norwegian_vernacular_title.xml",
             "efetch_38048813_german_vernacular_no_abstract.xml", "efetch_35649368_erratum_in.xml",
             "efetch_23121403_collective_author_commentin.xml",
             "efetch_20301577_book_chapter_genereviews.xml"]
    return [one(n).raw for n in names]


def efetch_params(retstart: int, retmax: int, **extra) -> dict:
    return {"db": "pubmed", "query_key": "1", "WebEnv": "MCID_test", "retstart": str(retstart),
            "retmax": str(retmax), "rettype": "abstract", "retmode": "xml", "tool": "livereview", **extra}


def esearch_params(term: str, **extra) -> dict:
    return {"db": "pubmed", "term": term, "usehistory": "y", "retmax": "0", "tool": "livereview", **extra}


def test_build_term_puts_the_window_on_the_create_date():
    assert build_query("coaching[tiab] OR mentoring[tiab]", WINDOW) == (
        '(coaching[tiab] OR mentoring[tiab]) AND ("2025/11/01"[crdt] : "2025/11/08"[crdt])')


@responses.activate(assert_all_requests_are_fired=True)
def test_search_sends_crdt_term_and_identification_and_redacts_secrets():
    cfg = settings(contact_email="team@example.org", ncbi_api_key=KEY)
    term = build_query("coaching", WINDOW)
    ident = {"email": "team@example.org", "api_key": KEY}
    raws = real_raws()[:2]
    responses.get(ESEARCH, body=esearch_xml(2),
                  match=[matchers.query_param_matcher(esearch_params(term, **ident))])
    responses.get(EFETCH, body=article_set(raws),
                  match=[matchers.query_param_matcher(efetch_params(0, 2, **ident))])
    result = PubMedConnector(cfg).search("coaching", WINDOW)
    assert [r.pmid for r in result.records] == ["36987902", "38048813"]
    assert result.queries == [term] and result.total_reported == 2 and result.warnings == []
    assert result.stats.requests == 2 and len(result.stats.urls) == 2
    assert all("email=***" in u and "api_key=***" in u for u in result.stats.urls)
    assert not any(KEY in u or "team%40example.org" in u for u in result.stats.urls)
    assert "[crdt]" in result.stats.urls[0] and "tool=livereview" in result.stats.urls[0]


def test_api_key_raises_the_rate_to_ten_per_second():
    assert make_client(settings()).limiter.interval == pytest.approx(1 / 3)
    assert make_client(settings(ncbi_api_key=KEY)).limiter.interval == pytest.approx(1 / 10)


@responses.activate(assert_all_requests_are_fired=True)
def test_search_pages_through_efetch_batches_from_the_history_server():
    raws = real_raws()
    term = build_query("coaching", WINDOW)
    responses.get(ESEARCH, body=esearch_xml(5), match=[matchers.query_param_matcher(esearch_params(term))])
    for start in (0, 2, 4):
        batch = raws[start:start + 2]
        responses.get(EFETCH, body=article_set(batch),
                      match=[matchers.query_param_matcher(efetch_params(start, len(batch)))])
    result = connector(settings(), batch_size=2).search("coaching", WINDOW)
    assert [r.pmid for r in result.records] == ["36987902", "38048813", "35649368", "23121403", "20301577"]
    assert result.stats.requests == 4 <= 2 + math.ceil(5 / 2)
    assert result.total_reported == 5


@responses.activate(assert_all_requests_are_fired=True)
def test_zero_results_cost_one_request_and_warn_about_the_missing_phrase():
    responses.get(ESEARCH, body=payload("esearch_zero_results_phrase_not_found.xml"))
    result = connector(settings()).search("abcXYZ", WINDOW)
    assert result.records == [] and result.total_reported == 0
    assert result.warnings == ["esearch PhraseNotFound: abcXYZ"]
    assert result.stats.requests == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_esearch_error_stops_the_search_as_a_query_error():
    responses.get(ESEARCH, body=payload("esearch_handwritten_error.xml"))
    with pytest.raises(SourceQueryError, match="pubmed: esearch rejected the query"):
        connector(settings()).search("coaching)", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_short_efetch_batch_fails_the_window_instead_of_leaking_a_partial_batch():
    responses.get(ESEARCH, body=esearch_xml(3))
    responses.get(EFETCH, body=article_set(real_raws()[:2]),
                  match=[matchers.query_param_matcher(efetch_params(0, 2))])
    responses.get(EFETCH, body=payload("efetch_37909814_empty_articleset.xml"),
                  match=[matchers.query_param_matcher(efetch_params(2, 1))])
    with pytest.raises(SourceError, match=r"efetch returned 0 of the 1 records asked for \(retstart 2"):
        connector(settings(), batch_size=2).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_expired_history_session_is_a_parse_error():
    responses.get(ESEARCH, body=esearch_xml(1))
    responses.get(EFETCH, body=payload("efetch_handwritten_history_error.xml"))
    with pytest.raises(SourceParseError, match="Unable to obtain query #1"):
        connector(settings()).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_html_instead_of_xml_from_esearch_is_a_parse_error():
    responses.get(ESEARCH, body=payload("ncbi_handwritten_error_page.html"), content_type="text/html")
    with pytest.raises(SourceParseError, match="esearch: got an HTML page instead of XML"):
        connector(settings()).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_truncated_efetch_is_a_parse_error():
    responses.get(ESEARCH, body=esearch_xml(2))
    responses.get(EFETCH, body=article_set(real_raws()[:2])[:-40])
    with pytest.raises(SourceParseError, match="efetch: not well-formed XML"):
        connector(settings()).search("coaching", WINDOW)


@pytest.mark.parametrize("name", ENTITY_PAYLOADS)
@responses.activate(assert_all_requests_are_fired=True)
def test_entity_payloads_from_efetch_are_refused(name):
    responses.get(ESEARCH, body=esearch_xml(1))
    responses.get(EFETCH, body=payload(name))
    with pytest.raises(SourceParseError, match="refused XML with entity declarations"):
        connector(settings()).search("coaching", WINDOW)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_long_query_is_posted():
    query = " OR ".join(f"term{i}[tiab]" for i in range(200))
    body = matchers.urlencoded_params_matcher(esearch_params(build_query(query, WINDOW)))
    responses.post(ESEARCH, body=esearch_xml(0), match=[body])
    result = connector(settings()).search(query, WINDOW)
    assert result.records == [] and responses.calls[0].request.method == "POST"


# -- retries -------------------------------------------------------------------------------------------------
def recording_connector(cfg: Settings, waits: list[float], **kw) -> PubMedConnector:
    return PubMedConnector(cfg, client=make_client(cfg, sleep=waits.append), **kw)


@responses.activate(assert_all_requests_are_fired=True)
def test_429_waits_as_long_as_retry_after_says_then_succeeds():
    waits: list[float] = []
    responses.get(ESEARCH, status=429, headers={"Retry-After": "7"}, body="Too Many Requests")
    responses.get(ESEARCH, body=esearch_xml(1))
    responses.get(EFETCH, body=article_set(real_raws()[:1]))
    result = recording_connector(settings(), waits).search("coaching", WINDOW)
    assert [r.pmid for r in result.records] == ["36987902"]
    assert waits[0] == 7.0
    assert (result.stats.requests, result.stats.attempts, result.stats.retries) == (2, 3, 1)


@responses.activate(assert_all_requests_are_fired=True)
def test_500_twice_then_success():
    waits: list[float] = []
    responses.get(ESEARCH, body=esearch_xml(1))
    responses.get(EFETCH, status=500, body="Internal Server Error")
    responses.get(EFETCH, status=500, body="Internal Server Error")
    responses.get(EFETCH, body=article_set(real_raws()[:1]))
    result = recording_connector(settings(), waits).search("coaching", WINDOW)
    assert [r.pmid for r in result.records] == ["36987902"]
    assert (result.stats.attempts, result.stats.retries) == (4, 2)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_timeout_is_retried_then_succeeds():
    waits: list[float] = []
    responses.get(ESEARCH, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.get(ESEARCH, body=esearch_xml(0))
    result = recording_connector(settings(), waits).search("coaching", WINDOW)
    assert result.records == [] and result.stats.attempts == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_only_timeouts_end_in_an_http_error():
    waits: list[float] = []
    for _ in range(3):
        responses.get(ESEARCH, body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(SourceHTTPError, match="gave up after 3 attempts: timed out") as info:
        recording_connector(settings(http_retries=2, ncbi_api_key=KEY), waits).search("coaching", WINDOW)
    assert KEY not in str(info.value) and "api_key=***" in info.value.url  # the message shortens the URL


# -- the 10,000 cap ------------------------------------------------------------------------------------------
class FakeEutils:
    """Answers esearch/efetch from records keyed by create date, like the history server does."""

    def __init__(self, raws_by_day: dict[date, list[str]]) -> None:
        self.by_day = raws_by_day
        self.terms: list[str] = []

    def _range(self, term: str) -> list[str]:
        start, end = (date(*map(int, d.split("/"))) for d in re.findall(r'"(\d{4}/\d\d/\d\d)"\[crdt\]', term))
        return [raw for day, raws in sorted(self.by_day.items()) if start <= day <= end for raw in raws]

    def esearch(self, request):
        term = parse_qs(urlsplit(request.url).query)["term"][0]
        self.terms.append(term)
        return 200, {}, esearch_xml(len(self._range(term)), webenv=term)

    def efetch(self, request):
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        start, size = int(q["retstart"]), int(q["retmax"])
        return 200, {}, article_set(self._range(q["WebEnv"])[start:start + size])


def pubmed_day_set(counts: dict[date, int]) -> dict[date, list[str]]:
    template = real_raws()[0]
    out: dict[date, list[str]] = {}
    pmid = 50000000
    for day, n in counts.items():
        out[day] = []
        for _ in range(n):
            pmid += 1
            out[day].append(template.replace(">36987902<", f">{pmid}<"))
    return out


@responses.activate
def test_a_window_over_the_cap_is_split_by_date_until_every_slice_fits():
    start = date(2025, 1, 1)
    per_day = [1, 0, 2, 3, 2, 1, 4, 2]  # 15 records, cap 5
    fake = FakeEutils(pubmed_day_set({start + timedelta(days=i): n for i, n in enumerate(per_day)}))
    responses.add_callback(responses.GET, ESEARCH, callback=fake.esearch)
    responses.add_callback(responses.GET, EFETCH, callback=fake.efetch)
    window = Window(start, start + timedelta(days=7))
    result = connector(settings(), batch_size=3, result_cap=5).search("coaching", window)
    assert len(result.records) == 15 and len({r.pmid for r in result.records}) == 15
    assert result.total_reported == 15
    ranges = [tuple(d[-5:] for d in re.findall(r'"(\d{4}/\d\d/\d\d)"', t)) for t in fake.terms]
    # 15 > 5: four slices (ceil(15/5) + 1); the last still holds 6, so it is cut again
    assert ranges == [("01/01", "01/08"), ("01/01", "01/02"), ("01/03", "01/04"), ("01/05", "01/06"),
                      ("01/07", "01/08"), ("01/07", "01/07"), ("01/08", "01/08")]
    assert result.queries == fake.terms
    # esearch per examined window + efetch batches of 3 per fitting slice: ceil(1/3)+ceil(5/3)+ceil(3/3)+...
    assert result.stats.requests == 7 + (1 + 2 + 1 + 2 + 1)


@responses.activate
def test_a_single_day_over_the_cap_is_an_error_naming_the_day():
    day = date(2025, 1, 1)
    fake = FakeEutils(pubmed_day_set({day: 7}))
    responses.add_callback(responses.GET, ESEARCH, callback=fake.esearch)
    with pytest.raises(SourceError, match="7 records were created on 2025-01-01 for this query, over the "
                                          "esearch cap of 5; narrow the query"):
        connector(settings(), result_cap=5).search("coaching", Window(day, day))
