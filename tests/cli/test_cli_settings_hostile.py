"""Settings a user can get wrong or that hold secrets: one line, exit 2, and no secret ever printed."""

import os
import subprocess
import sys

import pytest


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


@pytest.fixture
def data_env(tmp_path):
    return {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("value", ["bot@example.org\r\nBcc: everyone@example.org", "bot@example.org\nX: y",
                                   "a@b.org, c@d.org", "nobody"])
def test_a_digest_from_with_a_line_break_or_not_one_address_exits_2_with_one_line(data_env, value):
    res = run("digest", env={**data_env, "LIVEREVIEW_DIGEST_FROM": value})
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: LIVEREVIEW_DIGEST_FROM:"), res.stderr


def test_a_named_from_address_is_accepted(data_env):
    res = run("config", env={**data_env, "LIVEREVIEW_DIGEST_FROM": "Living review <bot@example.org>"})
    assert res.returncode == 0, res.stderr


def test_too_many_digest_to_recipients_exit_2_naming_the_limit(data_env):
    many = ",".join(f"m{i}@example.org" for i in range(5_000))  # (an environment string is capped at 128 KiB)
    assert run("init", env=data_env).returncode == 0
    res = run("digest", env={**data_env, "LIVEREVIEW_DIGEST_TO": many})
    assert res.returncode == 2 and "at most 100" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_config_masks_the_password_inside_a_postgresql_url(data_env):
    url = "postgresql+psycopg://reviewer:Sup3r-s3cret@db.example.org:5432/livereview"
    res = run("config", env={**data_env, "LIVEREVIEW_DATABASE_URL": url})
    assert res.returncode == 0
    assert "Sup3r-s3cret" not in res.stdout and "reviewer:***@db.example.org" in res.stdout
    res = run("config", "--json", env={**data_env, "LIVEREVIEW_DATABASE_URL": url})
    assert "Sup3r-s3cret" not in res.stdout


def test_an_error_line_never_carries_a_known_secret(data_env):
    url = "postgresql+psycopg://reviewer:Sup3r-s3cret@127.0.0.1:1/livereview"   # nobody listens on port 1
    res = run("status", env={**data_env, "LIVEREVIEW_DATABASE_URL": url})
    assert res.returncode == 5
    assert "Sup3r-s3cret" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
