"""Test harness for the web app: a store with users and works, the app on a loopback port, a real browser.

Used by tests/web (and by anyone adding pages): ``live_server`` runs uvicorn in a thread on a free
loopback port against a fresh migrated store; ``browser`` is Debian's chromium driven by Playwright
(``executable_path``; no browser download). Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def web_settings(database_url: str, **overrides: Any):  # noqa: ANN201
    from livereview.settings import load_settings

    return load_settings(database_url=database_url, secret_key=SECRET, **overrides)


def add_user(engine, name: str, *, admin: bool = False, password: str = PASSWORD) -> None:  # noqa: ANN001
    from livereview.store.accounts import add_user as add
    from livereview.store.db import transaction
    from livereview.web.passwords import hash_password

    with transaction(engine) as s:
        add(s, name, hash_password(password), admin=admin, actor="test")


def add_works(engine, records: Iterable[dict[str, Any]], *, source: str = "pubmed",  # noqa: ANN001
              reviewers_required: int = 2) -> list[int]:
    """Ingest records (dicts of Record fields) as if a search found them; returns their work ids in order."""
    from livereview.records.model import Record
    from livereview.store.db import transaction
    from livereview.store.ingest import Provenance, ingest_records

    recs = [Record(source=source, source_id=str(r.get("pmid") or r.get("doi") or i), **r)
            for i, r in enumerate(records)]
    with transaction(engine) as s:
        rep = ingest_records(s, recs, Provenance(origin="search", actor="test", reviewers_required=reviewers_required))
    return [wid for _, wid in rep.classifications if wid is not None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    app: Any
    engine: Any


@contextmanager
def serve(app, engine) -> Iterator[LiveServer]:  # noqa: ANN001
    """Run ``app`` with uvicorn in a thread on a free loopback port until the block ends."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _run_app(database_url: str, port: int, retrain: bool) -> None:
    """The child process of :func:`serve_process`: the app over the store, with uvicorn, until terminated."""
    import uvicorn

    from livereview.settings import BUNDLED_PROTOCOL
    from livereview.store.context import open_store
    from livereview.web.app import create_app

    with open_store(BUNDLED_PROTOCOL, settings=web_settings(database_url)) as opened:
        app = create_app(opened.settings, engine=opened.engine, protocol=opened.protocol, retrain=retrain)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")


@contextmanager
def serve_process(database_url: str, *, retrain: bool = True) -> Iterator[str]:
    """Run the app (bundled protocol) with uvicorn in a child process on a free loopback port; yields its URL.

    Its own interpreter, as in production: clients driven from this process share no GIL with the server.
    """
    import multiprocessing

    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(target=_run_app, args=(database_url, port, retrain),
                                                        name="livereview-web", daemon=True)
    proc.start()
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or not proc.is_alive():
                proc.terminate()
                raise RuntimeError("the web app did not start") from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)


def login(page, base_url: str, name: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(f"{base_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page, name: str) -> Path:  # noqa: ANN001
    """Save a full-page screenshot as a test artefact (look at them: tests/artifacts/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- plain HTTP helpers (Starlette's TestClient) ------------------------------------------------------------------
def csrf_from(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def signin(client, name: str, password: str = PASSWORD, next_url: str = "/"):  # noqa: ANN001, ANN201
    """Sign ``client`` in through the login form; returns the login POST's response."""
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": next_url})


def post_form(client, path: str, data: dict[str, str], *, page: str | None = None):  # noqa: ANN001, ANN201
    """POST a form with the CSRF token of ``page`` (default: the queue)."""
    token = csrf_from(client.get(page or "/queue").text)
    return client.post(path, data={**data, "csrf_token": token})
