"""Format detection, encodings, the saved-API-response dispatch, and every kind of bad input."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from livereview.connectors.files import FILE_FORMATS, FORMATS, detect_format, read_records
from livereview.errors import InputFileError, SourceParseError
from livereview.records.model import Record

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"

EXPECTED_FORMATS = {
    "cochrane_central.csv": "csv",
    "covidence_studies.csv": "csv",
    "embase_export.csv": "csv",
    "ebsco_psycinfo_academic_search.ris": "ris",
    "embase_export.ris": "ris",
    "endnote_library.xml": "endnote-xml",
    "google_scholar_zotero_latex.bib": "bibtex",
    "ieee_xplore_export.csv": "csv",
    "medline_text_4_records.txt": "nbib",
    "ovid_medline_angle_numbered_crlf.ris": "ris",
    "ovid_psycinfo_numbered.ris": "ris",
    "proquest_export.ris": "ris",
    "pubmed_export.nbib": "nbib",
    "pubmed_via_endnote_export.ris.txt": "ris",
    "rayyan_articles.csv": "csv",
    "scopus_export.csv": "csv",
    "scopus_export_funding_texts.csv": "csv",
    "scopus_export_repeated_fields.bib": "bibtex",
    "scopus_export.ris": "ris",
    "springerlink_search_export.csv": "csv",
    "wos_export_ris_format.txt": "ris",
    "wos_plaintext_export_named_ris.txt": "wos",
    "wos_plaintext_handwritten.txt": "wos",
    "wos_tab_delimited_win_utf8.txt": "csv",
    "zotero_google_scholar.ris": "ris",
    "zotero_library.csv": "csv",
    "api/efetch_2_articles_one_without_abstract_or_doi.xml": "pubmed-xml",
    "api/work_pone.0033693_2017.json": "crossref-json",
    "api/worklist_zero_results.json": "crossref-json",
    "api/search_cancer.json": "europepmc-json",
    "api/search_no_results.json": "europepmc-json",
    "api/work_W2741809807_full_2025.json": "openalex-json",
    "api/atom_incomplete_empty_author.atom": "feed",
    "api/science_twis_rss1_prism.rdf.xml": "feed",
}


def test_every_fixture_has_an_expected_format():
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv"}
    assert on_disk == set(EXPECTED_FORMATS)


@pytest.mark.parametrize(("name", "fmt"), sorted(EXPECTED_FORMATS.items()))
def test_detect_format_reads_the_content(name, fmt):
    path = FIXTURES / name
    assert detect_format(path, path.read_bytes()) == fmt
    # the content decides, not the file name
    assert detect_format(Path("renamed.dat"), path.read_bytes()) == fmt


@pytest.mark.parametrize("name", sorted(n for n, f in EXPECTED_FORMATS.items() if f in FILE_FORMATS))
def test_crlf_and_bom_variants_give_the_same_records(name, tmp_path):
    original = read_records(FIXTURES / name, source="x")
    text = (FIXTURES / name).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    variant = tmp_path / Path(name).name
    variant.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert detect_format(variant, variant.read_bytes()) == EXPECTED_FORMATS[name]
    again = read_records(variant, source="x")
    assert [r.to_json_dict() for r in again] == [r.to_json_dict() for r in original]


def test_utf16_tab_delimited_wos_export_is_decoded(tmp_path):
    text = (FIXTURES / "wos_tab_delimited_win_utf8.txt").read_bytes().decode("utf-8-sig")
    path = tmp_path / "savedrecs.txt"
    path.write_bytes(text.encode("utf-16"))  # with BOM, as older "Tab-delimited (Win)" exports
    records = read_records(path, source="wos")
    assert [r.source_id for r in records] == ["WOS:000444108200009", "WOS:000424022700066", "WOS:A1997WL22200003"]


def test_windows_1252_ris_falls_back_from_utf8(tmp_path):
    text = (FIXTURES / "zotero_google_scholar.ris").read_text(encoding="utf-8").replace("\u2013", "-")
    path = tmp_path / "endnote.ris"
    path.write_bytes(text.encode("cp1252"))
    records = read_records(path, source="x")
    assert records[0].authors[0] == "Blomberg, Björn A."
    assert records[1].authors[:2] == ["Strojan, Primož", "Grošelj, Aleš"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_in_either_byte_order(tmp_path, encoding):
    text = (FIXTURES / "wos_tab_delimited_win_utf8.txt").read_text(encoding="utf-8-sig")
    path = tmp_path / "savedrecs.txt"
    path.write_bytes(text.encode(encoding))
    records = read_records(path, source="wos")
    assert [r.source_id for r in records] == ["WOS:000444108200009", "WOS:000424022700066", "WOS:A1997WL22200003"]


def test_explicit_format_matching_the_content_is_used(tmp_path):
    records = read_records(FIXTURES / "wos_tab_delimited_win_utf8.txt", fmt="csv", source="wos")
    assert len(records) == 3


def test_formats_list_covers_file_and_api_formats():
    assert FORMATS == ("ris", "nbib", "bibtex", "csv", "endnote-xml", "wos",
                       "pubmed-xml", "europepmc-json", "crossref-json", "openalex-json", "feed")


def test_saved_api_response_is_handed_to_the_connector_parser(monkeypatch):
    calls = []

    def fake_parse(payload: bytes, *, source: str) -> list[Record]:
        calls.append((payload[:5], source))
        return [Record(source=source, title="From the feed", raw_format="feed")]

    monkeypatch.setitem(sys.modules, "livereview.connectors.feeds", types.SimpleNamespace(parse=fake_parse))
    records = read_records(FIXTURES / "api" / "atom_incomplete_empty_author.atom", source="journal-feed")
    assert calls == [(b"<?xml", "journal-feed")]
    assert [(r.title, r.source, r.raw_format) for r in records] == [("From the feed", "journal-feed", "feed")]


def test_connector_parser_failure_becomes_an_input_file_error(monkeypatch):
    def failing_parse(payload: bytes, *, source: str) -> list[Record]:
        raise SourceParseError("crossref", "JSON without a message")

    monkeypatch.setitem(sys.modules, "livereview.connectors.crossref", types.SimpleNamespace(parse=failing_parse))
    with pytest.raises(InputFileError, match="not a readable crossref-json payload: JSON without a message"):
        read_records(FIXTURES / "api" / "work_pone.0033693_2017.json", source="crossref")


# ---------------------------------------------------------------- bad input


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def refused(path: Path, fmt: str = "auto") -> str:
    with pytest.raises(InputFileError) as err:
        read_records(path, fmt=fmt, source="x")
    message = str(err.value)
    assert path.name in message and "\n" not in message
    return message


@pytest.mark.parametrize("content", [b"", b"   \n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_file_is_refused(tmp_path, content):
    assert refused(write(tmp_path, "refs.ris", content)).endswith("refs.ris: empty file")


@pytest.mark.parametrize(("content", "what"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "a PNG image"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "a ZIP archive"),
    (bytes(range(256)) * 4, "binary data"),
])
def test_binary_file_renamed_as_export_is_refused(tmp_path, content, what):
    assert what in refused(write(tmp_path, "refs.ris", content))


def test_csv_passed_as_ris_is_refused(tmp_path):
    path = write(tmp_path, "scopus.csv", (FIXTURES / "scopus_export.csv").read_bytes())
    assert "--format ris does not fit this file: its content looks like csv" in refused(path, "ris")


def test_json_passed_as_nbib_is_refused(tmp_path):
    path = write(tmp_path, "refs.nbib", (FIXTURES / "api" / "work_pone.0033693_2017.json").read_bytes())
    assert "its content looks like crossref-json" in refused(path, "nbib")


def test_unknown_json_passed_as_nbib_is_refused_by_the_reader(tmp_path):
    path = write(tmp_path, "refs.nbib", '{"items": []}')
    assert "not a MEDLINE/nbib file" in refused(path, "nbib")


def test_unknown_format_name_is_refused(tmp_path):
    path = write(tmp_path, "refs.ris", (FIXTURES / "scopus_export.ris").read_bytes())
    assert "unknown format 'endnote'" in refused(path, "endnote")


def test_unrecognisable_text_is_refused(tmp_path):
    path = write(tmp_path, "notes.dat", "Dear colleague\nplease find the references attached\n")
    assert "cannot tell the file format" in refused(path)


def test_html_page_saved_as_export_is_refused(tmp_path):
    path = write(tmp_path, "export.ris", "<!DOCTYPE html><html><head><title>Sign in</title></head></html>")
    assert "an HTML page" in refused(path)


def test_ris_whose_last_record_has_no_er_is_truncated(tmp_path):
    text = (FIXTURES / "proquest_export.ris").read_text(encoding="utf-8")
    cut = text[: text.rindex("ER  -")]
    message = refused(write(tmp_path, "refs.ris", cut))
    assert message.endswith("refs.ris: truncated: record 6 (starting line 234) has no ER line")


def test_wos_export_without_ef_is_truncated(tmp_path):
    text = (FIXTURES / "wos_plaintext_export_named_ris.txt").read_text(encoding="utf-8")
    assert refused(write(tmp_path, "savedrecs.txt", text[: text.rindex("EF")])).endswith(
        "truncated: no EF line at the end of the file")


def test_wos_export_cut_inside_a_record_is_truncated(tmp_path):
    lines = (FIXTURES / "wos_plaintext_export_named_ris.txt").read_text(encoding="utf-8").split("\n")
    message = refused(write(tmp_path, "savedrecs.txt", "\n".join(lines[:150])))
    assert "truncated: record 2 (starting line 112) has no ER line" in message


def test_nbib_cut_after_a_pmid_is_truncated(tmp_path):
    text = (FIXTURES / "pubmed_export.nbib").read_text(encoding="utf-8") + "\nPMID- 31234567\n"
    message = refused(write(tmp_path, "pubmed.nbib", text))
    assert message.endswith("truncated: record 4 (starting line 138) has a PMID and nothing else")


def test_nbib_cut_mid_record_is_truncated(tmp_path):
    text = (FIXTURES / "medline_text_4_records.txt").read_text(encoding="utf-8")
    cut = text[: text.index("AB  - The biopython project")]
    assert "truncated: record 4" in refused(write(tmp_path, "pubmed.txt", cut))


def test_truncated_endnote_xml_is_refused(tmp_path):
    data = (FIXTURES / "endnote_library.xml").read_bytes()[:2500]
    assert "malformed or truncated XML" in refused(write(tmp_path, "library.xml", data))


def test_csv_ending_inside_an_open_quote_is_truncated(tmp_path):
    text = (FIXTURES / "covidence_studies.csv").read_text(encoding="utf-8")
    cut = text[: text.index("has shown that gymnosperms")]
    message = refused(write(tmp_path, "covidence.csv", cut))
    assert message.endswith("covidence.csv:4: truncated: the last row ends inside an unterminated quoted field")


def test_csv_with_stray_quotes_and_an_open_quote_at_the_end_is_truncated(tmp_path):
    text = 'title,abstract\nA "quoted" word,x\nB,"never closed\n'
    assert "unterminated quoted field" in refused(write(tmp_path, "refs.csv", text))


def test_csv_last_row_cut_without_newline_is_truncated(tmp_path):
    text = "title,year,journal\nA,2001,J\nB,2002"
    assert refused(write(tmp_path, "refs.csv", text)).endswith("refs.csv:3: truncated: the last row has 2 of 3 fields")


def test_csv_without_title_column_is_refused(tmp_path):
    message = refused(write(tmp_path, "refs.csv", "name,colour,size\nbob,red,3\n"))
    assert message.endswith("refs.csv:1: no title column found (columns: name, colour, size)")


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("refs.csv", '"ID","title"\n', "no records: the table has a header but no rows"),
    ("savedrecs.txt", "FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n", "no records in the file"),
    ("library.xml", '<?xml version="1.0"?><xml><records></records></xml>', "no records in the EndNote XML file"),
    ("refs.ris", "Provider: Example\nContent: text/plain\n\n", "no RIS records found"),
    ("refs.bib", "@comment{nothing here}\n", "no BibTeX entries found"),
])
def test_file_with_zero_records_is_refused(tmp_path, name, content, problem):
    fmt = {"refs.ris": "ris", "refs.bib": "bibtex"}.get(name, "auto")
    assert problem in refused(write(tmp_path, name, content), fmt)


def test_missing_file_is_refused(tmp_path):
    assert "cannot read the file" in refused(tmp_path / "nowhere.ris")
