"""Every CSV the product writes goes through the one writer (livereview.csvout), and that writer neutralises
every cell a spreadsheet would run as a formula."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from livereview.csvout import FORMULA_START, CsvWriter, neutralise_formula

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("livereview", "records", "protocols", "connectors", "dedup", "store", "ranking", "reports", "digests",
               "web", "flows", "cli", "demo")
HOSTILE = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\",\"y\")"]


def _csv_writers(path: Path) -> list[int]:
    """Lines of ``path`` that make a ``csv.writer`` / ``csv.DictWriter`` (or import them by name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter") and \
                isinstance(node.value, ast.Name) and node.value.id == "csv":
            found.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "csv" and \
                any(a.name in ("writer", "DictWriter") for a in node.names):
            found.append(node.lineno)
    return found


def test_no_module_but_csvout_makes_a_csv_writer():
    files = [p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 50
    others = {str(p.relative_to(ROOT)): lines for p in files
              if p != ROOT / "livereview" / "csvout.py" and (lines := _csv_writers(p))}
    assert not others, f"CSV written past livereview.csvout (formula injection): {others}"


@pytest.mark.parametrize("cell", HOSTILE)
def test_the_writer_neutralises_every_formula_start_in_rows_and_dicts(cell):
    buf = io.StringIO()
    w = CsvWriter(buf, ["a", "b"])
    w.writeheader()
    w.writerow({"a": cell, "b": 3})
    CsvWriter(buf).writerow([cell, "plain", -1])
    rows = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    shown = "'" + cell.replace("\r", "\n")  # a CR inside a cell is written as a line break the row survives
    assert rows[1] == [shown, "3"] and rows[2] == [shown, "plain", "-1"]
    assert cell.startswith(FORMULA_START) and neutralise_formula("plain") == "plain"


def test_the_asreview_export_neutralises_abstracts_titles_and_authors():
    from livereview.reports.exports import write_asreview_csv

    buf = io.StringIO()
    rows = [{"id": i, "title": cell, "abstract": cell, "authors": [cell], "keywords": [cell], "journal": cell,
             "status": "queued"} for i, cell in enumerate(HOSTILE)]
    assert write_asreview_csv(rows, buf) == len(HOSTILE)
    for got, cell in zip(csv.DictReader(io.StringIO(buf.getvalue(), newline="")), HOSTILE, strict=True):
        for column in ("title", "abstract", "authors", "keywords", "journal"):
            assert got[column] == "'" + cell.replace("\r", "\n"), column


def test_the_groups_file_of_dedupe_neutralises_a_hostile_id(tmp_path):
    from livereview.dedup.export import write_groups_csv
    from livereview.dedup.pipeline import DedupResult
    from livereview.records.model import Record

    records = [Record(source="t", source_id="=1+1", title="a"), Record(source="t", source_id="2", title="a")]
    result = DedupResult.__new__(DedupResult)
    object.__setattr__(result, "groups", [[0, 1]])
    write_groups_csv(records, result, tmp_path / "g.csv")
    assert (tmp_path / "g.csv").read_text().splitlines()[1] == "\"'=1+1;2\""
