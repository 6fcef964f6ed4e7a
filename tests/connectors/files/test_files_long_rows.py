"""Rows with more fields than the header: read with every cell under its own header, or refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from livereview.connectors.files import delimited, read_records
from livereview.errors import InputFileError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"


def test_scopus_rows_with_extra_funding_texts_keep_every_later_column_in_place(caplog):
    caplog.set_level(logging.WARNING)
    plain = read_records(FIXTURES / "scopus_export.csv", source="t")
    funded = read_records(FIXTURES / "scopus_export_funding_texts.csv", source="t")
    assert len(funded) == 3
    for a, b in zip(plain, funded, strict=True):
        # every column after the funding texts (ISSN, PubMed ID, language, document type, EID) is the same
        assert (a.title, a.doi, a.pmid, a.issn, a.language, a.publication_types, a.source_id, a.authors) == \
            (b.title, b.doi, b.pmid, b.issn, b.language, b.publication_types, b.source_id, b.authors)
    assert funded[0].source_id == "2-s2.0-85074519612" and funded[0].pmid == "31707221"
    assert "2 of 3 rows had more fields than the header" in caplog.text
    assert "'Funding Text 1'" in caplog.text


def test_extra_fields_after_the_last_column_are_dropped_and_counted(caplog):
    caplog.set_level(logging.WARNING)
    text = "Title,Year,DOI\nA study,2020,10.1000/a,stray note,more\nB study,2021,10.1000/b\n"
    first, second = delimited.parse(text, path="t.csv")
    assert (first.title, first.year, first.doi) == ("A study", 2020, "10.1000/a")
    assert second.doi == "10.1000/b"
    assert "1 of 2 rows had more fields than the header (past the header's last column)" in caplog.text


@pytest.mark.parametrize("text", [
    # an unquoted comma inside the title moves the year and the DOI one column right
    "Title,Year,DOI\nHeart, lungs and sleep,2020,10.1000/a\n",
    # a numbered group, but the row's extra cell is an unquoted comma before it: the title's tail lands under Year
    "Title,Year,Funding Text 1,DOI\nA, B,2020,,10.1000/a\n",
    # nothing in the row has a shape to check the alignment against: refused rather than guessed
    "Title,Journal\nA, B,Journal\n",
])
def test_rows_whose_extra_fields_would_shift_columns_are_refused(text):
    with pytest.raises(InputFileError, match="row 1 has .* fields but the header has"):
        delimited.parse(text, path="t.csv")
