"""`livereview export` -> `livereview import` into an empty store: the same works (identifiers, titles, authors)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pgschema import private_schema
from sqlalchemy import select

from livereview.connectors.files.write import WRITERS
from livereview.flows.file_import import import_file
from livereview.store.db import make_engine, migrate, reading
from livereview.store.models import Work
from livereview.store.queries import works_for_export

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT.parent / "shared" / "realdata" / "exports" / "wos_export_ris_format.txt",
         ROOT / "tests" / "fixtures" / "exports" / "pubmed_export.nbib",
         ROOT / "tests" / "fixtures" / "exports" / "endnote_library.xml",
         ROOT / "tests" / "fixtures" / "exports" / "api" / "work_W2741809807_full_2025.json"]


@pytest.fixture
def empty_store(database_url, tmp_path):
    """A second, empty store on the same back-end as ``engine``."""
    if database_url.startswith("sqlite"):
        eng = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    with private_schema(os.environ["LIVEREVIEW_TEST_POSTGRES_URL"], prefix="t") as url:
        eng = make_engine(url)
        migrate(eng)
        try:
            yield eng
        finally:
            eng.dispose()


def identities(engine) -> list[tuple]:
    with reading(engine) as s:
        works = s.scalars(select(Work).where(Work.merged_into_id.is_(None))).all()
        return sorted((w.doi or "", w.pmid or "", w.pmcid or "", w.openalex_id or "", w.title or "",
                       tuple(w.authors or [])) for w in works)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_export_then_import_into_an_empty_store_is_an_identity(engine, empty_store, protocol, tmp_path, fmt):
    for path in FILES:
        if path.is_file():
            import_file(engine, protocol, path, source=path.stem)
    before = identities(engine)
    assert len(before) >= 6
    out = io.StringIO()
    with reading(engine) as s:
        WRITERS[fmt](works_for_export(s, "all"), out)
    exported = tmp_path / f"export.{fmt}"
    exported.write_text(out.getvalue(), encoding="utf-8")
    rep = import_file(empty_store, protocol, exported, source="export", fmt=fmt)
    assert rep.counts.get("new") == len(before)
    assert identities(empty_store) == before
