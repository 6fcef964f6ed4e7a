"""BibTeX as Scopus writes it (a field repeated within one entry) and broken BibTeX (one clear line)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from livereview.connectors.files import bibtex, read_records
from livereview.errors import InputFileError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"


def test_scopus_bibtex_with_repeated_funding_details_is_read_and_the_repeat_is_reported(caplog):
    caplog.set_level(logging.WARNING)
    first, second = read_records(FIXTURES / "scopus_export_repeated_fields.bib", source="scopus")
    assert first.doi == "10.1016/j.psyneuen.2019.104501" and first.pmid == "31707221"
    assert second.authors[2] == "Černý, David" and second.pages == "307-356" and second.issn == ["0748-3007"]
    assert "funding_details (2 entries)" in caplog.text
    assert "kept every value of list fields" in caplog.text


def test_a_repeated_list_field_keeps_every_value_and_a_repeated_single_field_keeps_the_first():
    text = ("@article{k,\n title={First title},\n title={Second title},\n doi={10.1000/one},\n"
            " doi={10.1000/two},\n author_keywords={alpha; beta},\n author_keywords={gamma},\n year={2020}\n}\n")
    (record,) = bibtex.parse(text, path="k.bib")
    assert (record.title, record.doi) == ("First title", "10.1000/one")
    assert record.keywords == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize("text", [
    "@article{a,\n title={Unbalanced {brace},\n year={2021}\n}\n@article{b, title={Fine}, year=2022}\n",
    "@article{a,\n title={Never closed,\n year={2021}\n}\n",
    '@article{a,\n title="Open quote,\n year={2021}\n}\n@article{b, title={Fine}}\n',
])
def test_unbalanced_braces_give_one_error_naming_the_line_and_a_reason(text):
    with pytest.raises(InputFileError) as err:
        bibtex.parse(text, path="broken.bib")
    message = str(err.value)
    assert message.startswith("broken.bib:1: unreadable BibTeX entry starting on line 1: ")
    assert not message.endswith(": ") and len(message.split(": ", 3)[-1]) > 5


def test_the_import_command_prints_exactly_one_line_for_unbalanced_braces(tmp_path):
    bad = tmp_path / "broken.bib"
    bad.write_text("@article{a,\n title={Unbalanced {brace},\n year={2021}\n}\n@article{b, title={Fine}}\n")
    env = {**os.environ, "LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    res = subprocess.run([sys.executable, "-m", "livereview.cli", "import", str(bad), "--source", "x",
            "--dry-run", "--json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 3
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}:1: unreadable BibTeX entry"), res.stderr


STRAY_BRACE = [
    # a stray } after the title: the parser keeps the title and reads doi and year as text between entries
    ("@article{a1,\n  title = {Homework in coaching}},\n  doi = {10.1000/x1},\n  year = {2020}\n}\n", "doi, year"),
    # inside the author list, fields after it quoted or bare
    ("@article{a1,\n  author = {Smith, J}},\n  title = \"Homework\",\n  year = 2020\n}\n", "title, year"),
    # in the second entry of two: the file is refused whole, the first entry is not stored alone
    ("@article{ok,\n  title = {Fine},\n  year = {2019}\n}\n\n@article{a1,\n  title = {Cut}},\n"
     "  journal = {J Couns},\n  doi = {10.1000/x2}\n}\n", "journal, doi"),
]


@pytest.mark.parametrize(("text", "lost"), STRAY_BRACE)
def test_an_entry_cut_short_by_a_stray_brace_is_refused_naming_the_fields_it_would_lose(tmp_path, text, lost):
    path = tmp_path / "stray.bib"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        read_records(path, source="t")
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "\n" not in message
    assert "'a1'" in message and f"ends before its fields {lost}" in message and "stray '}'" in message


def test_free_text_between_entries_is_still_allowed():
    text = ("Exported from a reference manager on 2026-01-01.\n\n@article{a,\n title={One},\n year={2020}\n}\n"
            "\nA note between entries, no fields here.\n\n@article{b,\n title={Two},\n year={2021}\n}\n")
    assert [r.title for r in bibtex.parse(text)] == ["One", "Two"]
