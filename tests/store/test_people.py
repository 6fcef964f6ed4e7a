"""People in the loop, in the store (SQLite and PostgreSQL): tags and their palette, comments with @mentions,
highlight words, assignments — each change audited, bad input refused with one line."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from webharness import add_user, add_works

from livereview.store.assignments import assign, assignees, unassign
from livereview.store.comments import CommentError, add_comment, mark_mentions_read, mentioned_names, thread
from livereview.store.db import reading, transaction
from livereview.store.highlights import HighlightError, add_word, remove_word, word_spans, words_for
from livereview.store.models import AuditEntry, Mention, WorkTag
from livereview.store.tags import (
    TagError,
    create_tag,
    delete_tag,
    recolour_tag,
    tag_work,
    tags_for_works,
    untag_work,
)


def works(engine, n=3):
    return add_works(engine, [{"title": f"Coaching trial {i}", "pmid": str(38000000 + i), "year": 2024}
                              for i in range(n)])


def actions(engine):
    with reading(engine) as s:
        return [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_tags_are_defined_with_a_palette_colour_put_on_and_taken_off_and_read_back_per_work(engine):
    a, b, c = works(engine)
    with transaction(engine) as s:
        rct = create_tag(s, "  RCT  ", "green", actor="root").id
        transl = create_tag(s, "needs translation", "orange", actor="root").id
    with transaction(engine) as s:
        assert tag_work(s, a, rct, actor="ann") is True
        assert tag_work(s, a, rct, actor="bob") is False          # on already: nothing written
        tag_work(s, a, transl, actor="ann")
        tag_work(s, b, rct, actor="bob")
    with reading(engine) as s:
        assert tags_for_works(s, [a, b, c]) == {a: ["RCT", "needs translation"], b: ["RCT"]}
        assert tags_for_works(s, []) == {}
    with transaction(engine) as s:
        assert untag_work(s, a, transl, actor="bob") is True
        assert untag_work(s, a, transl, actor="bob") is False
        recolour_tag(s, rct, "blue", actor="root")
    with transaction(engine) as s:
        assert delete_tag(s, rct, actor="root") == 2               # taken off both records with it
    with reading(engine) as s:
        assert tags_for_works(s, [a, b]) == {}
        assert s.scalars(select(WorkTag)).all() == []
    assert [x for x in actions(engine) if x.startswith("tag")] == [
        "tag-created", "tag-created", "tag-added", "tag-added", "tag-added", "tag-removed", "tag-recoloured",
        "tag-deleted"]


@pytest.mark.parametrize(("name", "colour", "problem"), [
    ("", "red", "1-60 printable"), ("x" * 61, "red", "1-60 printable"), ("a\x00b", "red", "1-60 printable"),
    ("ok", "#ff0000", "use one of"), ("ok", "red; background: url(x)", "use one of"), ("ok", "", "use one of"),
])
def test_a_tag_name_or_colour_that_cannot_be_used_is_refused(engine, name, colour, problem):
    with transaction(engine) as s, pytest.raises(TagError, match=problem):
        create_tag(s, name, colour, actor="root")


def test_a_tag_name_taken_in_another_case_is_refused(engine):
    with transaction(engine) as s:
        create_tag(s, "Meta-analysis", "teal", actor="root")
    with transaction(engine) as s, pytest.raises(TagError, match="exists already"):
        create_tag(s, "meta-ANALYSIS", "red", actor="root")


def test_mentions_are_parsed_from_at_names_without_trailing_punctuation_or_e_mail_addresses():
    assert mentioned_names("@ann please check, and @bob.smith. Thanks @ann!") == ["ann", "bob.smith"]
    assert mentioned_names("write to x@ann.org or @carol-") == ["carol"]
    assert mentioned_names("no mention here") == []


def test_a_comment_mentions_only_active_users_other_than_its_author_and_reading_the_thread_clears_them(engine):
    [wid] = works(engine, 1)
    for name in ("ann", "bob", "carol"):
        add_user(engine, name)
    with transaction(engine) as s:
        c = add_comment(s, wid, author="ann", body="@bob @carol @ann @nobody: wrong population?\r\n")
        assert c.body == "@bob @carol @ann @nobody: wrong population?"
    with reading(engine) as s:
        assert sorted(m.user_name for m in s.scalars(select(Mention))) == ["bob", "carol"]
        assert [x.body for x in thread(s, wid)] == [c.body]
    with transaction(engine) as s:
        assert mark_mentions_read(s, wid, "bob") == 1
        assert mark_mentions_read(s, wid, "bob") == 0
    with reading(engine) as s:
        unread = [m.user_name for m in s.scalars(select(Mention).where(Mention.read_at.is_(None)))]
        assert unread == ["carol"]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "comment")).one()
        assert entry.details["mentions"] == ["bob", "carol"] and entry.entity_id == wid


@pytest.mark.parametrize(("body", "problem"), [("   ", "needs some text"), ("x" * 5001, "at most 5000"),
                                               ("a\x00b", "NUL")])
def test_an_empty_or_oversized_comment_is_refused_and_nothing_is_stored(engine, body, problem):
    [wid] = works(engine, 1)
    with pytest.raises(CommentError, match=problem), transaction(engine) as s:
        add_comment(s, wid, author="ann", body=body)
    with reading(engine) as s:
        assert thread(s, wid) == []


def test_highlight_words_are_each_users_own_and_match_at_word_starts_ignoring_case(engine):
    with transaction(engine) as s:
        add_word(s, "ann", "  self  efficacy ")
        assert add_word(s, "ann", "SELF EFFICACY") is None            # has it already
        add_word(s, "ann", "coach")
        bob_word = add_word(s, "bob", "wellbeing").id
    with reading(engine) as s:
        assert [w.word for w in words_for(s, "ann")] == ["coach", "self efficacy"]
    with transaction(engine) as s:
        assert remove_word(s, "ann", bob_word) is False               # not hers
    text = "Coaching raised Self efficacy; the coach, not a life-coach."
    spans = word_spans(text, ["coach", "self efficacy"])
    assert [text[a:b] for a, b in spans] == ["Coach", "Self efficacy", "coach", "coach"]
    assert word_spans(text, ["(unbalanced"]) == []                     # a word is text, never a pattern
    with transaction(engine) as s, pytest.raises(HighlightError, match="2-100"):
        add_word(s, "ann", "x")


def test_assignments_are_per_reviewer_idempotent_and_audited(engine):
    a, b, c = works(engine)
    with transaction(engine) as s:
        assert assign(s, [a, b], "ann", actor="root") == [a, b]
        assert assign(s, [b, c], "ann", actor="root") == [c]
        assert assign(s, [a], "bob", actor="root") == [a]
    with reading(engine) as s:
        assert assignees(s, [a, b, c]) == {a: ["ann", "bob"], b: ["ann"], c: ["ann"]}
    with transaction(engine) as s:
        assert unassign(s, [a, b], "ann", actor="root") == 2
    with transaction(engine) as s, pytest.raises(ValueError, match="no record 999999"):
        assign(s, [999999], "ann", actor="root")
    assert actions(engine).count("assigned") == 3 and actions(engine).count("unassigned") == 1


def test_comments_mentions_tags_and_assignments_follow_a_merge_and_go_back_on_undo(engine):
    from livereview.store.merge import merge_works, undo_merge
    from livereview.store.models import Assignment, Comment, Work

    kept_id, merged_id = works(engine, 2)
    add_user(engine, "bob")
    with transaction(engine) as s:
        rct = create_tag(s, "RCT", "green", actor="root").id
        pilot = create_tag(s, "pilot", "pink", actor="root").id
        tag_work(s, kept_id, rct, actor="ann")
        tag_work(s, merged_id, rct, actor="ann")       # on both: one is enough on the kept work
        tag_work(s, merged_id, pilot, actor="ann")
        add_comment(s, merged_id, author="ann", body="same trial as the other? @bob")
        assign(s, [kept_id, merged_id], "ann", actor="root")
        assign(s, [merged_id], "bob", actor="root")
    with transaction(engine) as s:
        m = merge_works(s, s.get(Work, kept_id), s.get(Work, merged_id), rule="doi", actor="test")
        merge_id = m.id
    with reading(engine) as s:
        assert tags_for_works(s, [kept_id]) == {kept_id: ["RCT", "pilot"]}
        assert [c.work_id for c in s.scalars(select(Comment))] == [kept_id]
        assert [x.work_id for x in s.scalars(select(Mention))] == [kept_id]
        assert assignees(s, [kept_id]) == {kept_id: ["ann", "bob"]}
    with transaction(engine) as s:
        undo_merge(s, merge_id, actor="test")
    with reading(engine) as s:
        assert tags_for_works(s, [kept_id, merged_id]) == {kept_id: ["RCT"], merged_id: ["RCT", "pilot"]}
        assert [c.work_id for c in s.scalars(select(Comment))] == [merged_id]
        assert sorted((a.work_id, a.reviewer) for a in s.scalars(select(Assignment))) == [
            (kept_id, "ann"), (merged_id, "ann"), (merged_id, "bob")]
