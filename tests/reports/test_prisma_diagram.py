"""The PRISMA diagram: SVG that parses, shows every box's number from the store, escapes labels; PNG and files."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from prisma_history import REASONS, build_history

from livereview.reports import prisma_files
from livereview.reports.prisma_diagram import layout, prisma_png, prisma_svg
from livereview.store.db import reading
from livereview.store.prisma import Arm, PrismaCounts, prisma_counts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def counts(engine, protocol):
    build_history(engine, protocol)
    with reading(engine) as s:
        return prisma_counts(s, REASONS)


def _boxes(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {g.get("data-box"): " ".join(t.text or "" for t in g.iter(f"{SVG}text")).replace("\u00a0", " ")
            for g in root.iter(f"{SVG}g") if g.get("data-box")}


def test_the_svg_parses_and_every_box_shows_the_store_s_number(counts, protocol):
    boxes = _boxes(prisma_svg(counts, protocol.exclusion_reasons))
    assert "(n = 50)" in boxes["previous"] and "(n = 51)" in boxes["previous"]
    assert "Databases (n = 18)" in boxes["identified"] and "PubMed (n = 11)" in boxes["identified"]
    assert "Europe PMC" not in boxes["identified"] and "pubmed" not in boxes["identified"]   # printed names only
    assert "Duplicate records removed (n = 6)" in boxes["removed"]
    assert "automation tools (n = 3)" in boxes["removed"]
    assert boxes["screened"] == "Records screened (n = 6)"
    assert "(n = 1)" in boxes["excluded"] and "Awaiting screening (n = 1)" in boxes["excluded"]
    assert boxes["sought"] == "Reports sought for retrieval (n = 5)"
    assert boxes["not-retrieved"] == "Reports not retrieved (n = 1)"
    assert boxes["assessed"] == "Reports assessed for eligibility (n = 3)"
    assert "E1-language: not in English (n = 1)" in boxes["reports-excluded"]
    assert "Total studies included in review (n = 52)" in boxes["total"]
    assert "Citation searching (n = 2)" in boxes["other-identified"]


def test_rows_line_up_and_arrows_join_boxes(counts):
    d = layout(counts)
    by = {b.key: b for b in d.boxes}
    assert by["screened"].y == by["excluded"].y and by["assessed"].y == by["reports-excluded"].y
    assert all(b.x + b.w <= d.width and b.y + b.h <= d.height for b in d.boxes)
    assert len(d.arrows) >= 10


def test_labels_from_imports_are_escaped_and_the_other_methods_column_appears_only_when_used():
    c = PrismaCounts(as_of=__import__("datetime").datetime(2026, 1, 1), databases={"<script>x</script>": 1},
                     identified=1, db=Arm(), other=Arm())
    svg = prisma_svg(c)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)
    assert "other-identified" not in _boxes(svg)


def test_png_and_count_files(counts):
    assert prisma_png(counts)[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader(io.StringIO(prisma_files.to_csv(counts))))
    assert {"section": "included", "box": "Total studies included in review", "n": "52"}.items() <= rows[-2].items()
    data = json.loads(prisma_files.to_json(counts))
    assert data["db"]["excluded_by_reason"] == {"E1-language": 1, "E1-design": 1} and data["problems"] == []
