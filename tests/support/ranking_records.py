"""Records for the ranking tests: on-topic (homework in therapy, like the included studies) or plainly not."""

from __future__ import annotations

from livereview.records.model import Record
from livereview.store.db import transaction
from livereview.store.ingest import PriorDecision, Provenance, ingest_records

OFF_TOPICS = ["Soil nitrogen uptake in irrigated maize fields", "Corrosion of steel bridges in coastal air",
              "Exoplanet transit photometry with small telescopes", "Traffic flow models for urban intersections",
              "Protein folding kinetics of bacterial enzymes", "Bond markets and central bank interest rates",
              "Glacier retreat measured by satellite altimetry", "Battery cathode materials for electric buses"]


def on_topic(n: int, **kw) -> Record:
    base = dict(source="pubmed", source_id=str(50000000 + n), pmid=str(50000000 + n), doi=f"10.5555/on.{n}",
                title=f"Homework assignments in cognitive behavioural therapy and coaching: study {n}",
                abstract=("Between-session homework is central to psychotherapy and coaching. Clients completed "
                          f"homework tasks between sessions; adherence predicted outcome in {100 + n} adults."),
                year=2025, journal="Behaviour Research and Therapy")
    base.update(kw)
    return Record(**base)


def off_topic(n: int, **kw) -> Record:
    topic = OFF_TOPICS[n % len(OFF_TOPICS)]
    base = dict(source="pubmed", source_id=str(60000000 + n), pmid=str(60000000 + n), doi=f"10.5555/off.{n}",
                title=f"{topic}: report {n}",
                abstract=f"{topic}. We measured {n} samples in the field and report the results of the survey.",
                year=2026, journal="Journal of Unrelated Studies")
    base.update(kw)
    return Record(**base)


def ingest(engine, records, *, prior: str | None = None):
    """Ingest as a search (queued) or as an import carrying a prior decision ('include' / 'exclude')."""
    prov = (Provenance(origin="import", prior=PriorDecision(prior, "title-abstract", "2023 team"))
            if prior else Provenance(origin="search", query_name="core"))
    with transaction(engine) as s:
        return ingest_records(s, records, prov)
