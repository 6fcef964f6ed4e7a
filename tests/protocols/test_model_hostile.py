"""Protocol checks against hostile or odd input: hand-written overrides, operator words, ancient floors, huge lists."""

from __future__ import annotations

import time

import pytest

from livereview.addresses import MAX_RECIPIENTS
from livereview.errors import ProtocolError
from livereview.protocols.model import check_query_text, parse_protocol
from livereview.settings import BUNDLED_PROTOCOL

TEXT = BUNDLED_PROTOCOL.read_text()


def variant(old, new):
    assert old in TEXT, old
    return parse_protocol(TEXT.replace(old, new, 1), BUNDLED_PROTOCOL)


def refused(old, new):
    with pytest.raises(ProtocolError) as info:
        variant(old, new)
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize(("override", "problem"), [
    ("(homework[tiab] OR assignment*[tiab] AND coaching[tiab]", "unbalanced parentheses"),
    ("homework[tiab]) OR (coaching[tiab]", "closing parenthesis"),
    ('"between-session activities[tiab] AND coaching', "double quote"),
    ("homework[tiab] AND", "ends with a boolean operator"),
    ("homework[tiab] AND OR coaching[tiab]", "two boolean operators"),
    ("homework[tiab] AND ()", "empty parentheses"),
    ("   ", "empty query"),
])
def test_a_verbatim_override_is_checked_like_a_generated_query(override, problem):
    err = refused("[sources.pubmed]\n", f"[sources.pubmed]\noverrides = {{ core = '{override}' }}\n")
    assert err.field == "sources.pubmed.overrides" and problem in err.problem


def test_a_well_formed_override_is_accepted_and_sent_verbatim():
    text = '("home work"[tiab] OR homework*[tiab]) AND (coaching[tiab] OR "coaching psychology"[tiab]) NOT letter[pt]'
    p = variant("[sources.pubmed]\n", f"[sources.pubmed]\noverrides = {{ core = '{text}' }}\n")
    assert p.sources["pubmed"].overrides["core"] == text
    check_query_text("NOT retracted AND (a OR b)")


@pytest.mark.parametrize("term", ["AND", "or", "Not", "NEAR"])
def test_a_bare_operator_word_as_a_term_is_refused(term):
    err = refused('"homework*", "home-work",', f'"homework*", "{term}",')
    assert err.field == "concepts.ia.terms" and "boolean operator word" in err.problem


@pytest.mark.parametrize("floor", ["1000-01-01", "1899-12-31"])
def test_a_date_floor_before_1900_is_refused(floor):
    err = refused("date_floor = 1995-01-01", f"date_floor = {floor}")
    assert err.field == "review.date_floor" and "before 1900" in err.problem


def test_1900_itself_is_a_valid_floor():
    assert str(variant("date_floor = 1995-01-01", "date_floor = 1900-01-01").review.date_floor) == "1900-01-01"


def test_too_many_recipients_are_refused_quickly_with_the_limit_named():
    many = ", ".join(f'"member{i}@example.org"' for i in range(100_000))
    started = time.perf_counter()
    err = refused('recipients = ["ia-review-team@example.org"]', f"recipients = [{many}]")
    assert time.perf_counter() - started < 30
    assert err.field == "digest.recipients" and f"at most {MAX_RECIPIENTS}" in err.problem


@pytest.mark.parametrize("address", ["a@b.org, c@d.org", "Ann <a@b.org>", "a@b.org\r\nBcc: x@y.org"])
def test_a_recipient_that_is_not_one_plain_address_is_refused(address):
    err = refused('recipients = ["ia-review-team@example.org"]', f"recipients = [{address!r}]".replace("'", '"')
                  if "\r" not in address else 'recipients = ["a@b.org\\r\\nBcc: x@y.org"]')
    assert err.field == "digest.recipients"
