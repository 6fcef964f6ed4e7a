"""Fixtures for the web app: the app on each store back-end, a TestClient, a live server and a real browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from webharness import CHROMIUM, add_user, serve, web_settings


@pytest.fixture
def protocol(protocol):
    """The bundled protocol with two reviewers per record: most screening tests follow a pair of reviewers.

    The bundled protocol asks for three (as the paper screened); the three-reviewer flows set it explicitly.
    """
    return protocol.model_copy(update={"review": protocol.review.model_copy(update={"reviewers_per_record": 2})})


@pytest.fixture
def make_app(engine, protocol):
    """Build the app over the test store (``engine`` runs each test on SQLite and PostgreSQL)."""
    from livereview.web.app import create_app

    def make(**kwargs):
        settings = web_settings(engine.url.render_as_string(hide_password=False))
        kwargs.setdefault("retrain", False)  # background retraining is tested on its own (test_ranked_queue.py)
        return create_app(settings, engine=engine, protocol=kwargs.pop("protocol", protocol), **kwargs)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def users(engine):
    """ann and bob review, carol too; root is the admin (all with the harness password)."""
    for name in ("ann", "bob", "carol"):
        add_user(engine, name)
    add_user(engine, "root", admin=True)
    return ("ann", "bob", "carol", "root")


@pytest.fixture
def as_user(app, users):
    """A signed-in TestClient per user name (one each: separate cookies)."""
    from starlette.testclient import TestClient
    from webharness import signin

    clients = {}

    def get(name):
        if name not in clients:
            c = TestClient(app, follow_redirects=False)
            assert signin(c, name).status_code == 303
            clients[name] = c
        return clients[name]

    return get


@pytest.fixture
def live_server(app, engine):
    with serve(app, engine) as server:
        yield server


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    b = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"] if os.geteuid() == 0 else [])
    yield b
    b.close()


@pytest.fixture
def new_page(browser):
    """A factory of fresh browser contexts (one per user: separate cookies)."""
    contexts = []

    def make(width: int = 1280, height: int = 900, **options):
        ctx = browser.new_context(viewport={"width": width, "height": height}, **options)
        ctx.set_default_timeout(10000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page()
