"""Decisions leaving the store from the command line, run as a user runs them: `export` (every format) with the
final decision, votes, notes and resolutions; `excluded-studies` (PRISMA 16b); and the ASReview CSV read back by
ASReview's own loader (when /work/asreview-venv holds ASReview), else by a reader of its documented CSV format."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from decided import build_decided

ASREVIEW = Path("/work/asreview-venv/bin/python")


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **env})


@pytest.fixture
def decided_env(tmp_path):
    """A CLI store (`init`: the 50 seed studies) plus the works of tests/support/decided.py, under the bundled
    protocol set to two reviewers per record (as those works were decided)."""
    from livereview.settings import BUNDLED_PROTOCOL

    text = BUNDLED_PROTOCOL.read_text(encoding="utf-8")
    assert "reviewers_per_record = 3" in text
    two = tmp_path / "two-reviewers.toml"
    two.write_text(text.replace("reviewers_per_record = 3", "reviewers_per_record = 2", 1), encoding="utf-8")
    for seed in BUNDLED_PROTOCOL.parent.glob("ia-coaching-*.csv"):     # the seed corpus the protocol names
        shutil.copy(seed, tmp_path / seed.name)
    env = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data"), "LIVEREVIEW_PROTOCOL": str(two)}
    assert run("init", env=env).returncode == 0
    from livereview.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'livereview.db'}")
    try:
        works = build_decided(engine)
    finally:
        engine.dispose()
    return env, works


def test_export_writes_every_vote_and_note_for_the_team_that_holds_the_store(decided_env):
    env, w = decided_env
    res = run("export", "--format", "csv", "--status", "all", env=env)
    assert res.returncode == 0, res.stderr
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(res.stdout))}
    assert rows[w[6]]["votes"] == 'title-abstract ann exclude E1-topic "off topic"'   # the CLI is not blinded
    assert rows[w[5]]["decision_reason"] == "not-retrieved"
    assert 'see ""Methods"", p. 3; second line' in res.stdout                          # quoted, one line
    ris = run("export", "--format", "ris", "--ids", f"{w[4]}", env=env).stdout
    assert "C8  - resolution: full-text root (web) exclude E2 \"not an intervention study\"" in ris


def test_excluded_studies_is_the_table_of_full_text_exclusions_with_reasons(decided_env, tmp_path):
    env, w = decided_env
    out = tmp_path / "excluded.csv"
    res = run("excluded-studies", "--output", str(out), env=env)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == f"2 excluded reports written to {out}"
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(int(r["record_id"]), r["reason"], r["study"]) for r in rows] == [
        (w[3], "E1-design", "Author3 et al. (2023)"), (w[4], "E2", "Author4 et al. (2024)")]
    assert rows[0]["reason_text"].startswith("Does not meet the inclusion criteria: not empirical")
    bad = run("excluded-studies", "--as-of", "2999-01-01", env=env)
    assert bad.returncode == 2 and "in the future" in bad.stderr and "Traceback" not in bad.stderr


def _read_documented_asreview_csv(path: Path) -> list[tuple[str, int | None]]:
    """ASReview's documented CSV: a header row with ``title`` / ``abstract`` (any case) and an optional label column
    ``included`` (also ``label_included``, ``final_included``, ``label``, ``included_label``) of 1, 0 or empty."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        names = {n.lower(): n for n in reader.fieldnames or []}
        label = next(names[n] for n in ("included", "label_included", "final_included", "label", "included_label")
                     if n in names)
        return [(r[names["title"]], int(r[label]) if r[label] in ("0", "1") else None) for r in reader]


def test_the_asreview_export_keeps_its_label_and_asreview_reads_every_record(decided_env, tmp_path):
    env, w = decided_env
    out = tmp_path / "asreview.csv"
    res = run("export", "--format", "asreview", "--status", "all", "--output", str(out), env=env)
    assert res.returncode == 0, res.stderr
    records = _read_documented_asreview_csv(out)
    labels = [lab for _, lab in records]
    # 50 seed studies and work 1 included; 2, 3, 4, 5 excluded; 6 and 7 open
    assert len(records) == 57 and labels.count(1) == 51 and labels.count(0) == 4 and labels.count(None) == 2
    if not ASREVIEW.exists() or shutil.which(str(ASREVIEW)) is None:
        pytest.skip("ASReview is not installed here (/work/asreview-venv): read by the documented format only")
    check = subprocess.run([str(ASREVIEW), "-c", (
        "import sys; from asreview.data.loader import load_records; recs = load_records(sys.argv[1]); "
        "print(len(recs), sum(1 for r in recs if r.included == 1), sum(1 for r in recs if r.included == 0))"),
        str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert check.returncode == 0, check.stderr[-2000:]
    assert check.stdout.split() == ["57", "51", "4"]
