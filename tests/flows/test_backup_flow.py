"""The ``nightly-backup`` flow under a real (temporary) Prefect server: a new backup, the newest N kept."""

from __future__ import annotations

import pytest

from livereview.flows.init_store import init_store
from livereview.settings import load_settings
from livereview.store.backup import nightly_name, read_manifest
from livereview.store.db import make_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_the_nightly_flow_writes_a_backup_and_keeps_the_newest_n(prefect, protocol, tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from livereview.flows.backup import nightly_backup

    folder = tmp_path / "backups"
    monkeypatch.setenv("LIVEREVIEW_BACKUP_DIR", str(folder))
    monkeypatch.setenv("LIVEREVIEW_BACKUP_KEEP", "3")
    engine = make_engine(load_settings().resolved_database_url)
    try:
        init_store(engine, protocol)
    finally:
        engine.dispose()
    folder.mkdir()
    old = [folder / nightly_name(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d)) for d in range(4)]
    for path in old:
        path.write_bytes(b"an older night")

    result = nightly_backup()
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 3 and kept[:2] == [p.name for p in old[2:]]
    newest = folder / kept[-1]
    assert str(newest) == result["path"]
    assert read_manifest(newest)["counts"]["works"] == result["counts"]["works"] > 0
    assert sorted(result["deleted"]) == [str(p) for p in old[:2]]
