"""Manual databases: an import records which protocol query it answers; last import per database; exports due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from livereview.digests.reminders import reminders
from livereview.errors import ConfigError
from livereview.flows.file_import import import_file
from livereview.flows.init_store import init_store
from livereview.store.db import transaction
from livereview.store.manual import last_manual_imports, manual_exports_due
from livereview.store.models import Import

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
RIS = EXPORTS / "ebsco_psycinfo_academic_search.ris"


@pytest.fixture
def store(engine, protocol):
    init_store(engine, protocol)
    return engine


def test_an_import_labelled_with_a_manual_database_records_its_query_and_last_import(store, protocol):
    import_file(store, protocol, RIS, source="psycinfo")
    import_file(store, protocol, EXPORTS / "wos_plaintext_handwritten.txt", source="wos-2026-q4", database="wos")
    with transaction(store) as s:
        assert {i.source: i.manual_query for i in s.scalars(select(Import))} == {"psycinfo": "psycinfo",
                                                                                 "wos-2026-q4": "wos"}
        last = last_manual_imports(s, ["psycinfo", "wos", "ebsco"])
        assert last["psycinfo"] is not None and last["wos"] is not None and last["ebsco"] is None


def test_an_unknown_query_name_is_refused_before_anything_is_written(store, protocol):
    with pytest.raises(ConfigError, match="--database scopus: no such manual database"):
        import_file(store, protocol, RIS, source="psycinfo", database="scopus")
    with transaction(store) as s:
        assert s.scalars(select(Import)).first() is None


def test_exports_are_due_after_their_refresh_interval_and_the_digest_reminds_the_team(store, protocol):
    import_file(store, protocol, RIS, source="psycinfo")
    now = datetime.now(UTC)
    with transaction(store) as s:
        due = {m.name: m.due for m in manual_exports_due(s, {"psycinfo": 90, "wos": 90}, now)}
        assert due == {"psycinfo": False, "wos": True}
        s.execute(update(Import).values(imported_at=now - timedelta(days=100)))
    with transaction(store) as s:
        (status,) = manual_exports_due(s, {"psycinfo": 90}, now)
        assert status.due and status.overdue_days == 10
        lines = reminders(s, protocol, now)
    assert any(line.startswith("Manual search due: APA PsycInfo (last imported ") for line in lines)
    assert any("Google Scholar (never imported" in line and "search it by hand" in line for line in lines)
    assert len(lines) == len(protocol.manual)
