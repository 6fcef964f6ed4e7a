"""Each user's own highlight words: marked in titles and abstracts beside the protocol's terms (web/text.py)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.store.audit import audit
from livereview.store.models import HighlightWord

MAX_WORDS = 50
MAX_LENGTH = 100


class HighlightError(ValueError):
    """A word that is too short, too long or unprintable, or one too many."""


def words_for(session: Session, user_name: str) -> list[HighlightWord]:
    return list(session.scalars(select(HighlightWord).where(HighlightWord.user_name == user_name)
                                .order_by(HighlightWord.word)))


def add_word(session: Session, user_name: str, word: str) -> HighlightWord | None:
    """Add a highlight word (spaces tidied; 2-100 printable characters); None when the user has it already."""
    word = " ".join(word.split())
    if len(word) < 2 or len(word) > MAX_LENGTH or re.search(r"[\x00-\x1f\x7f]", word):
        raise HighlightError(f"a highlight word is 2-{MAX_LENGTH} printable characters")
    words = words_for(session, user_name)
    if any(w.word.lower() == word.lower() for w in words):
        return None
    if len(words) >= MAX_WORDS:
        raise HighlightError(f"at most {MAX_WORDS} highlight words each: remove one first")
    row = HighlightWord(user_name=user_name, word=word)
    session.add(row)
    session.flush()
    audit(session, user_name, "highlight-added", "user", None, word=word)
    return row


def remove_word(session: Session, user_name: str, word_id: int) -> bool:
    """Remove one of the user's own words (another user's id is not found)."""
    row = session.get(HighlightWord, word_id)
    if row is None or row.user_name != user_name:
        return False
    audit(session, user_name, "highlight-removed", "user", None, word=row.word)
    session.delete(row)
    return True


def word_spans(text: str | None, words: list[str]) -> list[tuple[int, int]]:
    """Where ``words`` occur in ``text`` (case-insensitive, at word starts), sorted, overlaps dropped."""
    if not text or not words:
        return []
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                         + ")", re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]
