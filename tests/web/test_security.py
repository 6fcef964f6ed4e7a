"""The web app's security promises, over plain HTTP (Starlette's TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from webharness import PASSWORD, add_works, csrf_from, post_form, signin

from livereview.store.accounts import WebSession
from livereview.store.db import reading, transaction
from livereview.store.models import AuditEntry, Decision
from livereview.web.app import iter_routes
from livereview.web.security import SESSION_COOKIE, sign

RECORD = {"title": "Homework compliance in cognitive behavioural therapy", "abstract": "Homework in CBT.",
          "authors": ["Kazantzis, N"], "year": 2024, "journal": "Behav Res Ther", "pmid": "39000001"}


def count(engine, model) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_every_page_but_login_sends_a_visitor_without_a_session_to_the_login_page(app, client, engine):
    [wid] = add_works(engine, [RECORD])
    skip = {"/login", "/static"}
    checked = 0
    for route in iter_routes(app.routes):
        path = getattr(route, "path", "")
        if "GET" not in (getattr(route, "methods", None) or set()) or path in skip or path == "/":
            continue
        url = path.replace("{work_id}", str(wid)).replace("{name}", "ann")
        r = client.get(url)
        assert r.status_code == 303, url
        assert r.headers["location"].startswith("/login"), url
        checked += 1
    assert checked >= 4
    assert client.get("/queue").headers["location"] == "/login?next=/queue"
    assert client.get("/api/works/1", headers={"accept": "application/json"}).status_code == 401


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_writes_nothing(client, engine, users):
    [wid] = add_works(engine, [RECORD])
    signin(client, "ann")
    other = TestClient(client.app, follow_redirects=False)  # a token from another browser's session
    signin(other, "bob")
    token_of_bob = csrf_from(other.get("/queue").text)
    before = (count(engine, Decision), count(engine, AuditEntry))
    form = {"stage": "title-abstract", "decision": "include"}
    assert client.post(f"/works/{wid}/decision", data=form).status_code == 403
    assert client.post(f"/works/{wid}/decision", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(f"/works/{wid}/decision", data={**form, "csrf_token": token_of_bob}).status_code == 403
    assert (count(engine, Decision), count(engine, AuditEntry)) == before
    assert post_form(client, f"/works/{wid}/decision", form).status_code == 303  # the right token goes through
    assert count(engine, Decision) == before[0] + 1


def test_an_attackers_anonymous_token_beside_the_victims_session_is_refused(client, engine, users):
    """A cookie set from a sibling subdomain: the attacker's own anonymous cookie and its token, sent with the
    victim's session cookie. The token must be the one issued to the session."""
    from livereview.web.security import ANON_COOKIE

    [wid] = add_works(engine, [RECORD])
    signin(client, "ann")
    attacker = TestClient(client.app, follow_redirects=False)
    attacker_token = csrf_from(attacker.get("/login").text)
    attacker_anon = attacker.cookies.get(ANON_COOKIE)
    assert attacker_token and attacker_anon
    client.cookies.set(ANON_COOKIE, attacker_anon)
    before = (count(engine, Decision), count(engine, AuditEntry))
    form = {"stage": "title-abstract", "decision": "include", "csrf_token": attacker_token}
    assert client.post(f"/works/{wid}/decision", data=form).status_code == 403
    assert client.post(f"/works/{wid}/decision", data={k: v for k, v in form.items() if k != "csrf_token"},
                       headers={"x-csrf-token": attacker_token}).status_code == 403
    assert (count(engine, Decision), count(engine, AuditEntry)) == before
    assert post_form(client, f"/works/{wid}/decision", {"stage": "title-abstract", "decision": "include"}
                     ).status_code == 303  # the session's own token still goes through
    assert count(engine, Decision) == before[0] + 1


def test_the_login_form_itself_needs_its_csrf_token(client, users, engine):
    r = client.post("/login", data={"name": "ann", "password": PASSWORD})
    assert r.status_code == 403
    assert count(engine, WebSession) == 0


def test_another_reviewers_decision_is_not_in_the_html_or_json_before_you_decide(client, engine, users):
    [wid] = add_works(engine, [RECORD])
    signin(client, "ann")
    post_form(client, f"/works/{wid}/decision", {"stage": "title-abstract", "decision": "exclude",
                                                 "reason": "E2", "note": "ann-secret-note"})
    client.cookies.clear()
    signin(client, "bob")
    html = client.get(f"/works/{wid}").text
    assert "hidden until you decide" in html
    assert 'class="reviewer"' not in html and "ann-secret-note" not in html
    assert "vote-exclude" not in html
    data = client.get(f"/api/works/{wid}").json()
    assert data["stages"]["title-abstract"]["blinded"] is True
    assert data["stages"]["title-abstract"]["others"] == []
    assert "ann" not in str(data["stages"])
    post_form(client, f"/works/{wid}/decision", {"stage": "title-abstract", "decision": "include"})
    data = client.get(f"/api/works/{wid}").json()  # after deciding, bob sees the disagreement
    assert [o["reviewer"] for o in data["stages"]["title-abstract"]["others"]] == ["ann"]
    html = client.get(f"/works/{wid}").text
    assert '<span class="reviewer">ann</span>' in html and "ann-secret-note" in html


def test_a_script_in_a_title_or_abstract_renders_as_text(client, engine, users):
    [wid] = add_works(engine, [{**RECORD, "title": "Therapy <script>alert('x')</script> homework",
                                "abstract": "<img src=x onerror=alert(1)> homework", "authors": ["<b>Evil</b>, A"]}])
    signin(client, "ann")
    for url in (f"/works/{wid}", "/queue"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Evil" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_repeated_failed_logins_are_throttled_per_user_and_per_address(client, users):
    for _ in range(5):
        assert signin(client, "ann", "wrong password!").status_code == 401
    r = signin(client, "ann")  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in r.cookies
    assert signin(client, "bob").status_code == 303  # another user from the same address still gets in
    client.cookies.clear()
    for i in range(15):  # the address limit (20) counts every name tried from it
        signin(client, f"nobody{i}", "wrong password!")
    assert signin(client, "carol").status_code == 429


def test_a_session_cookie_signed_with_another_key_is_refused(client, users):
    signin(client, "ann")
    token = client.cookies[SESSION_COOKIE].rpartition(".")[0]
    assert client.get("/queue").status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, sign(b"another-key-another-key-another-key!", token))
    assert client.get("/queue").status_code == 303
    client.cookies.set(SESSION_COOKIE, token + ".")
    assert client.get("/queue").status_code == 303


def test_a_disabled_user_is_signed_out_at_once(client, engine, users):
    from livereview.store.accounts import disable_user, require_user

    signin(client, "ann")
    assert client.get("/queue").status_code == 200
    with transaction(engine) as s:
        disable_user(s, require_user(s, "ann"), actor="test")
    assert client.get("/queue").headers["location"] == "/login?next=/queue"
    assert signin(client, "ann").status_code == 401


def test_logout_ends_the_session_on_the_server_too(client, users):
    signin(client, "ann")
    stolen = client.cookies[SESSION_COOKIE]
    post_form(client, "/logout", {})
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/queue").status_code == 303


def test_pages_carry_a_strict_content_security_policy_and_the_usual_headers(client, users):
    signin(client, "ann")
    for r in (client.get("/login"), client.get("/queue"), client.get("/static/app.css")):
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    assert client.get("/queue").headers["cache-control"] == "no-store"


def test_session_cookies_are_httponly_lax_and_secure_over_https(app, users):
    plain = TestClient(app, base_url="http://testserver", follow_redirects=False)
    cookie = signin(plain, "ann").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    tls = TestClient(app, base_url="https://testserver", follow_redirects=False)
    r = signin(tls, "bob")
    assert "Secure" in r.headers["set-cookie"]
    assert "strict-transport-security" in tls.get("/queue").headers


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_after_login_the_browser_only_goes_to_a_page_of_this_site(client, users, target):
    assert signin(client, "ann", next_url=target).headers["location"] == "/"


def test_a_digest_link_opens_the_record_after_signing_in(client, engine, users):
    [wid] = add_works(engine, [RECORD])
    r = client.get(f"/works/{wid}")
    assert r.headers["location"] == f"/login?next=/works/{wid}"
    login_page = client.get(r.headers["location"]).text
    assert f'name="next" value="/works/{wid}"' in login_page
    assert signin(client, "ann", next_url=f"/works/{wid}").headers["location"] == f"/works/{wid}"
