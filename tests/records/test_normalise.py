"""records.normalise: shared field normalisers."""

from __future__ import annotations

import pytest

from livereview.records.normalise import normalise_doi, repair_mojibake, split_name


@pytest.mark.parametrize(("name", "expected"), [
    ("Smith JA", "Smith, J. A."),              # MEDLINE
    ("Smith, J.", "Smith, J."),
    ("John Smith", "Smith, John"),
    ("Wilson L.N.", "Wilson, L. N."),          # Scopus / Embase: dotted initials after the family name
    ("Dos Santos H.B.", "Dos Santos, H. B."),
    ("van der Vaart T.W.", "van der Vaart, T. W."),
    ("Liu R.", "Liu, R."),
    ("Jalil N.-E.", "Jalil, N.-E."),
    ("J. -P. Nominé", "Nominé, J. -P."),       # IEEE: initials first
    ("Araz R. Aliev", "Aliev, Araz R."),
    ("A. B.", "B., A."),                        # initials only: left as before
])
def test_split_name_reads_family_then_dotted_initials(name, expected):
    assert split_name(name) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("10.1016/S0140-6736(12)60123-4", "10.1016/s0140-6736(12)60123-4"),
    ("http://dx.doi.org/10.1016/S0140-6736%2812%2960123-4", "10.1016/s0140-6736(12)60123-4"),  # percent-encoded
    ("https://doi.org/10.1002%2F14651858.CD001234.pub2", "10.1002/14651858.cd001234.pub2"),     # encoded slash
    ("https://doi.org/10.1000/abc%2528def%2529", "10.1000/abc(def)"),                          # encoded twice
    ("doi:10.1000/XYZ).", "10.1000/xyz"),
    ("DOI 10.1000/xyz", "10.1000/xyz"),
    ("S0140-6736(12)60123-4 [pii]; 10.1016/S0140-6736(12)60123-4 [doi]", "10.1016/s0140-6736(12)60123-4"),
    ("https://onlinelibrary.wiley.com/doi/abs/10.1111/ntwe.12345/abstract", "10.1111/ntwe.12345"),  # publisher link
    ("https://www.tandfonline.com/doi/full/10.1080/0144929X.2019.1234567", "10.1080/0144929x.2019.1234567"),
    ("https://doi.org/10.1000/abc?via=ihub", "10.1000/abc"),
    ("10.1002/(SICI)1097-4571(199806)49:8&lt;693::AID-ASI4&gt;3.0.CO;2-0",
     "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"),                          # SICI kept whole
    ("10.1000/<i>abc</i>", "10.1000/abc"),
    ("10.1037//0022-006X.59.2.305", "10.1037/0022-006x.59.2.305"),      # APA's doubled slash (S13, S14, S18)
    ("https://doi.org/10.1037//0022-006x.59.4.507", "10.1037/0022-006x.59.4.507"),
    ("10.1000/a//b", "10.1000/a//b"),                                     # a doubled slash inside the suffix stays
    ("no doi here", None),
    (None, None),
])
def test_every_spelling_of_a_doi_becomes_one_canonical_doi(value, expected):
    assert normalise_doi(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("DÃ©pistage du cancer", "Dépistage du cancer"),           # UTF-8 read as Windows-1252
    ("itâ€™s", "it’s"),
    ("Annales fran?aises", "Annales franaises"),               # a lost letter is dropped, not a word break
    ("fran\ufffdaises", "franaises"),
    ("Is it? Yes", "Is it? Yes"),                              # a real question mark stays
    ("naïve café", "naïve café"),                              # intact accents stay
])
def test_mojibake_is_repaired_for_comparison(text, expected):
    assert repair_mojibake(text) == expected


def test_one_issn_rule_for_the_api_parsers_and_the_file_readers():
    """A Crossref item and a RIS record naming the same ISSNs, one with a wrong check digit and one without its
    hyphen, come out the same: every valid ISSN, normalised, the invalid one dropped (the API parsers used to keep
    the first token unchecked)."""
    from livereview.connectors.crossref import item_to_record
    from livereview.connectors.files.ris import parse as parse_ris
    from livereview.records.normalise import normalise_issns

    given = ["0005-7895", "18781888"]  # 0005-7894 is Behavior Therapy's: ...95 fails the check digit
    api = item_to_record({"DOI": "10.1/x", "title": ["T"], "type": "journal-article", "ISSN": given})
    ris = parse_ris("TY  - JOUR\nTI  - T\nSN  - 0005-7895\nSN  - 18781888\nER  - \n")[0]
    assert api.issn == ris.issn == normalise_issns(given) == ["1878-1888"]
    assert normalise_issns(["ISBN 978-1-7281-2451-3", None, "0005-7894 (Print)", "0005-7894"]) == ["0005-7894"]
