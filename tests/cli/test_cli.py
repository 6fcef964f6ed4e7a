"""The console command, run as a user runs it (its console entry point, in this process): real exit codes,
one-line errors."""

import pytest
from cli_runner import run_cli

from livereview.cli.main import EXIT_CODES


def run(*args, env=None):
    return run_cli(*args, env=env)


@pytest.fixture
def db_env(tmp_path):
    return {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}


def test_every_command_has_help():
    top = run("--help")
    assert top.returncode == 0
    for cmd in ("init", "import", "export", "config", "protocol"):
        assert cmd in top.stdout
        res = run(cmd, "--help")
        assert res.returncode == 0 and "Usage" in res.stdout, cmd
    assert run("protocol", "show", "--help").returncode == 0


def test_init_twice_then_export_the_included_studies(db_env, tmp_path):
    first = run("init", env=db_env)
    assert first.returncode == 0, first.stderr
    assert "seed      new 50" in first.stdout
    second = run("init", env=db_env)
    assert "seed      unchanged 50" in second.stdout
    out = tmp_path / "included.csv"
    res = run("export", "--format", "csv", "--status", "included", "--output", str(out), env=db_env)
    assert res.returncode == 0, res.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 51 and lines[0].startswith("id,status,doi,pmid")
    ris = run("export", "--format", "ris", "--status", "included", env=db_env)
    assert ris.stdout.count("ER  - ") == 50
    bib = run("export", "--format", "bibtex", "--status", "queued", env=db_env)
    assert bib.returncode == 0 and bib.stdout == ""


def test_commands_refuse_an_uninitialised_database(db_env):
    res = run("export", env=db_env)
    assert res.returncode == 5
    assert res.stderr.strip().startswith("error: ") and "livereview init" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_bad_protocol_exits_3_with_one_line(tmp_path, db_env):
    bad = tmp_path / "p.toml"
    bad.write_text("schema = 1\n[review]\nid = 'x'\n")
    res = run("protocol", "check", str(bad), env=db_env)
    assert res.returncode == 3
    assert res.stderr.strip().splitlines() == [res.stderr.strip()]
    assert "p.toml" in res.stderr and "required field is missing" in res.stderr
    assert not (tmp_path / "data").exists()


def test_a_bad_setting_exits_2(db_env):
    res = run("config", env={**db_env, "LIVEREVIEW_HTTP_TIMEOUT": "soon"})
    assert res.returncode == 2 and "LIVEREVIEW_HTTP_TIMEOUT" in res.stderr


def test_config_masks_secrets(db_env):
    res = run("config", env={**db_env, "LIVEREVIEW_NCBI_API_KEY": "sekrit-key-123",
                             "LIVEREVIEW_SMTP_URL": "smtp://u:pw@localhost:25"})
    assert res.returncode == 0
    assert "sekrit" not in res.stdout and "pw@" not in res.stdout and "***" in res.stdout


def test_protocol_show_prints_each_sources_query(db_env):
    res = run("protocol", "show", "--source", "pubmed", env=db_env)
    assert res.returncode == 0 and "[pubmed:coaching]" in res.stdout and "[crdt]" not in res.stdout


def test_exit_codes_are_documented():
    assert set(EXIT_CODES) >= {0, 1, 2, 3, 4, 5, 6}


def test_merge_and_unmerge_by_hand(db_env):
    assert run("init", env=db_env).returncode == 0
    merged = run("merge", "1", "2", "--actor", "ann", env=db_env)
    assert merged.returncode == 0 and merged.stdout.startswith("merge #1: work 2 merged into 1")
    again = run("merge", "1", "2", env=db_env)
    assert again.returncode == 2 and "already merged" in again.stderr
    undone = run("unmerge", "1", env=db_env)
    assert undone.returncode == 0 and "separate" in undone.stdout
    assert run("unmerge", "1", env=db_env).returncode == 2


def test_usage_errors_exit_2_without_a_traceback(db_env):
    res = run("export", "--format", "xml", env=db_env)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "--format" in res.stderr


def test_a_missing_database_is_not_created_by_a_read_command(db_env, tmp_path):
    res = run("status", env=db_env)
    assert res.returncode == 5 and "livereview init" in res.stderr
    assert not (tmp_path / "data").exists()


def test_validate_search_prints_recall_and_each_miss_and_refuses_an_unknown_source(db_env):
    assert run("init", env=db_env).returncode == 0
    res = run("validate-search", "--source", "feeds", env=db_env)
    assert res.returncode == 0, res.stderr
    assert "feeds      recall 27/50 (54%)" in res.stdout
    assert "    miss  S19 Practice makes progress?" in res.stdout
    assert "would catch: expansion proposed_clinical_context (proposed, inactive)" in res.stdout
    bad = run("validate-search", "--source", "scopus", env=db_env)
    assert bad.returncode == 2 and "not a searchable source" in bad.stderr and "Traceback" not in bad.stderr


def test_an_offline_run_says_the_failure_once_under_the_table_no_traceback_and_exits_4(db_env, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    assert run("init", env=db_env).returncode == 0
    res = run("run", "--source", "pubmed", "--no-alert",
              env={**db_env, "LIVEREVIEW_PUBMED_BASE_URL": f"http://127.0.0.1:{dead}/", "PREFECT_API_URL": ""})
    assert res.returncode == 4, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert any(line.startswith("pubmed:coaching") and "failed [1]" in line for line in res.stdout.splitlines())
    assert res.stdout.rstrip().splitlines()[-1].startswith(
        f"[1] pubmed: connection failed: 127.0.0.1 refused the connection (not retried) "
        f"[http://127.0.0.1:{dead}/esearch.fcgi")
    lines = res.stderr.strip().splitlines()  # the table said it: stderr only has the hint
    assert len(lines) == 1 and lines[0].startswith("no network: no source could be reached; `make demo`"), lines
    assert "refused the connection" in (tmp_path / "data" / "livereview.log").read_text()



def test_version_prints_the_version():
    res = run("--version")
    assert res.returncode == 0 and res.stdout.startswith("livereview ")
