"""Shared test fixtures: paths to fixtures; database fixtures live in tests/store/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


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
