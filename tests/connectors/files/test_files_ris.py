"""RIS as EBSCO, Ovid, Scopus, Embase, Zotero and Mendeley write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from livereview.connectors.files import read_records, ris
from livereview.errors import InputFileError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"


def read(name: str):
    return read_records(FIXTURES / name, source="test")


def test_ebsco_ris_takes_doi_from_l3_and_drops_copyright_abstract():
    psyh, a9h, mdc = read("ebsco_psycinfo_academic_search.ris")
    assert psyh.source_id == "2019-23126-008"  # from "N1  - Accession Number: 2019-23126-008. ..."
    assert psyh.doi == "10.1002/jts.22387"
    assert (psyh.volume, psyh.issue, psyh.pages) == ("32", "2", "236-245")
    assert psyh.published_date == "2019-04"
    assert psyh.authors[1] == "Dorahy, Martin J."
    assert psyh.abstract.endswith("(PsycInfo Database Record (c) 2019 APA, all rights reserved)")
    assert psyh.url == "https://search.ebscohost.com/login.aspx?direct=true&db=psyh&AN=2019-23126-008&site=ehost-live"
    assert a9h.abstract.endswith("were linked to malignant development of PTSD.")
    assert "Copyright of" not in a9h.abstract and "[ABSTRACT FROM AUTHOR]" not in a9h.abstract
    assert a9h.authors == ["LIANG, YIMING", "CHENG, JIN", "ZHOU, YUEYUE", "LIU, ZHENGKUI"]
    assert a9h.issn == ["2000-8198"]  # "20008198"
    assert a9h.source_id == "135655981"
    assert a9h.published_date == "2019-03-19"
    assert a9h.publication_types == ["Journal Article", "Article"]
    assert mdc.pmid == "29324055"  # "PMID: 29324055." inside N1
    assert mdc.doi == "10.1080/00273171.2017.1412293"


def test_ovid_ris_ignores_record_numbers_and_text_between_records():
    records = read("ovid_psycinfo_numbered.ris")
    assert [r.source_id for r in records] == ["2019-23126-008", "2019-17854-001", "2018-12345-004"]
    first = records[0]
    assert first.doi == "10.1002/jts.22387"
    assert first.authors[0] == "Jones, Hannah" and len(first.authors) == 7  # A1 only, A2 cited authors ignored
    assert first.abstract.startswith("People respond differently")  # N2
    assert first.publication_types == ["Journal Article"]  # M3 is a classification code, not a type
    assert first.keywords == ["Earthquakes", "Natural Disasters", "Posttraumatic Stress Disorder",
                              "Resilience (Psychological)"]
    assert "Link to the Ovid Full Text" not in first.raw and "NL  -" not in first.raw
    assert first.raw.startswith("TY  - JOUR\nDB  - APA PsycInfo") and first.raw.endswith("ER  -")
    assert records[1].pages is None  # "SP  - No" / "EP  - Specified"


def test_ovid_medline_ris_with_angle_numbers_and_crlf_reads_an_as_pmid():
    first, second = read("ovid_medline_angle_numbered_crlf.ris")
    assert (first.pmid, first.pmcid, first.source_id) == ("30923609", "PMC6427627", "30923609")
    assert first.abstract == (
        "Background: Previous research has demonstrated heterogeneous patterns of posttraumatic stress disorder "
        "(PTSD) among children following disasters. Objective: The current study examined the trajectories of "
        "PTSD among children after exposure to the Wenchuan earthquake. Conclusion: Trauma exposure and previous "
        "traumatic experience were linked to malignant development of PTSD.")
    assert first.journal == "European journal of psychotraumatology"
    assert "\r" not in first.raw
    assert second.pmid == "29324055" and second.pages == "267-291"


def test_scopus_ris_with_bom_reads_eid_pubmed_id_and_article_number():
    review, conference = read("scopus_export.ris")
    assert review.title.startswith("Stress and the brain-gut axis")
    assert review.source_id == "2-s2.0-85074519612"
    assert review.pmid == "31707221"  # C2
    assert review.issn == ["0306-4530"]  # "03064530 (ISSN)"
    assert review.pages == "104501"  # C7
    assert review.publication_types == ["Journal Article", "Review"]
    assert review.authors == ["Labanski, A.", "Langhorst, J.", "Engler, H.", "Elsenbruch, S."]
    assert review.doi == "10.1016/j.psyneuen.2019.104501"  # not the DOI inside the N1 references
    assert conference.publication_types == ["Conference Paper"]
    assert conference.issn == []  # SN holds an ISBN
    assert conference.authors[2] == "Nominé, J.-P."


def test_embase_ris_reads_l_number_c5_pmid_and_initials_authors():
    first, second, third = read("embase_export.ris")
    assert first.source_id == "L373791783"
    assert first.authors == ["Liu, R.", "Adler, D. G."]
    assert first.issn == ["2226-7190"]
    assert first.journal == "Endoscopic Ultrasound"
    assert first.abstract.startswith("Gastrointestinal tract duplication cysts")
    assert second.pmid == "15368318"
    assert second.authors[0] == "Eloubeidi, M. A."
    assert second.issn == ["0008-543X"]
    assert third.publication_types == ["Journal Article", "Conference Abstract"]
    assert third.pages == "83"


def test_zotero_ris_handles_undefined_day_and_links():
    first, second, chapter = read("zotero_google_scholar.ris")
    assert first.published_date == "2012-07-03"
    assert first.pmid == "22752652"  # L2 PubMed link
    assert first.language == "eng"  # "LA  - en"
    assert first.journal == "Molecular imaging and biology"
    assert second.published_date == "2021-03"  # "DA  - 2021/03//undefined"
    assert second.pmcid == "PMC7999968"
    assert chapter.published_date == "2019-10"
    assert chapter.year == 2019  # not the Y2 access date
    assert chapter.publication_types == ["Book Chapter"]
    assert chapter.title == "Did dinosaurs invent flowers? Dinosaur\u2013angiosperm coevolution revisited"


def test_mendeley_style_er_directly_followed_by_ty_and_null_given_name():
    text = ("TY  - JOUR\nAU  - van den Hoven, null\nTI  - First\nPY  - 2014\nER  -\nTY  - JOUR\nTI  - Second\n"
            "AB  - Line one\n • point two\nER  -\n")
    first, second = ris.parse(text)
    assert first.authors == ["van den Hoven"]
    assert second.abstract == "Line one • point two"


def test_single_space_dialect_is_read_when_the_file_uses_it():
    records = ris.parse("TY - JOUR\nTI - One space\nPY - 2001\nER - \n")
    assert records[0].title == "One space" and records[0].year == 2001


def test_doi_found_in_ur_when_do_missing_but_not_in_references_note():
    text = ("TY  - JOUR\nTI  - T\nN1  - References: Smith (2001), 10.1000/other\nUR  - https://doi.org/10.1000/XYZ.1\n"
            "ER  - \nTY  - JOUR\nTI  - U\nN1  - References: Smith (2001), 10.1000/other\nER  - \n")
    first, second = ris.parse(text)
    assert first.doi == "10.1000/xyz.1"
    assert second.doi is None


def test_record_starting_before_the_previous_one_ended_is_refused():
    with pytest.raises(InputFileError, match=r"record 1 \(starting line 1\) has no ER line before the next TY"):
        ris.parse("TY  - JOUR\nTI  - A\nTY  - JOUR\nTI  - B\nER  - \n", path="broken.ris")


def test_er_without_ty_is_refused():
    with pytest.raises(InputFileError, match="ER line outside any record"):
        ris.parse("TI  - lost its TY\nER  - \n", path="broken.ris")


def test_retracted_title_prefix_marks_record_retracted():
    record = ris.parse("TY  - JOUR\nTI  - RETRACTED: A study\nER  - \n")[0]
    assert record.is_retracted


def test_open_records_hands_out_records_before_a_damaged_end_is_reached(tmp_path):
    from livereview.connectors.files import open_records

    path = tmp_path / "refs.ris"
    path.write_text("TY  - JOUR\nTI  - First study of homework\nER  - \n\nTY  - JOUR\nTI  - Cut off", encoding="utf-8")
    fmt, records = open_records(path, source="x")
    assert fmt == "ris"
    first = next(records)
    assert (first.title, first.source, first.raw_format) == ("First study of homework", "x", "ris")
    with pytest.raises(InputFileError, match="truncated"):
        next(records)
