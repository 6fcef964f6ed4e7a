from sqlalchemy import func, select

from livereview.flows.init_store import init_store, read_seed_corpus
from livereview.store.db import transaction
from livereview.store.models import Decision, ProtocolVersion, SourceRecord, Work


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


def test_a_store_made_from_the_1_0_0_seed_corpus_takes_the_corrected_rows_without_duplicating_studies(
        engine, protocol, tmp_path):
    """Rows that gained a DOI (S13, S18, S22, S24) stay their work; S10, now another work, is added, not moved."""
    import shutil
    from pathlib import Path

    from livereview.protocols.model import parse_protocol

    old_dir = tmp_path / "old"
    old_dir.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "seed_corpus_1.0.0.csv",
                old_dir / "ia-coaching-included.csv")
    shutil.copy(Path(protocol.path).parent / "ia-coaching-extraction.csv", old_dir)
    old_text = protocol.text.replace('version = "1.1.0"', 'version = "1.0.9"', 1)
    init_store(engine, parse_protocol(old_text, old_dir / "ia-coaching.toml"))
    init_store(engine, protocol)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Work)) == 51          # + the S10 book
        for doi in ("10.1037/0022-006x.59.4.507", "10.1037/0022-006x.59.2.305", "10.1093/clipsy.6.3.267",
                    "10.1002/cpp.481"):
            work = s.scalars(select(Work).where(Work.doi == doi)).one()
            assert work.status == "included"
        assert s.scalar(select(func.count()).select_from(Decision)) == 51
