"""An included study for extraction and appraisal tests: a record ingested with the team's full-text include."""

from __future__ import annotations


def new_include(engine, title: str = "Homework in coaching: a trial", domain: str = "coaching",  # noqa: ANN001
                source_id: str | None = None) -> int:
    """A study found since the review, included at full text (as a team would after screening); its work id."""
    from livereview.records.model import Record
    from livereview.records.vocabulary import FULL_TEXT
    from livereview.store.db import transaction
    from livereview.store.ingest import PriorDecision, Provenance, ingest_records

    rec = Record(source="pubmed", source_id=source_id or title[:40], title=title, year=2025, authors=["Doe, J."])
    with transaction(engine) as s:
        rep = ingest_records(s, [rec], Provenance(origin="import", domain=domain,
                                                  prior=PriorDecision("include", FULL_TEXT, "team")))
        return rep.new_work_ids[0]
