"""Field helpers shared by the file readers: author lists, ISSNs, dates, types, abstracts."""

from __future__ import annotations

import pytest

from livereview.connectors.files.fields import (
    clean_abstract,
    clean_author,
    issns_from,
    publication_type,
    split_author_list,
    split_bibtex_names,
    split_glued_names,
)
from livereview.records.dates import iso_date


@pytest.mark.parametrize(("value", "expected"), [
    ("Zuna, R E and Wang, S S and Schiffman, M", ["Zuna, R E", "Wang, S S", "Schiffman, M"]),
    ("Blomberg, Björn A.; Moghbel, Mateen", ["Blomberg, Björn A.", "Moghbel, Mateen"]),
    ("P. Kogge; J. -P. Nominé", ["Kogge, P.", "Nominé, J. -P."]),
    ("Casbon JA, Crooks GE, Saqi MA", ["Casbon, J. A.", "Crooks, G. E.", "Saqi, M. A."]),
    ("Wilson L.N., Gardner J.D.", ["Wilson, L. N.", "Gardner, J. D."]),
    ("Smith, John", ["Smith, John"]),
    ("Brownstein, C.D.", ["Brownstein, C.D."]),
    ("", []),
])
def test_split_author_list_recognises_each_export_style(value, expected):
    assert split_author_list(value) == expected


def test_bibtex_names_split_only_outside_braces():
    assert split_bibtex_names("A, B and {Smith and Sons} and C, D") == ["A, B", "{Smith and Sons}", "C, D"]


def test_glued_springer_names_split_but_prefixes_stay():
    assert split_glued_names("Araz R. AlievNigar T. Ismayilova") == ["Aliev, Araz R.", "Ismayilova, Nigar T."]
    assert split_glued_names("John McDonaldAnna DeVries") == ["McDonald, John", "DeVries, Anna"]
    assert split_glued_names("Umali Saidi") == ["Saidi, Umali"]


@pytest.mark.parametrize(("value", "expected"), [
    ("Wilson, Lauren N. (58975547800)", "Wilson, Lauren N."),
    ("Prof. Dr. Janusz Kacprzyk", "Kacprzyk, Janusz"),
    ("van den Hoven, null", "van den Hoven"),
    ("et al.", None),
])
def test_clean_author(value, expected):
    assert clean_author(value) == expected


def test_issns_validated_by_check_digit_and_isbns_ignored():
    assert issns_from(["0894-9867, 0894-9867", "03064530 (ISSN)", "2211-369x"]) == ["0894-9867", "0306-4530",
                                                                                  "2211-369X"]
    assert issns_from(["978-1-7281-2451-3", "9781728124513", "1234-5678"]) == []  # ISBNs; bad check digit


@pytest.mark.parametrize(("value", "year", "expected"), [
    ("2019/10//undefined", None, "2019-10"),
    ("2024/04/03/", None, "2024-04-03"),
    ("2019///", None, "2019"),
    ("2006 Mar 1", None, "2006-03-01"),
    ("2014 Jan-Apr", None, "2014-01"),
    ("Spring 1998", None, "1998"),
    ("SEP", 2018, "2018-09"),
    ("JUN 19", 2023, "2023-06-19"),
    ("20060110", None, "2006-01-10"),
    ("2019/02/30", None, "2019-02"),
    (None, 2001, "2001"),
    ("no date", None, None),
])
def test_iso_date(value, year, expected):
    assert iso_date(value, year) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("JOUR", "Journal Article"), ("CHAP", "Book Chapter"), ("article", "Journal Article"),
    ("inproceedings", "Conference Paper"), ("journalArticle", "Journal Article"), ("Article", "Article"),
    ("Conference Abstract", "Conference Abstract"), ("", None),
])
def test_publication_type_maps_tool_codes_only(value, expected):
    assert publication_type(value) == expected


def test_clean_abstract_drops_database_boilerplate():
    assert clean_abstract(["Text one. [Author Abstract] KEY WORDS: a; b"]) == "Text one."
    assert clean_abstract(["Main text. [ABSTRACT FROM AUTHOR]",
                           "Copyright of J is the property of P and its content may not be copied."]) == "Main text."
    assert clean_abstract(["Before [Publisher Abstract] after"]) == "Before after"
    assert clean_abstract([None, ""]) is None
