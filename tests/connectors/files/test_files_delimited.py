"""CSV / tab-delimited exports: Scopus, Rayyan, Zotero, Covidence and generic tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from livereview.connectors.files import delimited, read_records
from livereview.errors import InputFileError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"


def read(name: str):
    return read_records(FIXTURES / name, source="test")


def test_scopus_csv_prefers_full_author_names_and_reads_ids():
    review, article, conference = read("scopus_export.csv")
    assert review.authors == ["Labanski, Alexandra", "Langhorst, Jost", "Engler, Harald", "Elsenbruch, Sigrid"]
    assert review.source_id == "2-s2.0-85074519612"
    assert (review.pmid, review.issn, review.language) == ("31707221", ["0306-4530"], "eng")
    assert review.pages == "104501"  # Art. No. when there are no pages
    assert review.publication_types == ["Review"]
    assert review.keywords[:2] == ["Brain-gut axis", "Chronic-inflammatory bowel diseases"]
    assert article.pages == "307-356"  # Page start + Page end
    assert article.authors[2] == "Černý, David"
    assert conference.pages == "471-478"
    assert conference.journal == "Proceedings - IEEE 15th International Conference on eScience, eScience 2019"
    assert review.raw.startswith('"Authors","Author full names"') and "2-s2.0-85074519612" in review.raw


def test_scopus_short_author_column_alone_is_split_on_semicolons():
    text = 'Authors,Title,Year\n"Wilson L.N.; Dos Santos H.B.; Nominé J.-P.",A title,2024\n'
    assert delimited.parse(text)[0].authors == ["Wilson, L. N.", "Dos Santos, H. B.", "Nominé, J.-P."]


def test_rayyan_csv_cleans_embase_leftovers_and_reads_key():
    first, second, third = read("rayyan_articles.csv")
    assert first.source_id == "rayyan-42924189"
    assert first.authors == ["Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E."]
    assert first.doi == "10.1038/s41467-024-48400-3"
    assert first.url == "https://www.embase.com/search/results?subaction=viewrecord&id=L2029880245&from=export"
    assert first.keywords == ["keratin", "melanin", "animal scales", "dinosaur", "feather", "fossil"]
    assert first.journal == "Nat. Commun."
    assert second.pmid == "38411207"
    assert third.issn == ["1932-8494", "1932-8486"]
    assert third.pmcid == "PMC10952543"
    assert third.published_date == "2024-03"


def test_zotero_csv_maps_item_type_and_collapses_repeated_page():
    first, second, conference = read("zotero_library.csv")
    assert first.source_id == "KDG9RGZA"
    assert first.publication_types == ["Journal Article"]
    assert first.issn == ["1860-2002"]
    assert first.published_date == "2012-07-03"
    assert first.authors[0] == "Blomberg, Björn A."
    assert second.pages == "636959"  # "636959-636959"
    assert second.keywords == ["systematic review", "diabetes", "diabetes monitoring systems", "glucose control"]
    assert conference.publication_types == ["Conference Paper"]
    assert conference.issn == []  # the ISBN column is not an ISSN
    assert conference.published_date == "2019-09"


def test_covidence_csv_reads_covidence_number_and_month():
    first, second, third = read("covidence_studies.csv")
    assert first.source_id == "#1"
    assert second.authors == ["Troiano, L.P.", "Dos Santos, H.B.", "Aureliano, T.", "Ghilardi, A.M."]
    assert second.published_date == "2024-03"
    assert second.abstract == ('It is constituted of sub-horizontal "lajeiros", or rock outcrops, intermingled with '
                               "endemic Caatinga vegetation.")
    assert third.issue == "12 December"
    assert third.doi == "10.1371/journal.pone.0291058"


def test_pubmed_csv_comma_separated_initials_list_is_split():
    text = ("PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,PMCID,NIHMS ID,DOI\n"
            '16403221,A high level interface to SCOP and ASTRAL implemented in python.,"Casbon JA, Crooks GE, Saqi MA",'
            '"BMC Bioinformatics. 2006 Jan 10;7:10.",Casbon JA,BMC Bioinformatics,2006,2006/01/13,PMC1373603,,'
            "10.1186/1471-2105-7-10\n")
    record = delimited.parse(text)[0]
    assert record.authors == ["Casbon, J. A.", "Crooks, G. E.", "Saqi, M. A."]
    assert (record.source_id, record.pmcid, record.journal) == ("16403221", "PMC1373603", "BMC Bioinformatics")


def test_semicolon_delimited_table_with_unknown_columns():
    text = "Titel;title;Year;Whatever\nx;A semicolon table;2020;zzz\n"
    record = delimited.parse(text)[0]
    assert (record.title, record.year) == ("A semicolon table", 2020)


def test_row_with_extra_filled_fields_that_shift_columns_is_refused():
    text = "title,year\nA, title,2020\n"
    with pytest.raises(InputFileError, match="row 1 has 3 fields but the header has 2") as err:
        delimited.parse(text, path="refs.csv")
    assert str(err.value).startswith("refs.csv:2:")


def test_sniff_delimiter_ignores_delimiters_inside_quotes():
    assert delimited.sniff_delimiter('"a,b";"c,d";"e"') == ";"
    assert delimited.sniff_delimiter("PT\tAU\tTI") == "\t"
    assert delimited.sniff_delimiter("Title,Authors,Year") == ","


def test_embase_csv_unpacks_the_source_citation_and_openurl_doi():
    first, second = read("embase_export.csv")
    assert first.authors == ["Eloubeidi, M. A.", "Cohn, M.", "Cerfolio, R. J.", "Chhieng, D. C.", "Jhala, N.",
                             "Jhala, D.", "Eltoum, I. A."]
    assert (first.journal, first.year, first.volume, first.issue, first.pages) == ("Cancer", 2004, "102", "4",
                                                                                   "253-258")
    assert first.doi == "10.1002/cncr.20369"  # only inside the Open URL Link
    assert first.published_date == "2004-08"
    assert (second.journal, second.volume, second.issue, second.pages) == (
        "International Journal of Surgery Case Reports", "54", None, "83-86")


def test_cochrane_central_csv_reads_prefixed_pubmed_id_and_unicode_hyphen_pages():
    first, second = read("cochrane_central.csv")
    assert first.source_id == "CN-00778158"
    assert first.pmid == "21314913"  # "PUBMED 21314913"
    assert first.journal == "Trials"  # the "Source" column
    assert first.authors[:2] == ["Bywater, T", "Hutchings, J"]
    assert first.keywords[0] == "school health service"
    assert second.pages == "1279-1297"  # U+2010 hyphen
    assert second.doi == "10.1037/dev0001710"


def test_rows_become_records_as_they_are_read():
    """iter_parse hands out a record once the next row is read: a large export is matched while it is parsed,
    and a row damaged late in the file raises after the records before it."""
    header = "Title,Authors,Year\n"
    rows = "".join(f'"Trial {i}","Smith, J.",2020\n' for i in range(5))
    records = delimited.iter_parse(header + rows + 'Trial, five,"Smith, J.",2020\n', path="late.csv")
    assert [next(records).title for _ in range(5)] == [f"Trial {i}" for i in range(5)]
    with pytest.raises(InputFileError, match=r"late.csv:7: row 6 has 4 fields but the header has 3"):
        next(records)


def test_a_cut_off_last_row_raises_before_it_becomes_a_record():
    records = delimited.iter_parse('Title,Authors,Year\n"Trial 0","Smith, J.",2020\n"Trial 1",Smi', path="cut.csv")
    assert next(records).title == "Trial 0"
    with pytest.raises(InputFileError, match="cut.csv:3: truncated: the last row has 2 of 3 fields"):
        next(records)
