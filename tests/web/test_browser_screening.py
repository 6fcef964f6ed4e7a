"""The review as the team does it, in headless Chromium: keyboard screening, blinded disagreement, an admin
resolving the conflict, kappa, the audit trail, and a disabled reviewer thrown out. Screenshots: tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from webharness import add_works, login, serve, shot

from livereview.store import screening as sc
from livereview.store.db import reading
from livereview.store.models import AuditEntry, Decision, Work

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

TITLES = [
    "Homework compliance and outcome in cognitive behavioural therapy for depression",
    "Between-session assignments in executive coaching: a qualitative study",
    "Inter-session activities in couples counselling <script>alert('x')</script>",
]


def records():
    return [{"title": t, "abstract": f"We studied homework assignments between sessions of therapy ({i}). "
             "Clients who completed more homework improved more.", "authors": [f"Smith{i}, J", "Doe, A"],
             "year": 2025, "journal": "Psychotherapy Research", "doi": f"10.1000/lr.{i}", "pmid": str(39200000 + i)}
            for i, t in enumerate(TITLES)]


@pytest.fixture
def three_reviewers(make_app, protocol, engine, users):
    """The seed review's set-up: three independent reviewers per record at title/abstract."""
    proto = protocol.model_copy(update={"review": protocol.review.model_copy(update={"reviewers_per_record": 3})})
    app = make_app(protocol=proto)
    with serve(app, engine) as server:
        yield server


def screen_with_keys(page, keys: list[str]) -> None:
    """On a record page: press each key sequence (e.g. "i", "e2", "m"); each decision moves to the next record."""
    for seq in keys:
        page.wait_for_selector("#decide")
        with page.expect_navigation():
            for key in seq:
                page.keyboard.press(key)


def votes(engine, stage="title-abstract"):
    with reading(engine) as s:
        rows = s.execute(select(Work.title, Decision.reviewer, Decision.decision, Decision.reason)
                         .join(Work, Work.id == Decision.work_id)
                         .where(Decision.stage == stage, Decision.is_final.is_(False))).all()
    return {(TITLES.index(t), r, d, reason) for t, r, d, reason in rows}


def test_a_reviewer_screens_three_records_with_the_keyboard_alone(live_server, users, engine, page):
    add_works(engine, records())
    login(page, live_server.url, "ann")
    page.goto(live_server.url + "/queue?mine=1")
    shot(page, "queue-three")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator(".work-row.selected").count() == 1
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/works/3\?mine=1$", page.url)  # newest first: the third record found is on top
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    shot(page, "record-help")
    page.keyboard.press("Escape")
    assert page.locator("mark.term").count() > 0  # the protocol's terms are highlighted
    assert page.locator(".work-title").inner_text().endswith("<script>alert('x')</script>")
    shot(page, "record-before-decision")
    screen_with_keys(page, ["i", "e2", "m"])
    page.wait_for_url(re.compile(r"/queue\?mine=1"))
    assert "Nothing left for you: nothing here needs your decision" in page.inner_text("main")
    assert votes(engine) == {(2, "ann", "include", None), (1, "ann", "exclude", "E1-language"),
                             (0, "ann", "maybe", None)}
    page.goto(live_server.url + "/works/3")
    assert "Your decision: include" in page.inner_text("#screening")
    with page.expect_navigation():
        page.keyboard.press("u")  # undo
    assert "Your decision" not in page.inner_text("#screening")
    assert votes(engine) == {(1, "ann", "exclude", "E1-language"), (0, "ann", "maybe", None),
                             (2, "ann", "include", None), (2, "ann", sc.WITHDRAWN, None)}


def test_three_reviewers_disagree_blind_an_admin_resolves_and_kappa_and_audit_show_it(three_reviewers, engine,
                                                                                       new_page):
    url = three_reviewers.url
    add_works(engine, records())  # shown newest first: record 2, 1, 0
    # a conflict only once all three votes are in: carol, the third, screens all three records blind
    plan = {"ann": ["i", "e1", "e1"], "bob": ["i", "e1", "i"], "carol": ["e3", "e1", "i"]}
    pages = {}
    for name, keys in plan.items():
        page = pages[name] = new_page()
        login(page, url, name)
        page.goto(url + "/queue?mine=1")
        page.keyboard.press("j")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if name == "bob":  # blinded: ann has voted on this record, bob cannot see it yet
            assert "hidden until you decide" in page.inner_text("#screening")
            assert "ann" not in page.inner_text("#screening")
            shot(page, "bob-blinded")
        screen_with_keys(page, keys)
    with reading(engine) as s:
        by_title = {w.title: w.status for w in s.scalars(select(Work))}
    assert by_title == {TITLES[2]: sc.CONFLICT, TITLES[1]: sc.EXCLUDED, TITLES[0]: sc.CONFLICT}

    bob = pages["bob"]  # after deciding, bob sees the others' votes
    bob.goto(url + "/works/3")
    assert "ann" in bob.inner_text("#screening") and "carol" in bob.inner_text("#screening")
    assert bob.locator("#resolve").count() == 0  # a reviewer who voted cannot settle it

    admin = new_page()
    login(admin, url, "root")
    admin.goto(url + "/queue?status=conflict")
    assert admin.locator(".work-row").count() == 2
    admin.click(f"text={TITLES[0][:40]}")
    admin.select_option("#resolve select[name=decision]", "include")
    admin.fill("#resolve input[name=note]", "Homework in CBT: meets the inclusion criteria; discussed 2026-11-30")
    shot(admin, "admin-conflict")
    with admin.expect_navigation():
        admin.click("#resolve button[type=submit]")
    assert "full text to screen" in admin.inner_text(".status-line")
    admin.goto(url + "/works/3")
    admin.select_option("#resolve select[name=decision]", "exclude")
    admin.select_option("#resolve select[name=reason]", "E3")
    admin.fill("#resolve input[name=note]", "sport context on full reading")
    with admin.expect_navigation():
        admin.click("#resolve button[type=submit]")
    with reading(engine) as s:
        assert {w.title: w.status for w in s.scalars(select(Work))} == {
            TITLES[2]: sc.EXCLUDED, TITLES[1]: sc.EXCLUDED, TITLES[0]: sc.AWAITING_FULL_TEXT}

    admin.goto(url + "/agreement")
    overall = admin.locator("[data-stage=title-abstract] tr.overall")
    assert "Fleiss' κ over the same 3 records" in admin.locator("[data-stage=title-abstract] .kpis").inner_text()
    assert re.fullmatch(r"-?\d\.\d{3}", overall.locator(".kappa").inner_text())
    assert re.fullmatch(r"-?\d\.\d{3}", overall.locator(".alpha").inner_text())
    shot(admin, "agreement")
    assert pages["ann"].goto(url + "/agreement").status == 403  # kappa is for admins

    with reading(engine) as s:  # every step audited: 9 votes, 2 resolutions, 4 sign-ins
        actions = [(a.actor, a.action) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert sum(1 for _, a in actions if a == "decision") == 9 + 2
    assert [x for x in actions if x[1] == "conflict-resolved"] == [("root", "conflict-resolved")] * 2
    assert {x for x in actions if x[1] == "login"} == {(n, "login") for n in ("ann", "bob", "carol", "root")}


def test_a_disabled_reviewer_is_signed_out_on_their_next_click(live_server, users, engine, new_page):
    add_works(engine, records())
    ann = new_page()
    login(ann, live_server.url, "ann")
    ann.goto(live_server.url + "/queue")
    assert ann.locator(".work-row").count() == 3
    admin = new_page()
    login(admin, live_server.url, "root")
    admin.goto(live_server.url + "/users")
    row = admin.locator("tr", has_text="ann")
    with admin.expect_navigation():
        row.locator("button", has_text="Disable").click()
    assert "disabled" in admin.locator("tr", has_text="ann").inner_text()
    shot(admin, "users")
    ann.locator(".work-row a.title").first.click()
    ann.wait_for_url(re.compile(r"/login\?next=/works/\d+"))
    login(ann, live_server.url, "ann")
    assert "/login" in ann.url and "Wrong name or password, or the account is disabled" in ann.inner_text(".error")


def test_a_digest_link_lands_on_the_record_after_signing_in(live_server, users, engine, page):
    [wid, *_] = add_works(engine, records())
    page.goto(f"{live_server.url}/works/{wid}")
    assert page.url.endswith(f"/login?next=/works/{wid}")
    page.fill("input[name=name]", "bob")
    page.fill("input[name=password]", "correct horse battery")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{live_server.url}/works/{wid}"
    assert TITLES[0] in page.inner_text("h1")
