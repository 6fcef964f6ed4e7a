from sqlalchemy import func, select

from flows.init_store import init_store, read_seed_corpus
from store.db import transaction
from store.models import Decision, ProtocolVersion, SourceRecord, Work


def test_init_loads_the_50_included_studies_and_a_second_init_changes_nothing(engine, protocol):
    first = init_store(engine, protocol)
    assert first.seed == {"new": 50}
    second = init_store(engine, protocol)
    assert second.seed == {"unchanged": 50}
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Work)) == 50
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 50
        assert s.scalar(select(func.count()).select_from(Decision)) == 50
        assert s.scalar(select(func.count()).select_from(ProtocolVersion)) == 1
        statuses = s.execute(select(Work.domain, Work.status, func.count()).group_by(Work.domain, Work.status)).all()
        assert sorted(statuses) == [("coaching", "included", 7), ("therapy-counselling", "included", 43)]
        bryant = s.scalars(select(Work).where(Work.doi == "10.1023/a:1018703901116")).one()
        assert bryant.year == 1999 and bryant.authors[0] == "Bryant, M.J."


def test_seed_rows_become_records_with_types_and_dois(protocol):
    rows = read_seed_corpus(protocol.seed_corpus_path, "ia-coaching")
    assert len(rows) == 50
    recs = [r for r, _ in rows]
    assert sum(1 for r in recs if r.doi) >= 30
    assert {r.source for r in recs} == {"seed:ia-coaching"}
    assert recs[1].publication_types[0] == "book-chapter"
