"""PubMed nbib, BibTeX, EndNote XML and Web of Science (plain text and tab-delimited) readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from livereview.connectors.files import bibtex, endnote_xml, nbib, read_records, wos
from livereview.errors import InputFileError
from livereview.records.model import Relation

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"


def read(name: str):
    return read_records(FIXTURES / name, source="test")


# ---------------------------------------------------------------- nbib


def test_nbib_reads_wrapped_fields_doi_from_lid_and_pmc():
    first = read("pubmed_export.nbib")[0]
    assert first.pmid == first.source_id == "30923609"
    assert first.title == ("Trajectories of posttraumatic stress disorders among children after the Wenchuan "
                           "earthquake: a four-year longitudinal study.")
    assert first.doi == "10.1080/20008198.2019.1586266"
    assert first.pmcid == "PMC6427627"
    assert first.issn == ["2000-8198", "2000-8066"]
    assert first.pages == "1586266"
    assert first.journal == "European journal of psychotraumatology"
    assert first.keywords == ["PTSD", "Wenchuan earthquake", "children", "longitudinal study"]
    assert first.abstract.startswith("BACKGROUND: Previous research has demonstrated heterogeneous patterns of "
                                     "posttraumatic stress disorder (PTSD)")
    assert first.raw.startswith("PMID- 30923609\nOWN - NLM") and first.raw.rstrip().endswith("eCollection 2019.")


def test_nbib_comment_correction_tags_become_relations():
    retracted = read("pubmed_export.nbib")[1]
    assert retracted.is_retracted
    assert retracted.relations == [
        Relation(kind="retraction-in", id_type="pmid", target="26938111",
                 note="PLoS One. 2016 Mar 3;11(3):e0150753. doi: 10.1371/journal.pone.0150753. PMID: 26938111"),
        Relation(kind="erratum-in", id_type="pmid", target="25353457",
                 note="PLoS One. 2014;9(10):e111914. doi: 10.1371/journal.pone.0111914. PMID: 25353457"),
        Relation(kind="updated-by", id_type="pmid", target="29394252",
                 note="PLoS One. 2018 Feb 2;13(2):e0191981. PMID: 29394252"),
    ]
    assert retracted.title == ("Cognitive behavioural therapy for posttraumatic stress after disasters: "
                               "a randomised trial")
    assert retracted.authors == ["Müller, Jörg", "O'Brien, Siobhán", "Disaster Mental Health Trial Group"]
    assert retracted.language == "ger"
    assert retracted.published_date == "2014-08"


def test_nbib_medline_date_range_gives_year_and_month():
    comment = read("pubmed_export.nbib")[2]
    assert comment.year == 2014 and comment.published_date == "2014-01"
    assert comment.relations == []  # CON (comment on) has no relation kind
    assert comment.publication_types == ["Comment", "Letter"]


def test_nbib_text_without_pmid_line_is_refused():
    with pytest.raises(InputFileError, match="not a MEDLINE/nbib file"):
        nbib.parse("hello world\nfoo\n", path="x.nbib")


def test_nbib_field_before_any_pmid_is_refused():
    with pytest.raises(InputFileError, match="outside a record"):
        nbib.parse("TI  - a title\n\nPMID- 1\nTI  - b\nSO  - c\n", path="x.nbib")


def test_nbib_last_record_without_so_after_complete_records_is_truncated():
    text = ("PMID- 1\nTI  - A.\nDP  - 2001\nSO  - J. 2001.\n\n"
            "PMID- 2\nTI  - B.\nDP  - 2002\nAB  - cut off in the middle of\n")
    with pytest.raises(InputFileError, match=r"truncated: record 2 \(starting line 6\) ends before its SO line"):
        nbib.parse(text, path="x.nbib")


# ---------------------------------------------------------------- BibTeX


def test_bibtex_latex_accents_and_braces_become_unicode():
    gs, zotero, conf = read("google_scholar_zotero_latex.bib")
    assert gs.title == ("Trajectories of posttraumatic stress in Österreich after the 2002 floods: "
                        "a COVID-era re-analysis")
    assert gs.authors == ["Müller, Jörg", "García-López, María", "Østergaard, Søren", "François, Anaïs"]
    assert gs.pages == "236-245"
    assert gs.source_id == "muller2019trajectories"
    assert gs.publication_types == ["Journal Article"]
    assert zotero.abstract.endswith("resilient (74.9%), relapsing (17.7%) and recovery (7.5%).")
    assert zotero.doi == "10.1080/20008198.2019.1586266"
    assert zotero.published_date == "2019-03"
    assert zotero.keywords == ["children", "longitudinal study", "PTSD", "trajectories"]
    assert zotero.language == "eng"
    assert conf.journal == "2019 15th International Conference on eScience (eScience)"
    assert conf.authors[-1] == "PRACE-5IP Consortium"  # braced corporate author kept whole
    assert conf.doi == "10.1109/escience.2019.00062"
    assert conf.issn == []


def test_bibtex_repeated_key_keeps_both_entries():
    text = "@article{k1, title={One}, year=2001}\n@article{k1, title={Two {Parts}}, year=2002}\n"
    first, second = bibtex.parse(text)
    assert (first.title, second.title) == ("One", "Two Parts")
    assert second.source_id == "k1"


def test_bibtex_unclosed_entry_is_refused_with_its_line():
    text = "@article{a, title={Fine}, year=2001}\n\n@article{b, title={Cut off\n"
    with pytest.raises(InputFileError, match="unreadable BibTeX entry starting on line 3") as err:
        bibtex.parse(text, path="refs.bib")
    assert str(err.value).startswith("refs.bib:3:")


def test_bibtex_file_without_entries_is_refused():
    with pytest.raises(InputFileError, match="no BibTeX entries"):
        bibtex.parse("% only a comment\n", path="refs.bib")


# ---------------------------------------------------------------- EndNote XML


def test_endnote_xml_joins_style_runs_and_reads_pubmed_ids():
    first, second, section = read("endnote_library.xml")
    assert first.title == ("Trajectories of posttraumatic stress disorders among children after the Wenchuan "
                           "earthquake: a four-year longitudinal study")
    assert (first.pmid, first.pmcid, first.source_id) == ("30923609", "PMC6427627", "12")
    assert first.issn == ["2000-8198", "2000-8066"]
    assert first.published_date == "2019-03-19"
    assert first.doi == "10.1080/20008198.2019.1586266"
    assert first.abstract.startswith("BACKGROUND: Previous research") and "\r" not in first.abstract
    assert second.pmid is None  # accession-num is a WoS id, not from PubMed
    assert second.url == "https://doi.org/10.1016/j.jarmac.2018.03.001"  # "<Go to ISI>://" skipped
    assert second.authors == ["Alceste, F.", "Luke, T. J.", "Kassin, S. M."]
    assert section.publication_types == ["Book Section"]
    assert section.doi is None and section.pages == "75-84"
    assert section.raw.startswith("<record>") and "<rec-number>14</rec-number>" in section.raw


def test_endnote_xml_entity_expansion_is_refused():
    payload = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
               "<xml><records><record><titles><title>&b;</title></titles></record></records></xml>")
    with pytest.raises(InputFileError, match="refused: the XML declares entities"):
        endnote_xml.parse(payload, path="bomb.xml")


def test_xml_that_is_not_endnote_is_refused():
    with pytest.raises(InputFileError, match=r"not an EndNote XML export \(root <PubmedArticleSet>"):
        endnote_xml.parse("<PubmedArticleSet></PubmedArticleSet>", path="x.xml")


# ---------------------------------------------------------------- Web of Science


def test_wos_plain_text_handwritten_paragraph_abstract_group_author_and_article_number():
    review, article = read("wos_plaintext_handwritten.txt")
    assert review.title == ("Interventions to maximize facial cleanliness and achieve environmental improvement for "
                            "trachoma elimination: A review of the grey literature")
    assert review.abstract.startswith("Background Efforts are underway")
    assert review.pages == "e0006178"
    assert review.keywords[:3] == ["trachoma", "hygiene", "behaviour change"]
    assert "WATER" in review.keywords
    assert review.publication_types == ["Review"]
    assert article.authors == ["Fritzell, C", "Raude, J", "ZIKA Study Group"]
    assert article.publication_types == ["Article", "Early Access"]
    assert article.language == "fre"
    assert article.published_date == "2018-01-26"


def test_wos_tab_delimited_maps_tag_columns():
    first, second, third = read("wos_tab_delimited_win_utf8.txt")
    assert first.authors == ["Alceste, Fabiana", "Luke, Timothy J.", "Kassin, Saul M."]  # AF preferred over AU
    assert first.source_id == "WOS:000444108200009"
    assert first.issn == ["2211-3681", "2211-369X"]
    assert first.keywords == ["Police custody", "Interview", "Interrogation", "Perception of freedom",
                              "PERSPECTIVE-TAKING", "INNOCENCE", "MIRANDA"]
    assert first.published_date == "2018-09"
    assert first.raw_format == "csv"
    assert second.pmid == "29377890" and second.pages == "e0006219"
    assert third.is_retracted
    assert third.publication_types == ["Article", "Retracted Publication"]


def test_wos_file_without_ef_is_truncated():
    with pytest.raises(InputFileError, match="truncated: no EF line"):
        wos.parse("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A\nER\n", path="savedrecs.txt")


def test_wos_text_after_ef_is_refused():
    with pytest.raises(InputFileError, match="after the EF"):
        wos.parse("FN x\nVR 1.0\nPT J\nTI A\nER\nEF\nPT J\n", path="savedrecs.txt")
