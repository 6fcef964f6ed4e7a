"""`livereview protocol estimate` and the first-run volume check, as a user runs them, on recorded count responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import responses
from chase_replay import CR, EP, OA, PM, load
from cli_runner import run_cli

from livereview.settings import BUNDLED_PROTOCOL


@pytest.fixture
def env(tmp_path):
    return {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data"), "LIVEREVIEW_PUBMED_BASE_URL": PM,
            "LIVEREVIEW_EUROPEPMC_BASE_URL": EP, "LIVEREVIEW_OPENALEX_BASE_URL": OA,
            "LIVEREVIEW_CROSSREF_BASE_URL": CR, "LIVEREVIEW_OPENALEX_API_KEY": "oa-secret", "PREFECT_API_URL": ""}


def counts(rsps, pubmed_file="pubmed/esearch_handwritten_count_only.xml"):
    rsps.add(responses.GET, f"{PM}esearch.fcgi", body=load(pubmed_file))
    rsps.add(responses.POST, f"{PM}esearch.fcgi", body=load(pubmed_file))
    rsps.add(responses.GET, f"{CR}works", body=load("crossref/worklist_zero_results.json"))


def test_estimate_prints_the_issue_json_and_the_digest_finds_it(env):
    assert run_cli("init", env=env).returncode == 0
    # GET or POST esearch: long queries (author keywords ORed in as [ot]) go by POST
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        counts(rsps)
        res = run_cli("protocol", "estimate", "--source", "pubmed", "--source", "crossref", "--json", env=env)
        pubmed_calls = [c for c in rsps.calls if "esearch" in c.request.url]
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["capacity_per_week"] == 60 and data["per_week_total"] == 12.0   # 4 queries x 12 per 4 weeks
    assert data["sources"]["pubmed"]["queries"]["coaching"] == {"backfill": 12, "per_week": 3.0}
    assert data["sources"]["crossref"]["queries"] == {"toc": {"backfill": 0, "per_week": 0.0}}
    assert len(pubmed_calls) == 2 * 5           # 4 fetched queries + the null-results sub-query, 2 windows each

    from sqlalchemy import create_engine

    from livereview.protocols.model import load_protocol
    from livereview.store.db import transaction
    from livereview.store.estimates import latest_estimate

    engine = create_engine(f"sqlite:///{env['LIVEREVIEW_DATA_DIR']}/livereview.db")
    with transaction(engine) as s:
        version, _when, stored = latest_estimate(s, "ia-coaching")
    engine.dispose()
    assert version == load_protocol(BUNDLED_PROTOCOL).review.version and stored == data


def test_estimate_as_text_names_a_source_it_could_not_count_and_exits_4(env):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        counts(rsps)
        rsps.add(responses.GET, f"{OA}works", status=401, json={"error": "Invalid API key", "message": "bad key"})
        res = run_cli("protocol", "estimate", "--source", "pubmed", "--source", "openalex", env=env)
    assert res.returncode == 4
    assert "pubmed:coaching" in res.stdout and "expected 12.0 records/week" in res.stdout
    assert "capacity of 60" in res.stdout
    assert res.stderr.strip().startswith("openalex: not counted:") and "Traceback" not in res.stderr
    bad = run_cli("protocol", "estimate", "--source", "feeds", env=env)
    assert bad.returncode == 2 and "cannot count feeds" in bad.stderr


def test_a_first_run_over_capacity_stops_before_fetching_unless_accepted(env):
    assert run_cli("init", env=env).returncode == 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        counts(rsps, "pubmed/esearch_usehistory_webenv_mcid_2025.xml")     # 42,249 a query
        res = run_cli("run", "--source", "pubmed", "--no-alert", env=env)
        assert not any("efetch" in c.request.url for c in rsps.calls)
    assert res.returncode == 8
    line = res.stderr.strip()
    assert "\n" not in line and f"about {4 * 42249} records" in line and "--accept-volume" in line
    assert date.today().isoformat() in line


def test_the_scheduled_flow_stops_a_first_run_over_capacity_before_fetching_unless_the_setting_accepts(
        env, monkeypatch):
    """The unattended path (Prefect's ``monitor`` flow body): the same check, one line, the maintainer alerted
    (the outbox, no SMTP here), the estimate kept for the digest; LIVEREVIEW_ACCEPT_VOLUME lets it start."""
    from sqlalchemy import create_engine, select

    from livereview.errors import VolumeRefusedError
    from livereview.flows.monitor import run_monitor
    from livereview.store.db import transaction
    from livereview.store.estimates import latest_estimate
    from livereview.store.models import Run

    assert run_cli("init", env=env).returncode == 0
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        counts(rsps, "pubmed/esearch_usehistory_webenv_mcid_2025.xml")     # 42,249 a query
        with pytest.raises(VolumeRefusedError) as refused:
            run_monitor(sources=["pubmed"], alert=True)
        assert not any("efetch" in c.request.url for c in rsps.calls)
    line = str(refused.value)
    assert "\n" not in line and f"about {4 * 42249} records" in line and "LIVEREVIEW_ACCEPT_VOLUME" in line
    assert refused.value.exit_code == 8
    alerts = [p.read_text(errors="replace") for p in (Path(env["LIVEREVIEW_DATA_DIR"]) / "outbox").iterdir()]
    assert any("first run not started (volume)" in a for a in alerts)
    engine = create_engine(f"sqlite:///{env['LIVEREVIEW_DATA_DIR']}/livereview.db")
    try:
        with transaction(engine) as s:
            assert s.scalars(select(Run).where(Run.flow == "monitor")).all() == []     # nothing started
        monkeypatch.setenv("LIVEREVIEW_ACCEPT_VOLUME", "true")
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            counts(rsps, "pubmed/esearch_usehistory_webenv_mcid_2025.xml")
            summary = run_monitor(sources=["pubmed"], alert=False)
        assert summary["run_id"]           # it started: the run is recorded (its fetch fails on this stand-in)
        with transaction(engine) as s:
            assert s.scalars(select(Run).where(Run.flow == "monitor")).all()
            # a pubmed-only check counted one source: not kept as "the last estimate" (the digest's per-week figure
            # must cover every source)
            assert latest_estimate(s, "ia-coaching") is None
    finally:
        engine.dispose()
