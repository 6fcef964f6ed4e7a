"""Ranking fixtures: a store as ``livereview init`` leaves it (protocol registered, 50 included studies)."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(engine, protocol):
    from livereview.flows.init_store import init_store

    init_store(engine, protocol)
    return engine
