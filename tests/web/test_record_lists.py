"""The record lists and search over HTTP on SQLite and PostgreSQL: what each list holds, its filters and sorts,
search by words and by identifier, bad input answered, the remembered page size, and blinding — every list,
filter and count a reviewer who has not voted can fetch is scanned for what the others' votes would reveal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient
from webharness import add_user, add_works, csrf_from, signin

from livereview.store import screening as sc
from livereview.store.db import transaction
from livereview.store.models import Work
from livereview.web.lists import LISTS

TA, FT = sc.TITLE_ABSTRACT, sc.FULL_TEXT
REQUIRED = {TA: 2, FT: 2}


@pytest.fixture
def team(engine, make_app):
    for name in ("ann", "bob", "carol"):
        add_user(engine, name)
    app = make_app()
    clients: dict[str, TestClient] = {}

    def client(name: str) -> TestClient:
        if name not in clients:
            c = clients[name] = TestClient(app, follow_redirects=False)
            assert signin(c, name).status_code == 303
        return clients[name]

    return client


def votes(engine, wid: int, *ballots: tuple[str, str, str, str | None]) -> None:
    """(reviewer, stage, decision, reason) in order, through the store's one screening rule."""
    with transaction(engine) as s:
        w = s.get(Work, wid)
        for reviewer, stage, decision, reason in ballots:
            sc.record_decision(s, w, reviewer=reviewer, stage=stage, decision=decision, reason=reason,
                               reviewers_required=REQUIRED, report_retrieved=True if stage == FT else None)


def titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/works/\d+[^"]*">([^<]+)</a>', html)


def count(html: str) -> str:
    return re.search(r'id="result-count">([^<]+)<', html).group(1)


@pytest.fixture
def store(engine):
    """One record in each state a list is about (titles say which)."""
    recs = [("Included coaching trial", 2021, "pubmed"), ("Excluded at title abstract", 2018, "pubmed"),
            ("Excluded at full text", 2019, "wos"), ("Conflict with a maybe", 2020, "wos"),
            ("Pending maybe by ann", 2022, "pubmed"), ("Pending exclusion by ann", 2023, "pubmed"),
            ("Untouched record", 2024, "wos")]
    ids: dict[str, int] = {}
    for n, (title, year, source) in enumerate(recs):
        [wid] = add_works(engine, [{"title": title, "year": year, "pmid": str(38100000 + n),
                                    "doi": f"10.5555/list.{n}", "abstract": f"Abstract text {n} homework.",
                                    "authors": [f"Author{n}, A"], "journal": "Journal of Lists"}], source=source)
        ids[title] = wid
    votes(engine, ids["Included coaching trial"], ("ann", TA, "include", None), ("bob", TA, "include", None),
          ("ann", FT, "include", None), ("bob", FT, "include", None))
    votes(engine, ids["Excluded at title abstract"], ("ann", TA, "exclude", "E2"), ("bob", TA, "exclude", "E2"))
    votes(engine, ids["Excluded at full text"], ("ann", TA, "include", None), ("bob", TA, "exclude", "E2"),
          ("bob", TA, sc.WITHDRAWN, None), ("bob", TA, "include", None),
          ("ann", FT, "exclude", "E1-topic"), ("bob", FT, "exclude", "E1-topic"))
    votes(engine, ids["Conflict with a maybe"], ("ann", TA, "maybe", None), ("bob", TA, "exclude", "E2"))
    votes(engine, ids["Pending maybe by ann"], ("ann", TA, "maybe", None))
    votes(engine, ids["Pending exclusion by ann"], ("ann", TA, "exclude", "E2"))
    with transaction(engine) as s:
        s.execute(update(Work).where(Work.id == ids["Conflict with a maybe"]).values(relevance=0.9))
    return ids


def test_each_list_holds_its_records(store, team):
    c = team("carol")   # voted on nothing
    assert set(titles(c.get("/records/included").text)) == {"Included coaching trial"}
    assert set(titles(c.get("/records/excluded").text)) == {"Excluded at title abstract", "Excluded at full text"}
    assert titles(c.get("/records/excluded?stage=full-text").text) == ["Excluded at full text"]
    assert titles(c.get("/records/excluded?stage=title-abstract").text) == ["Excluded at title abstract"]
    # a reason counts where it still stands, at the stage that closed the record (bob's E2 was changed)
    assert titles(c.get("/records/excluded?reason=E2").text) == ["Excluded at title abstract"]
    assert titles(c.get("/records/excluded?reason=E1-topic").text) == ["Excluded at full text"]
    excluded = c.get("/records/excluded").text   # each row says why, as it stands
    assert re.findall(r'<span class="reason">([^<]+)</span>', excluded) == ["E1-topic", "E2"]
    assert titles(c.get("/records/conflicts").text) == ["Conflict with a maybe"]
    assert titles(c.get("/records/maybe").text) == ["Conflict with a maybe"]
    assert titles(c.get("/records/mine").text) == []
    assert len(titles(c.get("/records").text)) == 7
    mine = titles(team("ann").get("/records/mine").text)
    assert set(mine) == set(store) - {"Untouched record"}
    assert set(titles(team("bob").get("/records/mine").text)) == {
        "Included coaching trial", "Excluded at title abstract", "Excluded at full text", "Conflict with a maybe"}


def test_a_reviewer_who_has_not_voted_learns_nothing_from_lists_filters_or_counts(store, team):
    pending = ("Pending maybe by ann", "Pending exclusion by ann")
    blind, voter = team("carol"), team("ann")
    paths = [f"/records/{k}" for k in LISTS if k != "all"] + ["/records", "/search?q=pending"]
    paths += [f"{p}{'&' if '?' in p else '?'}reason=E2" for p in paths]
    paths += [f"/records?reason={r}" for r in ("E1-topic", "not-retrieved")]
    for path in paths:
        body = blind.get(path).text
        assert "status-screening" not in body, path
        if path.startswith(("/records/maybe", "/records/conflicts", "/records/mine")) or "reason=" in path:
            assert not any(t in body for t in pending), path
    # the voter sees her own stage's votes: her maybe and her exclusion reason
    assert "Pending maybe by ann" in voter.get("/records/maybe").text
    assert "Pending exclusion by ann" in voter.get("/records?reason=E2").text
    # counts follow the rows: carol's maybe list counts one, ann's two
    assert count(blind.get("/records/maybe").text) == "1" and count(voter.get("/records/maybe").text) == "2"
    # the all-records list shows a pending record to everyone, as "to screen"
    body = blind.get("/records?q=pending").text
    assert set(titles(body)) == set(pending) and body.count("status-queued") == 2


def test_filters_and_sorts(store, team):
    c = team("carol")
    assert set(titles(c.get("/records?source=wos").text)) == {
        "Excluded at full text", "Conflict with a maybe", "Untouched record"}
    assert set(titles(c.get("/records?year_from=2022&year_to=2023").text)) == {
        "Pending maybe by ann", "Pending exclusion by ann"}
    assert titles(c.get("/records?order=year").text)[:2] == ["Untouched record", "Pending exclusion by ann"]
    assert titles(c.get("/records?order=oldest").text)[0] == "Included coaching trial"
    assert titles(c.get("/records?order=newest").text)[0] == "Untouched record"
    assert titles(c.get("/records?order=relevance").text)[0] == "Conflict with a maybe"
    assert len(titles(c.get("/records?since=2000-01-01&until=2999-12-31").text)) == 7
    assert titles(c.get("/records?since=2999-01-01").text) == []
    assert titles(c.get("/records?run=99").text) == [] and titles(c.get("/records?version=99").text) == []
    assert titles(c.get("/records/excluded?source=wos&q=full").text) == ["Excluded at full text"]
    for bad in ("/records?order=sideways", "/records?stage=x", "/records?reason=E99", "/records?since=yesterday",
                "/records?year_from=abc", "/records?run=-1", "/records/nolist", "/records?tag=x"):
        assert c.get(bad).status_code in (400, 404), bad


def test_search_by_words_and_identifiers_and_odd_input_is_answered(store, team):
    c = team("carol")
    assert titles(c.get("/search?q=coaching").text) == ["Included coaching trial"]
    assert titles(c.get("/search?q=coach").text) == ["Included coaching trial"]         # the last word: a prefix
    assert titles(c.get("/search?q=10.5555/list.3").text) == ["Conflict with a maybe"]
    assert titles(c.get("/search?q=https://doi.org/10.5555/LIST.3").text) == ["Conflict with a maybe"]
    assert titles(c.get("/search?q=38100004").text) == ["Pending maybe by ann"]
    assert titles(c.get("/search?q=author2").text) == ["Excluded at full text"]
    assert len(titles(c.get("/search?q=journal+of+lists").text)) == 7
    assert titles(c.get("/records/included?q=homework").text) == ["Included coaching trial"]
    assert titles(c.get("/queue?q=untouched").text) == ["Untouched record"]               # the queue's box too
    for q in ('"', "'", "*", "(", ")", "NEAR(a b)", "a AND", "OR", "-x", "^", "title:x", "a & b | !c", "<->",
              "x" * 10_000, "\\", "%", "😀", "   ", '"coaching'):
        r = c.get("/search", params={"q": q})
        assert r.status_code == 200, q
    assert titles(c.get("/search", params={"q": '"coaching*)'}).text) == ["Included coaching trial"]
    assert c.get("/search", params={"q": "coach\x00ing"}).status_code == 400
    # an abstract is there on demand, with no script
    body = c.get("/search?q=coaching").text
    assert re.search(r"<details class=\"abstract\"><summary>Abstract</summary><p>Abstract text 0 homework.</p>",
                     body)


def test_the_page_size_is_remembered_for_the_account(engine, team, make_app):
    add_works(engine, [{"title": f"Paged record {i}", "year": 2020, "pmid": str(37000000 + i)} for i in range(60)])
    c = team("ann")
    assert len(titles(c.get("/records").text)) == 25
    token = csrf_from(c.get("/records").text)
    r = c.post("/preferences/page-size", data={"page_size": "50", "back": "/records?q=paged", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/records?q=paged"
    assert len(titles(c.get("/records?q=paged").text)) == 50
    other = TestClient(make_app(), follow_redirects=False)    # another browser, a new sign-in
    assert signin(other, "ann").status_code == 303
    assert len(titles(other.get("/search?q=paged").text)) == 50
    assert len(titles(team("bob").get("/records").text)) == 25     # per account
    assert c.post("/preferences/page-size", data={"page_size": "7", "csrf_token": token}).status_code == 400
    assert c.post("/preferences/page-size", data={"page_size": "100"}).status_code == 403   # no CSRF token
    r = c.post("/preferences/page-size", data={"page_size": "100", "back": "https://evil.example/records",
                                              "csrf_token": token})
    assert r.headers["location"] == "/records"
    assert len(titles(c.get("/records").text)) == 60


@pytest.mark.parametrize("dense_after", [2, 2000])
def test_common_and_rare_words_give_the_same_answers(store, team, monkeypatch, dense_after):
    """SQLite answers a word in most records differently (read along the list's order, or from the index in found
    order) from a rare one (read from the index first): both give the same records, counts and orders."""
    from livereview.store import search

    monkeypatch.setattr(search, "DENSE_AFTER", dense_after)
    c = team("carol")
    everything = sorted(store.values(), reverse=True)
    assert [store[t] for t in titles(c.get("/search?q=homework").text)] == everything
    assert [store[t] for t in titles(c.get("/search?q=homew").text)] == everything
    assert [store[t] for t in titles(c.get("/search?q=homework&order=oldest").text)] == everything[::-1]
    assert count(c.get("/search?q=homework").text) == "7"
    assert titles(c.get("/search?q=homework&order=relevance").text)[0] == "Conflict with a maybe"
    assert titles(c.get("/search?q=homew&order=relevance").text)[0] == "Conflict with a maybe"
    assert len(titles(c.get("/search?q=homew&order=year").text)) == 7
    assert titles(c.get("/queue?q=homew").text) and titles(c.get("/queue?q=untouch").text) == ["Untouched record"]
    assert set(titles(c.get("/records/excluded?q=homework").text)) == {
        "Excluded at title abstract", "Excluded at full text"}
    assert count(c.get("/records/excluded?q=homework").text) == "2"
    assert titles(c.get("/search?q=homework+coaching").text) == ["Included coaching trial"]


def test_a_tag_filters_every_list_and_shows_on_its_rows(store, team, engine):
    from livereview.store.tags import create_tag, tag_work

    with transaction(engine) as s:
        rct = create_tag(s, "rct", "teal", actor="root")
        s.flush()
        tag_id = rct.id
        for title in ("Included coaching trial", "Untouched record"):
            tag_work(s, store[title], tag_id, actor="ann")
    c = team("carol")
    page = c.get(f"/records?tag={tag_id}").text
    assert set(titles(page)) == {"Included coaching trial", "Untouched record"}
    assert page.count('class="tag tag-teal">rct<') == 2 and f'<option value="{tag_id}" selected>rct' in page
    assert titles(c.get(f"/records/included?tag={tag_id}").text) == ["Included coaching trial"]
    assert titles(c.get(f"/records?tag={tag_id + 1}").text) == []
