"""``livereview user …`` and ``livereview web`` as a user runs them: real processes, passwords on stdin."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

SECRET = "cli-test-secret-0123456789-abcdefghijklmnop"


def run(*args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, **env}, timeout=120)


@pytest.fixture
def env(tmp_path):
    e = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data"), "LIVEREVIEW_SECRET_KEY": SECRET}
    assert run("init", env=e).returncode == 0
    return e


def test_users_are_added_listed_disabled_and_given_new_passwords(env):
    res = run("user", "add", "ann", "--password-stdin", env=env, stdin="a long enough password\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "user ann added (reviewer)"
    res = run("user", "add", "lead", "--admin", "--password-stdin", env=env, stdin="another long one!\n")
    assert res.returncode == 0
    listed = run("user", "list", env=env).stdout.splitlines()
    assert [line.split()[:3] for line in listed] == [["ann", "reviewer", "active"], ["lead", "admin", "active"]]
    res = run("user", "passwd", "ann", "--password-stdin", env=env, stdin="a brand new password\n")
    assert res.returncode == 0 and "password of ann changed" in res.stdout
    res = run("user", "disable", "ann", env=env)
    assert res.returncode == 0 and res.stdout.startswith("user ann disabled")
    assert run("user", "list", env=env).stdout.splitlines()[0].split()[2] == "disabled"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("user", "add", "ann", "--password-stdin"), "short\n", "password too short"),
    (("user", "add", "ann"), "a long enough password\n", "--password-stdin"),
    (("user", "add", "bad name", "--password-stdin"), "a long enough password\n", "user name 'bad name'"),
    (("user", "disable", "nobody"), None, "no user 'nobody'"),
])
def test_user_commands_refuse_bad_input_in_one_line(env, args, stdin, message):
    res = run(*args, env=env, stdin=stdin)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and message in res.stderr


def test_a_name_is_taken_once(env):
    assert run("user", "add", "ann", "--password-stdin", env=env, stdin="a long enough password\n").returncode == 0
    res = run("user", "add", "ann", "--password-stdin", env=env, stdin="a long enough password\n")
    assert res.returncode == 2 and "already exists" in res.stderr


def test_web_refuses_to_start_without_a_secret_key(env):
    res = run("web", env={**env, "LIVEREVIEW_SECRET_KEY": ""})
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [res.stderr.strip()] and "LIVEREVIEW_SECRET_KEY" in res.stderr


@pytest.mark.slow
def test_web_serves_the_login_page_on_the_port_asked_for(env):
    from webharness import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "livereview.cli", "web", "--port", str(port)],
            env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    body, headers = r.read().decode(), r.headers
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "Sign in" in body and "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "server" not in {k.lower() for k in headers}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
