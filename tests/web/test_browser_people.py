"""People in the loop in headless Chromium, keyboard first: an admin defines a tag, uploads an export and hands
the next records to a reviewer; the reviewer finds them under "assigned to me", tags one with ``t``, writes a
comment mentioning a colleague with ``w`` and Ctrl+Enter; the colleague, blind until they vote, then finds the
mention in their queue. Screenshots (1280 and 390 px): tests/artifacts/people-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from webharness import add_works, login, serve, shot

from livereview.flows.file_import import UploadImporter
from livereview.store.db import reading
from livereview.store.models import Comment, Import, Work, WorkTag

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "pubmed_export.nbib"
NOTE = "wrong-population-adolescents"


def records():
    return [{"title": f"Coaching and self efficacy in nursing students: trial {i}",
             "abstract": f"Health coaching sessions ({i}) improved self efficacy and wellbeing.",
             "authors": [f"Lee{i}, K"], "year": 2025, "journal": "Nurse Education Today", "pmid": str(39800000 + i)}
            for i in range(4)]


@pytest.fixture
def server(make_app, engine, users):
    with serve(make_app(importer=UploadImporter()), engine) as s:
        yield s


def test_tags_comments_mentions_assignments_and_upload_by_keyboard(server, engine, new_page):
    add_works(engine, records())
    admin = new_page()
    login(admin, server.url, "root")
    # a tag: its colour from the palette, its name typed, Enter
    admin.goto(f"{server.url}/tags")
    admin.select_option("#tag-colour", "teal")
    admin.focus("#tag-name")
    admin.keyboard.type("RCT")
    with admin.expect_navigation():
        admin.keyboard.press("Enter")
    assert admin.inner_text("#tag-list").count("RCT") == 1
    shot(admin, "people-tags")
    # an export, uploaded
    admin.goto(f"{server.url}/import")
    admin.set_input_files("#file", str(EXPORT))
    admin.fill("#source", "pubmed-file")
    with admin.expect_navigation():
        admin.click("#upload-form button[type=submit]")
    result = admin.inner_text("#import-result")
    assert result.startswith("pubmed_export.nbib: ") and "(nbib) — import #" in result
    shot(admin, "people-upload")
    admin.set_viewport_size({"width": 390, "height": 900})
    shot(admin, "people-upload-390")
    admin.goto(f"{server.url}/tags")
    shot(admin, "people-tags-390")
    admin.set_viewport_size({"width": 1280, "height": 900})
    with reading(engine) as s:
        assert s.scalars(select(Import.path)).one() == "pubmed_export.nbib"
    # the next two records of the queue to ann
    admin.goto(f"{server.url}/queue")
    admin.fill("#assign-next", "2")
    admin.fill("#assign-to", "ann")
    with admin.expect_navigation():
        admin.press("#assign-next", "Enter")
    assert "Assigned 2 records to ann" in admin.inner_text("#assigned-note")

    ann = new_page()
    login(ann, server.url, "ann")
    ann.goto(f"{server.url}/queue?assigned=1")
    assert ann.locator("#queue-list .work-row").count() == 2
    shot(ann, "people-queue-assigned")
    ann.keyboard.press("j")
    with ann.expect_navigation():
        ann.keyboard.press("Enter")
    wid = int(ann.url.split("/works/")[1].split("?")[0])
    with ann.expect_navigation():     # t: the tag menu; Enter puts the tag on
        ann.keyboard.press("t")
        ann.keyboard.press("Enter")
    assert "RCT" in ann.inner_text("#tags")
    with ann.expect_navigation():     # her vote (the record still needs bob's)
        ann.keyboard.press("i")
    ann.goto(f"{server.url}/works/{wid}")
    ann.keyboard.press("w")
    ann.keyboard.type(f"{NOTE} — @bob what do you think?")
    with ann.expect_navigation():
        ann.keyboard.press("Control+Enter")
    assert NOTE in ann.inner_text("#comments")
    with reading(engine) as s:
        assert s.scalars(select(WorkTag.work_id)).all() == [wid]
        assert [c.author for c in s.scalars(select(Comment))] == ["ann"]
    for width, name in ((1280, "people-record"), (390, "people-record-390")):
        ann.set_viewport_size({"width": width, "height": 900})
        shot(ann, name)

    bob = new_page()
    login(bob, server.url, "bob")
    bob.goto(f"{server.url}/works/{wid}")
    assert NOTE not in bob.content() and bob.is_visible("#held-back")   # blind: he has not voted
    bob.goto(f"{server.url}/queue")
    assert bob.locator("#mentions-link").count() == 0
    bob.goto(f"{server.url}/works/{wid}")
    with bob.expect_navigation():     # he excludes (e, reason 1): a conflict, every vote in, the thread is open
        bob.keyboard.press("e")
        bob.keyboard.press("1")
    bob.goto(f"{server.url}/queue")
    assert "1 unread mention of you" in bob.inner_text("#mentions-link")
    with bob.expect_navigation():
        bob.click("#mentions-link")
    with bob.expect_navigation():
        bob.keyboard.press("j")
        bob.keyboard.press("Enter")
    assert NOTE in bob.inner_text("#comments")
    bob.goto(f"{server.url}/dashboard")
    assert bob.is_visible("#progress-table")
    shot(bob, "people-dashboard")
    bob.set_viewport_size({"width": 390, "height": 900})
    shot(bob, "people-dashboard-390")
    bob.goto(f"{server.url}/queue")
    shot(bob, "people-queue-390")
    bob.goto(f"{server.url}/highlights")     # his own words, added by keyboard
    bob.focus("#word")
    bob.keyboard.type("self efficacy")
    with bob.expect_navigation():
        bob.keyboard.press("Enter")
    shot(bob, "people-highlights-390")
    with reading(engine) as s:
        coaching = s.scalars(select(Work.id).where(Work.title.like("Coaching%trial 0"))).one()
    bob.goto(f"{server.url}/works/{coaching}")
    assert bob.locator(".work-title mark.mine").all_inner_texts() == ["self efficacy"]
    assert bob.locator(".abstract mark.mine").all_inner_texts() == ["self efficacy"]
