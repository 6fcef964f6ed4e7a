"""Shared test fixtures: paths to fixtures; database fixtures live in tests/store/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# Tests using these fixtures start a server (SMTP on loopback, the replay server of every source): they are
# `slow`, so `make test-fast` (-m "not slow") leaves them out. Modules that start Prefect mark themselves.
SERVER_FIXTURES = frozenset({"smtp_server", "replay", "browser", "page", "live_server"})

# pytest-xdist workers: Prefect keeps local state (its SQLite database, profiles) in PREFECT_HOME; one per worker,
# set before any test module imports Prefect.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _base = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    _home = _base / f"xdist-{os.environ['PYTEST_XDIST_WORKER']}"
    _home.mkdir(parents=True, exist_ok=True)  # Prefect makes only the last folder: a PREFECT_HOME not yet made
    os.environ["PREFECT_HOME"] = str(_home)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's real data dir or keys."""
    monkeypatch.setenv("LIVEREVIEW_DATA_DIR", str(tmp_path / "data"))
    for var in ("LIVEREVIEW_DATABASE_URL", "LIVEREVIEW_NCBI_API_KEY", "LIVEREVIEW_OPENALEX_API_KEY",
                "LIVEREVIEW_SMTP_URL", "LIVEREVIEW_DIGEST_TO", "LIVEREVIEW_CONTACT_EMAIL"):
        monkeypatch.delenv(var, raising=False)


# -- databases: every store test runs on SQLite and, when LIVEREVIEW_TEST_POSTGRES_URL is set, on PostgreSQL --------
from pgschema import private_schema  # noqa: E402

POSTGRES_URL = os.environ.get("LIVEREVIEW_TEST_POSTGRES_URL")
_PG_SKIP = "LIVEREVIEW_TEST_POSTGRES_URL is not set: PostgreSQL store tests skipped (.ci/run sets it)"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a private schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(_PG_SKIP)
    with private_schema(POSTGRES_URL, prefix="t") as url:
        yield url


@pytest.fixture
def engine(database_url):
    """A migrated store on each back-end."""
    from livereview.store.db import make_engine, migrate

    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def protocol():
    from livereview.protocols.model import load_protocol
    from livereview.settings import BUNDLED_PROTOCOL

    return load_protocol(BUNDLED_PROTOCOL)


@pytest.fixture
def new_engine():
    """Factory for extra engines in a test; all disposed at teardown (no connection left open)."""
    from livereview.store.db import make_engine

    made = []

    def make(url):
        eng = make_engine(url)
        made.append(eng)
        return eng

    yield make
    for eng in made:
        eng.dispose()
