"""People in the loop through the app (plain HTTP, SQLite and PostgreSQL): tags, comment threads and @mentions
under blinding, highlight words, assignments and "assigned to me", reviewer progress, and the admin's export
upload with the CLI's import, refusals and summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from webharness import add_works, csrf_from, post_form, signin, web_settings

from livereview.errors import InputFileError
from livereview.flows.file_import import ImportReport, UploadImporter, import_file, summary
from livereview.store.db import reading
from livereview.store.models import AuditEntry, Comment, Import, Mention, Tag
from livereview.store.tags import tags_for_works

TA = "title-abstract"
EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
SECRET_NOTE = "excluded-it-wrong-population-zq"


def record(i: int) -> dict:
    return {"title": f"Coaching for self efficacy in nurses {i}", "abstract": f"A coaching trial {i} on wellbeing.",
            "authors": [f"Author{i}, A"], "year": 2024, "journal": "J Nurs", "pmid": str(39700000 + i)}


@pytest.fixture
def app(make_app):
    return make_app(importer=UploadImporter())


def vote(client, wid, decision, **extra):
    r = post_form(client, f"/works/{wid}/decision", {"stage": TA, "decision": decision, "advance": "0", **extra})
    assert r.status_code == 303, r.text
    return r


def make_tag(c, name, colour):
    return post_form(c, "/tags", {"name": name, "colour": colour}, page="/tags")


def test_an_admin_defines_tags_reviewers_put_them_on_records_and_the_queue_shows_them(engine, as_user):
    [wid, other] = add_works(engine, [record(1), record(2)])
    root, ann = as_user("root"), as_user("ann")
    assert ann.get("/tags").status_code == 403                                   # admins define tags
    assert make_tag(ann, "x", "red").status_code == 403
    assert make_tag(root, "RCT", "green").status_code == 303
    assert make_tag(root, "<script>alert(1)</script>", "red").status_code == 303  # stored as text, shown escaped
    bad = make_tag(root, "odd", "#ff0000; background:url(x)")
    assert bad.status_code == 400 and "use one of" in bad.text
    with reading(engine) as s:
        tags = {t.name: t.id for t in s.scalars(select(Tag))}
    page = ann.get(f"/works/{wid}").text
    assert 'id="tag-select"' in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    r = post_form(ann, f"/works/{wid}/tags", {"tag_id": str(tags["RCT"]), "action": "add"}, page=f"/works/{wid}")
    assert r.status_code == 303 and r.headers["location"].endswith(f"/works/{wid}#tags")
    assert ann.post(f"/works/{wid}/tags", data={"tag_id": str(tags["RCT"])}).status_code == 403   # no CSRF token
    assert '<span class="tag tag-green">RCT</span>' in ann.get(f"/works/{wid}").text
    assert '<span class="tag tag-green">RCT</span>' in ann.get("/queue").text
    assert "style=" not in ann.get(f"/works/{wid}").text                             # colours are classes (CSP)
    with reading(engine) as s:
        assert tags_for_works(s, [wid, other]) == {wid: ["RCT"]}
    post_form(as_user("bob"), f"/works/{wid}/tags", {"tag_id": str(tags["RCT"]), "action": "remove"},
              page=f"/works/{wid}")
    with reading(engine) as s:
        assert tags_for_works(s, [wid]) == {}
        acts = [(a.actor, a.action) for a in s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == wid, AuditEntry.entity == "work", AuditEntry.action.like("tag%")))]
    assert acts == [("ann", "tag-added"), ("bob", "tag-removed")]
    assert post_form(ann, f"/works/{wid}/tags", {"tag_id": "99999", "action": "add"}).status_code == 400


def test_comments_are_hidden_from_whoever_has_not_voted_and_mentions_wait_until_they_have(engine, as_user):
    """Two votes needed. Ann votes and comments, mentioning Bob and the admin. Bob has not voted: the record page,
    the queue and the mentions filter show nothing of the comment; once he votes, the thread and the mention are
    his. The admin, who has not voted either, is blind too while votes are collected."""
    [wid, other] = add_works(engine, [record(1), record(2)])
    ann, bob, root = as_user("ann"), as_user("bob"), as_user("root")
    vote(ann, wid, "exclude", reason="E1-topic")
    r = post_form(ann, f"/works/{wid}/comments", {"body": f"{SECRET_NOTE} — @bob and @root, agree?"},
                  page=f"/works/{wid}")
    assert r.status_code == 303 and "#comment-" in r.headers["location"]
    assert SECRET_NOTE in ann.get(f"/works/{wid}").text                           # her own thread
    for blind in (bob, root):
        page = blind.get(f"/works/{wid}").text
        assert SECRET_NOTE not in page and 'id="held-back"' in page
        assert f"/works/{wid}?" not in blind.get("/queue?mentions=1").text
        assert "unread mention" not in blind.get("/queue").text and "@ you" not in blind.get("/queue").text
    with reading(engine) as s:                                                   # still unread: not seen yet
        assert {m.user_name: m.read_at for m in s.scalars(select(Mention))} == {"bob": None, "root": None}
    # a blind reviewer may still comment (their own comment is theirs to see)
    post_form(bob, f"/works/{wid}/comments", {"body": "bob-before-voting"}, page=f"/works/{wid}")
    assert "bob-before-voting" in bob.get(f"/works/{wid}").text
    vote(bob, wid, "include")                                                     # now a conflict: all votes in
    queue = bob.get("/queue").text
    assert "1 unread mention of you" in queue
    assert f"/works/{wid}?mentions=1" in bob.get("/queue?mentions=1").text
    page = bob.get(f"/works/{wid}").text
    assert SECRET_NOTE in page and 'id="held-back"' not in page
    assert f"/works/{wid}?" not in bob.get("/queue?mentions=1").text                # read on sight
    assert SECRET_NOTE in root.get(f"/works/{wid}").text                          # decided stages hide nothing
    assert post_form(bob, f"/works/{wid}/comments", {"body": "  "}, page=f"/works/{wid}").status_code == 400
    with reading(engine) as s:
        assert [c.author for c in s.scalars(select(Comment).order_by(Comment.id))] == ["ann", "bob"]


def test_a_comment_is_text_never_markup(engine, as_user):
    [wid] = add_works(engine, [record(1)])
    ann = as_user("ann")
    post_form(ann, f"/works/{wid}/comments", {"body": '<img src=x onerror="alert(1)"> @carol'}, page=f"/works/{wid}")
    page = ann.get(f"/works/{wid}").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page and "<img src=x" not in page


def test_each_user_highlights_their_own_words_beside_the_protocols_terms(engine, as_user):
    [wid] = add_works(engine, [record(1)])
    ann = as_user("ann")
    assert post_form(ann, "/highlights", {"word": "self efficacy"}, page="/highlights").status_code == 303
    assert post_form(ann, "/highlights", {"word": "x"}, page="/highlights").status_code == 400
    page = ann.get(f"/works/{wid}").text
    assert '<mark class="mine">self efficacy</mark>' in page
    assert '<mark class="term">' in page                                          # the protocol's terms still marked
    assert '<mark class="mine">self efficacy</mark>' not in as_user("bob").get(f"/works/{wid}").text
    word_id = re.search(r'/highlights/(\d+)/delete', ann.get("/highlights").text).group(1)
    assert post_form(as_user("bob"), f"/highlights/{word_id}/delete", {}, page="/highlights").status_code == 404
    post_form(ann, f"/highlights/{word_id}/delete", {}, page="/highlights")
    assert '<mark class="mine">' not in ann.get(f"/works/{wid}").text.split('class="abstract"')[1].split("</div>")[0]


def test_an_admin_assigns_the_next_records_to_a_reviewer_who_finds_them_under_assigned_to_me(engine, as_user):
    wids = add_works(engine, [record(i) for i in range(5)])
    root, ann = as_user("root"), as_user("ann")
    vote(ann, wids[0], "include")       # ann decided one already: never assigned what she has voted on
    assert post_form(ann, "/assign", {"reviewer": "ann", "next": "2"}).status_code == 403
    r = post_form(root, "/assign", {"reviewer": "ann", "next": "3", "back": ""})
    assert r.status_code == 303
    assert "Assigned 3 records to ann" in root.get(r.headers["location"]).text
    mine = ann.get("/queue?assigned=1").text
    shown = {int(x) for x in re.findall(r'class="title" href="/works/(\d+)', mine)}
    assert len(shown) == 3 and wids[0] not in shown
    assert mine.count("assigned to you") == 3
    # assigned to two reviewers (two votes needed), a record is full: a third is given the others
    post_form(root, "/assign", {"reviewer": "bob", "next": "5"})
    post_form(root, "/assign", {"reviewer": "carol", "next": "5"})
    with reading(engine) as s:
        from livereview.store.assignments import assignees
        counts = [len(v) for v in assignees(s, wids).values()]
    assert max(counts) == 2
    one = wids[4]
    post_form(root, "/assign", {"reviewer": "ann", "works": str(one), "unassign": "1"}, page=f"/works/{one}")
    assert post_form(root, "/assign", {"reviewer": "nobody", "next": "1"}).status_code == 400


def test_the_dashboard_shows_each_reviewers_progress_as_counts_from_the_screening_rule(engine, as_user):
    wids = add_works(engine, [record(i) for i in range(4)])
    ann, bob = as_user("ann"), as_user("bob")
    vote(ann, wids[0], "include")
    vote(ann, wids[1], "exclude", reason="E1-topic")
    vote(bob, wids[1], "include")             # wids[1]: a conflict (ann and bob)
    vote(bob, wids[2], "maybe")
    post_form(bob, f"/works/{wids[2]}/undo", {"stage": TA})   # withdrawn: not decided
    page = as_user("carol").get("/dashboard").text
    rows = dict(re.findall(r"<tr[^>]*><td>(\w+)(?: \(you\))?</td>(.*?)</tr>", page.split('id="progress-table"')[1]))
    nums = {name: re.findall(r'class="num">([\d,+]+)<', cells) for name, cells in rows.items()}
    assert nums["ann"] == ["2", "2", "1"]     # decided 2; open: wids 2, 3; conflict on wids[1]
    assert nums["bob"] == ["1", "3", "1"]     # withdrawn vote does not count; open: 0, 2, 3
    assert nums["carol"] == ["0", "3", "0"]
    assert "vote-include" not in page and "vote-exclude" not in page


def _upload(c, name, data, *, source="psycinfo", fmt="auto", token=None):
    token = token or csrf_from(c.get("/import").text)
    return c.post("/import", data={"csrf_token": token, "source": source, "format": fmt},
                  files={"file": (name, data, "application/octet-stream")})


def test_an_admin_uploads_an_export_through_the_clis_import_with_its_summary(engine, as_user, protocol, tmp_path):
    root = as_user("root")
    ris = (EXPORTS / "ebsco_psycinfo_academic_search.ris").read_bytes()
    assert as_user("ann").get("/import").status_code == 403
    r = _upload(root, "ebsco_psycinfo_academic_search.ris", ris)
    assert r.status_code == 200
    line = re.search(r'id="import-result"[^>]*>(.*?)</p>', r.text).group(1)
    with reading(engine) as s:
        imp = s.scalars(select(Import)).one()
        s.expunge(imp)
    assert imp.path == "ebsco_psycinfo_academic_search.ris" and imp.source == "psycinfo"
    # the CLI's summary line (flows.file_import.summary) of this very import, under the uploaded file's name
    cli_line = summary(ImportReport(imp.path, "psycinfo", imp.format, imp.counts["records"], imp.counts, imp.id))
    assert line == cli_line and line.startswith(f"{imp.path}: {imp.counts['records']} records (ris) — import #")
    again = _upload(root, "ebsco_psycinfo_academic_search.ris", ris)
    assert "already imported as import #" in again.text and "nothing changed" in again.text
    with reading(engine) as s:
        actors = list(s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "import")))
    assert actors == ["root"]


def test_an_upload_gets_exactly_the_clis_refusals_and_nothing_is_stored(engine, as_user, protocol, tmp_path):
    root = as_user("root")
    bad = b"TY  - JOUR\nTI  - half a record with no end\n"
    path = tmp_path / "broken.ris"
    path.write_bytes(bad)
    with pytest.raises(InputFileError) as cli:
        import_file(engine, protocol, path, source="psycinfo")
    r = _upload(root, "broken.ris", bad)
    assert r.status_code == 400
    shown = re.search(r'id="import-error"[^>]*>(.*?)</p>', r.text, re.S).group(1)
    assert shown == str(cli.value).replace(str(tmp_path) + "/", "").replace("'", "&#39;").replace('"', "&#34;")
    assert "empty" in _upload(root, "empty.ris", b"").text
    assert "source:" in _upload(root, "x.ris", b"TY  - JOUR\nER  - \n", source="bad label!").text
    with reading(engine) as s:
        assert s.scalars(select(Import)).all() == []
    # no CSRF token, a multipart body elsewhere: refused
    assert root.post("/import", files={"file": ("a.ris", b"x")}, data={"source": "x"}).status_code == 403
    assert root.post("/tags", files={"file": ("a.ris", b"x")},
                     data={"csrf_token": csrf_from(root.get("/tags").text), "name": "n", "colour": "red"}
                     ).status_code == 403


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(engine, users, protocol):
    from livereview.web.app import create_app

    settings = web_settings(engine.url.render_as_string(hide_password=False), upload_max_mb=0.01)
    app = create_app(settings, engine=engine, protocol=protocol, retrain=False, importer=UploadImporter())
    c = TestClient(app, follow_redirects=False)
    signin(c, "root")
    r = _upload(c, "big.ris", b"TY  - JOUR\n" + b"TI  - x\n" * 20000 + b"ER  - \n")
    assert r.status_code == 413
    with reading(engine) as s:
        assert s.scalars(select(Import)).all() == []


def test_the_summary_line_is_the_clis(engine, protocol):
    rep = import_file(engine, protocol, EXPORTS / "pubmed_export.nbib", source="pubmed-file")
    assert summary(rep).startswith(f"{EXPORTS / 'pubmed_export.nbib'}: {rep.records} records (nbib) — import #")
