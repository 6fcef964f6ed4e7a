"""The full-text index stays right on every write path (SQLite FTS5 + triggers, PostgreSQL generated tsvector),
and no text a person types makes a search fail."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from livereview.records.model import Record
from livereview.store import ingest as ingest_module
from livereview.store.db import reading, transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.merge import merge_works, undo_merge
from livereview.store.models import Work
from livereview.store.search import MAX_WORDS, fts5_expression, parse, search_ids, tsquery_expression


def ingest(engine, records, **kw):
    with transaction(engine) as s:
        return ingest_records(s, records, Provenance(origin="import", actor="test"), matcher=matcher_for(s), **kw)


def found(engine, q: str) -> list[int]:
    with reading(engine) as s:
        return search_ids(s, q)


def one(engine, **where) -> int:
    with reading(engine) as s:
        return s.scalars(select(Work.id).filter_by(**where)).one()


def test_every_indexed_field_finds_a_new_work(engine):
    ingest(engine, [Record(source="pubmed", source_id="31000001", pmid="31000001", doi="10.1186/s12888-020-0001-x",
                           title="Between-session homework in cognitive therapy", abstract="Adherence predicted "
                           "remission of depressive symptoms.", authors=["Østergaard, Søren", "Kazantzis, N."],
                           journal="BMC Psychiatry", year=2020),
                    Record(source="pubmed", source_id="31000002", pmid="31000002", title="Sleep and memory",
                           abstract="Consolidation during slow-wave sleep.", authors=["Walker, M."],
                           journal="Neuron", year=2019)])
    wid = one(engine, pmid="31000001")
    for q in ("homework", "cognitive therapy", "adherence remission", "depressive", "depression",   # stemmed
              "kazantzis", "Østergaard", "BMC psychiatry", "31000001", "10.1186/s12888-020-0001-x",
              "https://doi.org/10.1186/S12888-020-0001-X", "PMID: 31000001", "homew", "Homework  THERAPY"):
        assert found(engine, q) == [wid], q
    assert found(engine, "homework sleep") == []          # every word must match
    assert found(engine, "homework ") == [wid]             # a trailing space: no prefix, still the whole word


def test_a_field_update_through_the_orm_or_plain_sql_moves_the_index(engine):
    ingest(engine, [Record(source="pubmed", source_id="1", pmid="1", title="Coaching homework", year=2020)])
    wid = one(engine, pmid="1")
    with transaction(engine) as s:
        w = s.get(Work, wid)
        w.title = "Counselling assignments"
        w.abstract = "Engagement with written tasks"
        w.journal = "Psychotherapy Research"
        w.authors = ["Nguyen, Thi"]
    assert found(engine, "coaching") == []
    for q in ("counselling", "engagement", "psychotherapy research", "nguyen"):
        assert found(engine, q) == [wid], q
    with transaction(engine) as s:   # a write that bypasses the ORM (a migration, a repair script)
        s.execute(text("UPDATE works SET abstract = 'Mindfulness retreat', pmid = '777' WHERE id = :i"), {"i": wid})
    assert found(engine, "engagement") == [] and found(engine, "mindfulness") == [wid]
    assert found(engine, "777") == [wid]
    with transaction(engine) as s:   # a write to a column the index does not hold leaves it as it was
        s.get(Work, wid).status = "excluded"
    assert found(engine, "mindfulness") == [wid]


def test_merge_and_unmerge_keep_the_index_right(engine):
    ingest(engine, [Record(source="pubmed", source_id="1", pmid="1", title="A study of homework", year=2020),
                    Record(source="wos", source_id="W1", doi="10.1/dup", title="A study of homework.",
                           abstract="Telehealth delivery of assignments.", year=2020)])
    kept, merged = one(engine, pmid="1"), one(engine, doi="10.1/dup")
    assert found(engine, "telehealth") == [merged]
    with transaction(engine) as s:
        m = merge_works(s, s.get(Work, kept), s.get(Work, merged), rule="manual", actor="ann")
        merge_id = m.id
    # the kept work now holds the abstract and the DOI; the merged one is never listed on its own
    assert found(engine, "telehealth") == [kept]
    assert found(engine, "10.1/dup") == [kept]
    assert found(engine, "study homework") == [kept]
    with transaction(engine) as s:
        undo_merge(s, merge_id, actor="ann")
    assert found(engine, "telehealth") == [merged]
    assert found(engine, "10.1/dup") == [merged]
    assert sorted(found(engine, "study homework")) == sorted([kept, merged])


@pytest.mark.parametrize("chunk", [1, 2000])
def test_a_bulk_import_indexes_new_works_and_the_fields_later_records_fill(engine, monkeypatch, chunk):
    """The bulk writer (COPY on PostgreSQL, executemany on SQLite, indexes set aside on a big SQLite ingest) and
    its later UPDATE of fields a record fills on a work written earlier."""
    monkeypatch.setattr(ingest_module, "CHUNK", chunk)
    monkeypatch.setattr(ingest_module, "DEFER_INDEXES_AFTER", 10)
    batch = [Record(source="pubmed", source_id=str(i), pmid=str(1000 + i), title=f"Wave {i} of a coaching cohort",
                    year=2020) for i in range(40)]
    batch.append(Record(source="crossref", source_id="x", pmid="1003", title="Wave 3 of a coaching cohort",
                        abstract="Gratitude journaling outcomes.", year=2020))
    report = ingest(engine, batch)
    assert report.counts["new"] == 40
    with reading(engine) as s:
        assert len(search_ids(s, "coaching cohort", limit=1000)) == 40
    assert found(engine, "gratitude journaling") == [one(engine, pmid="1003")]
    assert found(engine, "wave 17") == [one(engine, pmid="1017")]


def test_no_text_makes_a_search_fail(engine):
    ingest(engine, [Record(source="pubmed", source_id="1", pmid="1", title='Homework "quoted" (NEAR) AND-or*',
                           year=2020)])
    wid = one(engine, pmid="1")
    nasty = ['"', "'", '"homework', "homework*", "*", "(", ")", "NEAR(homework quoted)", "homework AND", "OR", "NOT x",
             "title:homework", "^homework", "-homework", "homework:*", "!homework", "a & b | c", "<->", "\\", "%_",
             "x" * 10_000, "homework " * 5_000, "\x00homework", "😀 homework", "{}[]", "10.", "10./", "pmid:",
             "؟", "    "]
    for q in nasty:
        assert isinstance(found(engine, q), list), q
    assert found(engine, '"homework') == [wid] and found(engine, "NEAR(homework quoted)") == [wid]
    assert found(engine, "title:homework") == []   # "title" is a word here, not a column filter


def test_query_text_is_quoted_words_only():
    q = parse('heart "failure" OR (NEAR) dia')
    assert q.words == ("heart", "failure", "or", "near", "dia") and q.prefix
    assert fts5_expression(q) == '"heart" "failure" "or" "near" "dia"*'
    assert tsquery_expression(q) == "'heart' & 'failure' & 'or' & 'near' & 'dia':*"
    assert not parse("heart ").prefix and not parse("heart)").prefix
    assert len(parse("w " * 1000).words) == MAX_WORDS
    assert parse("10.1000/ABC").doi == "10.1000/abc" and parse("PMID 123").pmid == "123"
    assert parse('"*()').empty
