"""File import into the store: every real export, prior decisions, idempotence, all-or-nothing refusal."""

import json
from pathlib import Path

import pytest
from cli_runner import run_cli
from sqlalchemy import func, select

from livereview.errors import InputFileError
from livereview.flows.file_import import import_file
from livereview.flows.init_store import init_store
from livereview.store.db import transaction
from livereview.store.ingest import PriorDecision
from livereview.store.models import Decision, Import, SourceRecord, Work

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
REAL_EXPORTS = sorted(p for p in EXPORTS.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")


def count(engine, model):
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def store(engine, protocol):
    init_store(engine, protocol)
    return engine


@pytest.mark.parametrize("path", REAL_EXPORTS, ids=lambda p: p.name)
def test_every_export_imports_and_a_second_import_changes_nothing(store, protocol, path):
    rep = import_file(store, protocol, path, source="test")
    assert rep.records > 0 and rep.import_id is not None
    assert sum(v for k, v in rep.counts.items() if k != "records") == rep.records
    works, records = count(store, Work), count(store, SourceRecord)
    again = import_file(store, protocol, path, source="test")
    assert again.already_imported and again.import_id == rep.import_id
    assert (count(store, Work), count(store, SourceRecord)) == (works, records)


def test_prior_decisions_from_the_2023_screening_are_carried_in(store, protocol):
    path = EXPORTS / "ebsco_psycinfo_academic_search.ris"
    prior = PriorDecision("exclude", "title-abstract", "2023 team", "E3")
    rep = import_file(store, protocol, path, source="psycinfo-2023", prior=prior)
    with transaction(store) as s:
        statuses = s.scalars(select(Work.status).join(SourceRecord, SourceRecord.work_id == Work.id)
                             .where(SourceRecord.import_id == rep.import_id)).all()
        assert statuses and set(statuses) == {"excluded"}
        assert s.scalar(select(func.count()).select_from(Decision).where(Decision.reviewer == "2023 team")) == len(
            statuses)


def test_a_dry_run_counts_but_writes_nothing(store, protocol):
    before = (count(store, Work), count(store, SourceRecord), count(store, Import))
    rep = import_file(store, protocol, EXPORTS / "scopus_export.ris", source="scopus", dry_run=True)
    assert rep.dry_run and rep.records == 2 and rep.import_id is None
    assert (count(store, Work), count(store, SourceRecord), count(store, Import)) == before


@pytest.mark.parametrize(("content", "fmt", "problem"), [
    (b"", "auto", "empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "auto", "PDF"),
    (b"TY  - JOUR\nTI  - Homework in CBT\nAU  - Smith, J\nER  - \n\nTY  - JOUR\nTI  - Cut off", "ris", "truncated"),
    (b'{"status": "ok", "message-type": "work-list", "message": {"items": [', "crossref-json", "JSON"),
    (b"a,b\n1,2\n", "csv", "title"),
    (b"TY  - JOUR\nTI  - x\nER  - \n", "nbib", "format"),
])
def test_bad_files_are_refused_with_one_line_and_nothing_written(store, protocol, tmp_path, content, fmt, problem):
    bad = tmp_path / "refs.dat"
    bad.write_bytes(content)
    before = (count(store, Work), count(store, SourceRecord), count(store, Import))
    with pytest.raises(InputFileError) as info:
        import_file(store, protocol, bad, source="x", fmt=fmt)
    msg = str(info.value)
    assert "refs.dat" in msg and "\n" not in msg
    assert problem.lower() in msg.lower(), msg
    assert (count(store, Work), count(store, SourceRecord), count(store, Import)) == before


def test_cli_dry_run_json_prints_normalised_records(tmp_path):
    env = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    res = run_cli("import", str(EXPORTS / "wos_export_ris_format.txt"), "--source", "wos", "--dry-run", "--json",
                  env=env)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == 10
    required = {"title", "abstract", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
                "language", "publication_types", "source", "source_id"}
    assert all(required <= set(r) for r in rows)
    assert all(r["source"] == "wos" and isinstance(r["authors"], list) and r["title"] for r in rows)
    assert not (tmp_path / "data").exists()


def test_cli_refuses_a_garbage_file_with_exit_3(tmp_path):
    env = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    assert run_cli("init", env=env).returncode == 0
    junk = tmp_path / "junk.ris"
    junk.write_bytes(bytes(range(256)) * 4)
    res = run_cli("import", str(junk), "--source", "x", env=env)
    assert res.returncode == 3
    assert res.stderr.startswith("error: ") and "junk.ris" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def _ris(n: int) -> str:
    return "".join(f"TY  - JOUR\nTI  - Homework study number {i} in coaching practice\nAU  - Author{i}, A\n"
                   f"PY  - 2020\nDO  - 10.9999/hw.{i}\nER  - \n\n" for i in range(n))


def test_a_large_file_damaged_at_its_end_writes_nothing_although_earlier_chunks_were_stored(store, protocol,
                                                                                           tmp_path):
    bad = tmp_path / "big.ris"
    bad.write_text(_ris(4500) + "TY  - JOUR\nTI  - Cut off here", encoding="utf-8")  # > two ingest chunks
    before = (count(store, Work), count(store, SourceRecord), count(store, Import))
    with pytest.raises(InputFileError) as info:
        import_file(store, protocol, bad, source="x")
    assert "truncated" in str(info.value) and "big.ris" in str(info.value)
    assert (count(store, Work), count(store, SourceRecord), count(store, Import)) == before


def test_an_import_reads_the_file_once(store, protocol, tmp_path, monkeypatch):
    path = tmp_path / "refs.ris"
    path.write_text(_ris(3), encoding="utf-8")
    reads = []
    original = Path.read_bytes

    def counting(self):
        reads.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    rep = import_file(store, protocol, path, source="x")
    assert rep.records == 3 and rep.counts["new"] == 3
    assert reads == [path]
    import_file(store, protocol, path, source="x")  # again: recognised by its hash, read once more, no parse
    assert reads == [path, path]
