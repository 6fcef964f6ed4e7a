"""Fixtures for flow tests: a loopback replay of every source and a store initialised from a test protocol."""

from __future__ import annotations

import shutil

import pytest
from replay_server import ReplayServer

from livereview.protocols.model import load_protocol
from livereview.settings import BUNDLED_PROTOCOL, load_settings


@pytest.fixture
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def replay_env(replay, monkeypatch):
    for k, v in replay.env().items():
        monkeypatch.setenv(k, v)
    return replay.env()


@pytest.fixture
def replay_protocol_path(replay, tmp_path):
    folder = tmp_path / "protocol"
    folder.mkdir()
    shutil.copy(BUNDLED_PROTOCOL.parent / "ia-coaching-included.csv", folder)
    shutil.copy(BUNDLED_PROTOCOL.parent / "ia-coaching-extraction.csv", folder)
    path = folder / "ia-coaching.toml"
    path.write_text(replay.protocol_text(BUNDLED_PROTOCOL.read_text()))
    return path


@pytest.fixture
def replay_protocol(replay_protocol_path):
    return load_protocol(replay_protocol_path)


@pytest.fixture
def settings(replay_env, database_url, monkeypatch):
    monkeypatch.setenv("LIVEREVIEW_DATABASE_URL", database_url)
    return load_settings()
