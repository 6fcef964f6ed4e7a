"""Exports carry the team's tags (issue 20: "Exports … carry … tags"): every format, on SQLite and PostgreSQL."""

import io

from livereview.connectors.files.write import WRITERS
from livereview.records.model import Record
from livereview.reports.exports import write_asreview_csv
from livereview.store.db import transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.queries import works_for_export
from livereview.store.tags import PALETTE, create_tag, tag_work


def test_every_export_format_carries_the_tags_of_each_work(engine):
    with transaction(engine) as s:
        ingest_records(s, [Record(source="pubmed", source_id=str(i), pmid=str(i), title=f"Homework study {i}",
                                  year=2025) for i in (1, 2)], Provenance(origin="search", query_name="core"))
        rct, coaching = (create_tag(s, name, PALETTE[i], actor="root") for i, name in enumerate(("rct", "coaching")))
        s.flush()
        tag_work(s, 1, rct.id, actor="ann")
        tag_work(s, 1, coaching.id, actor="bob")
    with transaction(engine) as s:
        rows = list(works_for_export(s, "all"))
    assert [r["tags"] for r in rows] == [["coaching", "rct"], []]
    outputs = {}
    for fmt, write in (*WRITERS.items(), ("asreview", write_asreview_csv)):
        buf = io.StringIO()
        write(rows, buf)
        outputs[fmt] = buf.getvalue()
    assert "coaching; rct" in outputs["csv"].splitlines()[1] and outputs["csv"].splitlines()[0].endswith(",tags")
    assert "LB  - coaching; rct" in outputs["ris"] and outputs["ris"].count("LB  - ") == 1
    assert "tags = {coaching; rct}" in outputs["bibtex"]
    assert "coaching; rct" in outputs["asreview"].splitlines()[1]
