"""Input the store cannot hold, sent to every route the app has: each query parameter and form field, and each path
parameter, gets a number beyond 64 bits and a NUL byte, on SQLite and PostgreSQL. Never a 500: 400 or 404.

The routes come from the app's router and the form fields from the templates, so a new route or field is covered
without touching this test."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient
from webharness import add_works, csrf_from, signin

from livereview.web.app import iter_routes
from livereview.web.edge import beyond_64_bits

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
BIG = ["99999999999999999999", str(2**64), "-99999999999999999999", "1, 18446744073709551616"]
NUL = ["a\x00b", "\x00"]
RECORD = {"title": "Homework in coaching", "abstract": "A trial.", "authors": ["Lee, K"], "year": 2024,
          "pmid": "39000002"}


def form_fields() -> list[str]:
    names = set()
    for path in TEMPLATES.rglob("*.html"):
        names |= set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([a-z_]+)"', path.read_text()))
    return sorted(names - {"csrf_token"})


def query_params(dependant) -> set[str]:  # noqa: ANN001
    """The query parameters a route reads, its dependencies' (the queue filter's) included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_params(sub)
    return names


def routes(app):
    """(method, path template, path params, query params) of every route but the static files and logout."""
    for route in iter_routes(app.routes):
        methods, path = getattr(route, "methods", None), getattr(route, "path", "")
        if not methods or path.startswith("/static") or path == "/logout":
            continue
        queries = sorted(query_params(route.dependant))
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        for method in sorted(methods - {"HEAD"}):
            yield method, path, params, queries


def test_the_edge_rule_reads_numbers_only():
    assert beyond_64_bits("99999999999999999999") and beyond_64_bits("1, 2 -99999999999999999999")
    assert not beyond_64_bits(str(2**63 - 1)) and not beyond_64_bits("a 99999999999999999999 note")
    assert not beyond_64_bits("")


def test_every_parameter_of_every_route_refuses_what_the_store_cannot_hold(make_app, engine, users):
    from livereview.web.security import LoginThrottle

    app = make_app(throttle=LoginThrottle(per_user=10**6, per_address=10**6))  # hundreds of odd logins here
    [wid] = add_works(engine, [RECORD])
    client = TestClient(app, base_url="http://testserver", follow_redirects=False, raise_server_exceptions=False)
    signin(client, "root")
    fields = form_fields()
    assert {"note", "name", "run", "ids", "stage"} <= set(fields)
    normal = {"work_id": str(wid), "name": "ann", "fmt": "csv", "version": "1.0", "table": "evidence-table",
              "tag_id": "1", "word_id": "1", "kind": "included"}
    failures, sent = [], 0

    def url(path: str, values: dict[str, str]) -> str:
        # a path parameter the test does not name (a pair, a merge, a record number) takes an ordinary id
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "1"), path)

    def send(method: str, target: str, *, query=None, form=None):  # noqa: ANN001, ANN202
        nonlocal sent
        sent += 1
        if method == "GET":
            return client.get(target, params=query)
        page = client.get("/queue")
        if page.status_code != 200:  # the last request signed us out (a login form, a user disabled): again
            signin(client, "root")
            page = client.get("/queue")
        token = csrf_from(page.text)
        return client.request(method, target, params=query, data={**(form or {}), "csrf_token": token})

    found = list(routes(app))
    assert len(found) >= 15 and any(q for *_, q in found)
    for method, path, params, queries in found:
        for value in BIG + NUL:
            want = {400} if value in NUL else {400, 404}
            for param in params:
                r = send(method, url(path, {**normal, param: value}).replace("\x00", "%00"))
                if r.status_code not in want:
                    failures.append((method, path, f"path {param}", repr(value), r.status_code))
            for q in queries:
                r = send(method, url(path, normal), query={q: value})
                if r.status_code not in want:
                    failures.append((method, path, f"query {q}", repr(value), r.status_code))
            if method == "GET":
                continue
            for field in fields:
                r = send(method, url(path, normal), form={field: value})
                id_like = field in ("run", "ids", "page") or field.endswith("_id")
                ok = r.status_code in want if (value in NUL or id_like) else r.status_code < 500
                if not ok:
                    failures.append((method, path, f"form {field}", repr(value), r.status_code))
    assert not failures, sorted({(m, p, f.split()[0], s) for m, p, f, _v, s in failures})
    assert sent > 300
