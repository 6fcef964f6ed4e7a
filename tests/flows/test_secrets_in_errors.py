"""A source whose error body echoes the API key: the key reaches neither the store, nor the log, nor the summary."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from livereview.flows.init_store import init_store
from livereview.flows.monitor import execute_monitor
from livereview.store.db import reading
from livereview.store.models import Run, SourceRun


def test_an_echoed_api_key_is_scrubbed_from_source_runs_the_run_and_the_log(engine, settings, replay,
                                                                              replay_protocol, caplog):
    init_store(engine, replay_protocol)
    key = settings.openalex_api_key.get_secret_value()
    replay.replay.fail("openalex", status=500, times=100,
                       body=f"Unauthorized: the key {key} is not valid for this endpoint".encode())
    caplog.set_level(logging.DEBUG)
    summary = execute_monitor(settings, replay_protocol, engine, sources=["openalex"], alert=False)
    assert summary["status"] == "failed"
    with reading(engine) as s:
        errors = [sr.error for sr in s.scalars(select(SourceRun))]
        run = s.scalars(select(Run)).one()
        assert errors and all(e and "not valid for this endpoint" in e for e in errors)
        assert all(key not in e for e in errors)
        assert key not in (run.error or "") and key not in json.dumps(run.summary)
    assert key not in caplog.text and "***" in caplog.text
