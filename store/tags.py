"""Tags: labels an admin defines (name and a colour from a fixed palette) that reviewers put on records.

A colour is one of :data:`PALETTE`'s names, never a CSS value: the web app turns it into a class
(``tag-<colour>``) styled by its own stylesheet, so nothing a user typed reaches CSS and the strict CSP holds.
Putting a tag on or taking it off is audited. :func:`tags_for_works` is the one read for exports and list filters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from livereview.store.audit import audit
from livereview.store.models import Tag, Work, WorkTag

#: the colours a tag may have (each a class in web/static/people.css)
PALETTE: tuple[str, ...] = ("grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink")
MAX_NAME = 60
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,60}$")


class TagError(ValueError):
    """A tag name or colour that cannot be used, or a tag that does not exist (one line for the user)."""


def check_tag(name: str, colour: str) -> tuple[str, str]:
    """The tag's name (spaces tidied) and colour, or TagError saying what is wrong."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not _NAME_RE.match(name):
        raise TagError(f"a tag name is 1-{MAX_NAME} printable characters")
    if colour not in PALETTE:
        raise TagError(f"colour {colour[:20]!r}: use one of {', '.join(PALETTE)}")
    return name, colour


def list_tags(session: Session) -> list[Tag]:
    return list(session.scalars(select(Tag).order_by(Tag.name)))


def create_tag(session: Session, name: str, colour: str, *, actor: str) -> Tag:
    """A new tag (admin); a name already taken (ignoring case) is refused."""
    name, colour = check_tag(name, colour)
    if any(t.name.lower() == name.lower() for t in list_tags(session)):
        raise TagError(f"tag {name!r} exists already")
    tag = Tag(name=name, colour=colour, created_by=actor)
    session.add(tag)
    session.flush()
    audit(session, actor, "tag-created", "tag", tag.id, name=name, colour=colour)
    return tag


def recolour_tag(session: Session, tag_id: int, colour: str, *, actor: str) -> Tag:
    tag = _tag(session, tag_id)
    _, colour = check_tag(tag.name, colour)
    before, tag.colour = tag.colour, colour
    audit(session, actor, "tag-recoloured", "tag", tag.id, name=tag.name, before=before, after=colour)
    return tag


def delete_tag(session: Session, tag_id: int, *, actor: str) -> int:
    """Delete a tag and take it off every record (the records it was on are in the audit entry)."""
    tag = _tag(session, tag_id)
    works = list(session.scalars(select(WorkTag.work_id).where(WorkTag.tag_id == tag.id)))
    session.execute(delete(WorkTag).where(WorkTag.tag_id == tag.id))
    audit(session, actor, "tag-deleted", "tag", tag.id, name=tag.name, colour=tag.colour, works=works)
    session.delete(tag)
    return len(works)


def _tag(session: Session, tag_id: int) -> Tag:
    tag = session.get(Tag, tag_id)
    if tag is None:
        raise TagError(f"no tag {tag_id}")
    return tag


def tag_work(session: Session, work_id: int, tag_id: int, *, actor: str) -> bool:
    """Put a tag on a record; False when it was on already (nothing written)."""
    tag = _tag(session, tag_id)
    if session.get(Work, work_id) is None:
        raise TagError(f"no record {work_id}")
    if session.get(WorkTag, (work_id, tag.id)) is not None:
        return False
    session.add(WorkTag(work_id=work_id, tag_id=tag.id, added_by=actor))
    session.flush()
    audit(session, actor, "tag-added", "work", work_id, tag=tag.name, tag_id=tag.id)
    return True


def untag_work(session: Session, work_id: int, tag_id: int, *, actor: str) -> bool:
    """Take a tag off a record; False when it was not on it."""
    row = session.get(WorkTag, (work_id, tag_id))
    if row is None:
        return False
    tag = _tag(session, tag_id)
    session.delete(row)
    session.flush()
    audit(session, actor, "tag-removed", "work", work_id, tag=tag.name, tag_id=tag.id, added_by=row.added_by)
    return True


def tag_rows_for_works(session: Session, work_ids: Iterable[int]) -> dict[int, list[Tag]]:
    """The tags on each of ``work_ids`` (by name), in one query: for pages that show their colours."""
    ids = sorted(set(work_ids))
    out: dict[int, list[Tag]] = defaultdict(list)
    for start in range(0, len(ids), 500):  # bounded IN lists on any back-end
        rows = session.execute(select(WorkTag.work_id, Tag).join(Tag, Tag.id == WorkTag.tag_id)
                               .where(WorkTag.work_id.in_(ids[start:start + 500])).order_by(Tag.name))
        for work_id, tag in rows:
            out[work_id].append(tag)
    return dict(out)


def tags_for_works(session: Session, work_ids: Iterable[int]) -> dict[int, list[str]]:
    """The tag names on each of ``work_ids``, sorted (works without tags are absent): for exports and list filters."""
    return {wid: [t.name for t in tags] for wid, tags in tag_rows_for_works(session, work_ids).items()}
