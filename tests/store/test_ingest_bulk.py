"""Chunked ingest (prefetched lookups, multi-row INSERTs) decides exactly as the record-at-a-time path does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from livereview.records.model import Record, Relation
from livereview.store import bulk as bulk_module
from livereview.store import ingest as ingest_module
from livereview.store.db import make_engine, migrate, transaction
from livereview.store.ingest import IngestReport, Provenance, _ingest_one, canonical, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.models import Notice, SourceRecord, Work, WorkLink

T1 = "Between-session homework engagement predicts outcome in executive coaching: a longitudinal study"
T2 = "Written assignments between sessions in cognitive therapy for depression: a randomised trial"
AUTHORS = ["Smith, Jane", "Okafor, Chidi", "Larsen, Ida"]


def records() -> list[Record]:
    """A batch with every kind of record: new, same DOI, fuzzy duplicate, identifier bridge, version, notices."""
    return [
        Record(source="pubmed", source_id="1", pmid="1", doi="10.1/a", title=T1, authors=AUTHORS, year=2024,
               journal="Coaching", volume="3", pages="1-15"),
        Record(source="crossref", source_id="10.1/a", doi="10.1/a", title=T1, authors=AUTHORS, year=2024,
               abstract="Homework engagement was measured weekly in 120 coaching clients over six months."),
        Record(source="wos", source_id="WOS:1", title=T1 + ".", authors=["Smith, J.", "Okafor, C.", "Larsen, I."],
               year=2024, journal="COACHING", volume="3", pages="1-15"),
        Record(source="pubmed", source_id="2", pmid="2", title=T2, authors=["Ng, A."], year=2020),
        Record(source="crossref", source_id="10.2/b", doi="10.2/b", title="A different paper on sleep and memory",
               authors=["Ruiz, P."], year=2019),
        Record(source="europepmc", source_id="MED:2", pmid="2", doi="10.2/b", title=T2, authors=["Ng, A."],
               year=2020),                                                   # joins the two works above
        Record(source="openalex", source_id="W9", doi="10.2/b", title=T2, authors=["Ng, A."], year=2020),
        Record(source="europepmc", source_id="PPR:1", doi="10.31234/osf.io/abcde", title=T1, authors=AUTHORS,
               year=2023, journal="PsyArXiv", publication_types=["preprint"]),      # a version
        Record(source="pubmed", source_id="3", pmid="3", title="Erratum: " + T2, year=2021,
               publication_types=["Published Erratum"], relations=[Relation("erratum-for", "pmid", "2")]),
        Record(source="pubmed", source_id="1", pmid="1", doi="10.1/a", title=T1, authors=AUTHORS, year=2024,
               journal="Coaching", volume="3", pages="1-15"),                     # the first record again
        Record(source="wos", source_id="WOS:3", title="Erratum to: " + T1, authors=AUTHORS, year=2025,
               journal="Coaching", volume="4", pages="99"),                       # a notice matched by title
        Record(source="scopus", source_id="S:3", title="Erratum to: " + T1, authors=AUTHORS, year=2025,
               journal="Coaching", volume="4", pages="99-100"),
        Record(source="pubmed", source_id="4", pmid="4", title="Correction to the homework scale", year=2022,
               publication_types=["Erratum"]),
        Record(source="crossref", source_id="10.5/r", doi="10.5/r", title="A retracted trial of homework apps",
               authors=["Doe, J."], year=2018, is_retracted=True),
        Record(source="wos", source_id="WOS:2", doi="10.5/r", title="A retracted trial of homework apps",
               authors=["Doe, J."], year=2018),
    ]


def snapshot(engine) -> tuple[list, list, list, list]:
    """What a reviewer sees, without database ids: per source record its class and its work's fields."""
    with transaction(engine) as s:
        rows = []
        for sr in s.scalars(select(SourceRecord).order_by(SourceRecord.source, SourceRecord.source_id)):
            w = canonical(s, sr.work)
            mates = sorted(f"{o.source}:{o.source_id}" for o in s.scalars(
                select(SourceRecord).join(Work).where((Work.id == w.id) | (Work.merged_into_id == w.id))))
            rows.append((sr.source, sr.source_id, sr.classification, w.status, w.doi, w.pmid, w.title,
                         w.abstract, w.is_retracted, w.has_correction, tuple(mates)))
        works = sorted((w.status, w.doi or "", w.pmid or "", w.title or "", w.merged_into_id is not None)
                       for w in s.scalars(select(Work)))
        links = sorted((lk.kind, lk.target_type, lk.target) for lk in s.scalars(select(WorkLink))
                       if lk.target_type != "work")
        notices = sorted(n.kind for n in s.scalars(select(Notice)))
    return rows, works, links, notices


@pytest.mark.parametrize("chunk", [1, 3, 2000])
def test_chunked_ingest_stores_what_the_record_at_a_time_path_stores(engine, tmp_path, monkeypatch, chunk):
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    prov = Provenance(origin="import", actor="test")
    expected_classes = []
    expected = IngestReport()
    with transaction(reference) as s:
        matcher = matcher_for(s)
        for r in records():
            expected_classes.append(_ingest_one(s, r, prov, matcher, expected)[0])

    monkeypatch.setattr(ingest_module, "CHUNK", chunk)
    with transaction(engine) as s:
        report = ingest_records(s, records(), prov, matcher=matcher_for(s))
    assert [c for c, _ in report.classifications] == expected_classes
    assert len(report.notice_ids) == len(expected.notice_ids) and len(report.new_work_ids) == len(
        expected.new_work_ids)
    assert snapshot(engine) == snapshot(reference)
    reference.dispose()


@pytest.mark.parametrize("chunk", [1, 2, 2000])
def test_a_record_repeated_after_its_work_was_merged_names_the_work_it_was_merged_into(engine, monkeypatch,
                                                                                      chunk):
    """Within one ingest of a new label, earlier records are remembered rather than looked up again; the
    remembered work may since have been merged away by an identifier bridge."""
    monkeypatch.setattr(ingest_module, "CHUNK", chunk)
    first = Record(source="bench", source_id="a", pmid="11", title="Homework in coaching: a cohort", year=2021)
    batch = [first,
             Record(source="bench", source_id="b", doi="10.9/b", title="Sleep and memory consolidation", year=2019),
             Record(source="bench", source_id="c", pmid="11", doi="10.9/b", title="Homework in coaching: a cohort",
                    year=2021),                                                   # joins a's work and b's
             first]                                                              # a again: unchanged
    with transaction(engine) as s:
        report = ingest_records(s, batch, Provenance(origin="import", actor="test"), matcher=matcher_for(s))
        assert [c for c, _ in report.classifications][-1] == "unchanged"
        repeated = s.get(Work, report.classifications[-1][1])
        stored = s.scalars(select(SourceRecord).where(SourceRecord.source == "bench",
                                                      SourceRecord.source_id == "a")).one()
        assert repeated.merged_into_id is None and repeated.id == stored.work_id == report.classifications[2][1]


@pytest.mark.parametrize("chunk", [1, 2, 2000])
def test_keywords_a_later_record_brings_are_kept_on_a_work_already_written(engine, tmp_path, monkeypatch, chunk):
    """A work's row is written with its chunk before a later chunk's report of it adds keywords: they are written
    too, as the record-at-a-time path keeps them on its ORM object."""
    batch = [Record(source="wos", source_id="1", doi="10.7/k", title=T1, year=2024, keywords=["homework"]),
             Record(source="pubmed", source_id="2", pmid="2", title=T2, year=2020),
             Record(source="scopus", source_id="3", doi="10.7/k", title=T1, year=2024,
                    keywords=["coaching", "homework"])]
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    with transaction(reference) as s:
        for r in batch:
            _ingest_one(s, r, Provenance(origin="import"), matcher_for(s), IngestReport())
    with transaction(reference) as s:
        expected = s.scalars(select(Work.keywords).where(Work.doi == "10.7/k")).one()
    reference.dispose()
    monkeypatch.setattr(ingest_module, "CHUNK", chunk)
    with transaction(engine) as s:
        report = ingest_records(s, batch, Provenance(origin="import"), matcher=matcher_for(s))
    assert [c for c, _ in report.classifications] == ["new", "new", "already-queued"]
    with transaction(engine) as s:
        assert s.scalars(select(Work.keywords).where(Work.doi == "10.7/k")).one() == expected == [
            "homework", "coaching"]


def test_chunked_ingest_of_the_same_records_again_changes_nothing(engine, monkeypatch):
    monkeypatch.setattr(ingest_module, "CHUNK", 4)
    prov = Provenance(origin="import", actor="test")
    with transaction(engine) as s:
        ingest_records(s, records(), prov, matcher=matcher_for(s))
    before = snapshot(engine)
    with transaction(engine) as s:
        again = ingest_records(s, records(), prov, matcher=matcher_for(s))
    assert again.counts["unchanged"] == len(records())
    assert snapshot(engine) == before


def test_a_stream_that_fails_part_way_leaves_nothing_written(engine, monkeypatch):
    monkeypatch.setattr(ingest_module, "CHUNK", 2)

    def stream():
        yield from records()[:5]
        raise ValueError("bad record 6")

    with pytest.raises(ValueError), transaction(engine) as s:
        ingest_records(s, stream(), Provenance(origin="import"), matcher=matcher_for(s))
    with transaction(engine) as s:
        assert s.scalars(select(Work)).first() is None
        assert s.scalars(select(SourceRecord)).first() is None


def _refuse_source_id(engine, source_id: str) -> None:
    """A trigger that makes the database itself refuse one source record (as a full disk or a constraint would)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.source_id = '{source_id}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON source_records FOR EACH ROW "
                                 "EXECUTE FUNCTION refuse_row()")
        else:
            conn.exec_driver_sql(f"CREATE TRIGGER refuse BEFORE INSERT ON source_records WHEN NEW.source_id = "
                                 f"'{source_id}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")


def test_a_row_the_database_refuses_fails_the_ingest_and_leaves_nothing(engine, monkeypatch):
    """The database refuses a row of a bulk write (COPY, executemany) in the second chunk: the error reaches the
    caller and the transaction holds nothing, not even the first chunk."""
    monkeypatch.setattr(ingest_module, "CHUNK", 4)
    _refuse_source_id(engine, "6")
    batch = [Record(source="pubmed", source_id=str(i), pmid=str(i), title=f"{T1} part {i}", year=2024)
             for i in range(1, 12)]
    with pytest.raises(Exception, match="refused by the test"), transaction(engine) as s:
        ingest_records(s, iter(batch), Provenance(origin="import"), matcher=matcher_for(s))
    with transaction(engine) as s:
        assert s.scalars(select(Work)).first() is None
        assert s.scalars(select(SourceRecord)).first() is None


def test_the_json_view_stored_with_the_hash_is_the_records_view(engine):
    """The bulk path stores the canonical JSON it hashed instead of serialising the view again: read back, it is
    the record's view (non-ASCII text, lists and relations included) and the hash is the record's own."""
    rec = Record(source="wos", source_id="WOS:9", title="Hausaufgaben zwischen den Sitzungen: Präferenzen – «études»",
                 authors=["Müller, Jürgen", "Ødegård, Åse"], year=2024, keywords=["Übung", "homework"],
                 issn=["1234-5678"], abstract="Ein Versuch mit 120 Klient:innen.")
    with transaction(engine) as s:
        ingest_records(s, [rec], Provenance(origin="import"), matcher=matcher_for(s))
    with transaction(engine) as s:
        stored = s.scalars(select(SourceRecord)).one()
        assert stored.record == rec.to_json_dict()
        assert stored.content_hash == rec.content_hash()
        assert Record.from_json_dict(stored.record) == rec


def test_a_large_ingest_refreshes_the_planners_statistics_as_it_grows(engine, monkeypatch):
    """A new store's statistics describe its seed works (every PMID null): kept through a large import they make
    each PMID lookup a scan of everything written so far. The ingest refreshes them as it grows, inside its
    transaction; on SQLite the sampling limit it sets is put back for the connection's later ANALYZEs."""
    monkeypatch.setattr(ingest_module, "CHUNK", 5)
    monkeypatch.setattr(ingest_module, "ANALYZE_AFTER", 10)
    batch = [Record(source="pubmed", source_id=str(i), pmid=str(i), title=f"{T2} cohort {i}", year=2020)
             for i in range(1, 41)]
    with transaction(engine) as s:
        ingest_records(s, batch, Provenance(origin="import"), matcher=matcher_for(s))
        conn = s.connection()
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_source_records_pmid'").scalar()
            assert rows is not None and int(rows.split()[0]) >= 10  # counted rows this transaction wrote
            assert conn.exec_driver_sql("PRAGMA analysis_limit").scalar() == 0
        else:
            analyzed = conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE oid = 'source_records'::regclass").scalar()
            assert analyzed >= 10


def _indexes(conn) -> dict[str, str]:
    """The store's index definitions: name -> SQL (SQLite) or definition (PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        return dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all())
    return dict(conn.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()").all())


def test_a_large_ingest_sets_the_report_indexes_aside_and_builds_them_again(engine, monkeypatch):
    """On SQLite a large ingest into a store it makes up most of drops the indexes its lookups do not use and
    builds them again, as they were, before it ends; PostgreSQL keeps them (dropping one would lock out readers)."""
    monkeypatch.setattr(ingest_module, "CHUNK", 5)
    monkeypatch.setattr(ingest_module, "DEFER_INDEXES_AFTER", 10)
    with transaction(engine) as s:
        before = _indexes(s.connection())
    assert set(bulk_module.DEFERRABLE_INDEXES) <= set(before)
    during: list[set[str]] = []

    def stream():
        for i in range(1, 41):
            if i == 30:
                with engine.connect() as other:  # a reader while the ingest is under way still has them
                    assert set(bulk_module.DEFERRABLE_INDEXES) <= set(_indexes(other))
                during.append(set(_indexes(s.connection())))
            yield Record(source="pubmed", source_id=str(i), pmid=str(i), title=f"{T1} wave {i}", year=2020)

    with transaction(engine) as s:
        report = ingest_records(s, stream(), Provenance(origin="import"), matcher=matcher_for(s))
        assert _indexes(s.connection()) == before
    assert report.counts["new"] == 40
    missing = set(before) - during[0]
    assert missing == (set(bulk_module.DEFERRABLE_INDEXES) if engine.dialect.name == "sqlite" else set())
    with transaction(engine) as s:
        assert _indexes(s.connection()) == before
        assert len(s.scalars(select(Work).where(Work.status == "queued")).all()) == 40


def test_an_ingest_that_fails_after_setting_indexes_aside_leaves_them_all(engine, monkeypatch):
    monkeypatch.setattr(ingest_module, "CHUNK", 5)
    monkeypatch.setattr(ingest_module, "DEFER_INDEXES_AFTER", 10)
    with transaction(engine) as s:
        before = _indexes(s.connection())

    def stream():
        for i in range(1, 41):
            yield Record(source="pubmed", source_id=str(i), pmid=str(i), title=f"{T1} wave {i}", year=2020)
        raise RuntimeError("the file ends badly")

    with pytest.raises(RuntimeError, match="ends badly"), transaction(engine) as s:
        ingest_records(s, stream(), Provenance(origin="import"), matcher=matcher_for(s))
    with transaction(engine) as s:
        assert _indexes(s.connection()) == before
        assert s.scalars(select(Work).where(Work.origin == "import")).first() is None


def test_an_ingest_into_a_store_mostly_there_before_keeps_its_indexes(engine, monkeypatch):
    monkeypatch.setattr(ingest_module, "CHUNK", 5)
    with transaction(engine) as s:
        ingest_records(s, [Record(source="wos", source_id=f"W{i}", title=f"{T2} sample {i}", year=2019)
                           for i in range(60)], Provenance(origin="import"), matcher=matcher_for(s))
        before = _indexes(s.connection())
    monkeypatch.setattr(ingest_module, "DEFER_INDEXES_AFTER", 10)
    during: list[set[str]] = []

    def stream():
        for i in range(1, 21):
            if i == 18:
                during.append(set(_indexes(s.connection())))
            yield Record(source="pubmed", source_id=str(i), pmid=str(i), title=f"{T1} wave {i}", year=2020)

    with transaction(engine) as s:
        ingest_records(s, stream(), Provenance(origin="import"), matcher=matcher_for(s))
    assert during == [set(before)]
