"""Export -> import is an identity on identifiers, titles and authors, for every export format and every real file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from livereview.connectors.files import read_records
from livereview.connectors.files.write import WRITERS
from livereview.csvout import neutralise_formula
from livereview.errors import InputFileError
from livereview.records.model import Record

REALDATA = Path(__file__).resolve().parents[3].parent / "shared" / "realdata"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SOURCES = sorted({p for base in (REALDATA, FIXTURES) if base.is_dir() for p in base.rglob("*")
                  if p.is_file() and p.name != "MANIFEST.tsv" and "cassettes" not in p.parts})


def readable(path: Path) -> list[Record]:
    try:
        return read_records(path, source="original")
    except InputFileError:
        return []  # error responses, empty result pages, search-id lists: nothing to export


def rows(records: list[Record]) -> list[dict]:
    """The rows the store hands the writers (store.queries.works_for_export), built from the records."""
    return [{"id": i, "status": "queued", "doi": r.doi, "pmid": r.pmid, "pmcid": r.pmcid, "openalex_id": r.openalex_id,
             "title": r.title, "authors": r.authors, "year": r.year, "journal": r.journal, "volume": r.volume,
             "issue": r.issue, "pages": r.pages, "issn": r.issn, "language": r.language,
             "publication_types": r.publication_types, "abstract": r.abstract, "sources": ["original"]}
            for i, r in enumerate(records, start=1)]


def identity(record: Record) -> tuple:
    return (record.doi, record.pmid, record.pmcid, record.openalex_id, record.title, tuple(record.authors))


WITH_RECORDS = [p for p in SOURCES if readable(p)]


def test_the_corpus_of_real_files_is_not_empty():
    assert len(WITH_RECORDS) >= 40, WITH_RECORDS
    assert any(REALDATA in p.parents for p in WITH_RECORDS) or not REALDATA.is_dir()


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@pytest.mark.parametrize("path", WITH_RECORDS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_export_then_import_gives_back_the_same_identifiers_titles_and_authors(tmp_path, path, fmt):
    records = readable(path)
    out = io.StringIO()
    WRITERS[fmt](rows(records), out)
    exported = tmp_path / f"export.{ {'bibtex': 'bib'}.get(fmt, fmt)}"
    exported.write_text(out.getvalue(), encoding="utf-8")
    back = read_records(exported, fmt=fmt, source="export")
    assert [identity(r) for r in back] == [identity(r) for r in records]


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://x\")", "+1 trial", "-2 dB", "@SUM(A1)", "plain"])
def test_csv_export_neutralises_formulas_and_the_reader_undoes_it(tmp_path, title):
    out = io.StringIO()
    WRITERS["csv"](rows([Record(source="s", title=title, authors=["=cmd|' /C calc'!A0, X"])]), out)
    text = out.getvalue()
    for cell in text.splitlines()[1].split(","):
        assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), cell
    assert neutralise_formula(title) == (title if title == "plain" else "'" + title)
    path = tmp_path / "e.csv"
    path.write_text(text)
    (back,) = read_records(path, fmt="csv", source="x")
    assert back.title == title


def test_bibtex_keeps_underscores_in_dois_and_tildes_backslashes_and_corporate_authors():
    record = Record(source="s", title="Scores ~ 5 on A\\B scale: 50% of {UK} & US_$ #1 ^2", doi="10.1000/a_b~c",
                    authors=["ASPIRE Investigators", "Smith, Jane", "Agency for Research and Quality"],
                    pmcid="PMC123", openalex_id="W42", pmid="99")
    out = io.StringIO()
    WRITERS["bibtex"](rows([record]), out)
    assert "doi = {10.1000/a_b~c}" in out.getvalue()
    back = read_records_text(out.getvalue(), "bibtex")
    assert identity(back) == identity(record)


def test_ris_and_csv_keep_corporate_authors_whole_and_every_identifier():
    record = Record(source="s", title="T", doi="10.1000/x", pmid="12345", pmcid="PMC6789", openalex_id="W1",
                    authors=["ASPIRE Investigators", "Smith, Jane A.", "World Health Organization"])
    for fmt in ("ris", "csv"):
        out = io.StringIO()
        WRITERS[fmt](rows([record]), out)
        assert identity(read_records_text(out.getvalue(), fmt)) == identity(record), fmt


def read_records_text(text: str, fmt: str) -> Record:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.txt"
        path.write_text(text, encoding="utf-8")
        (record,) = read_records(path, fmt=fmt, source="x")
    return record
