"""The record page's full-text box: the cached open-access link, the attached PDFs, and a lookup on first view.

A record at full text that was never looked up starts the finder the app was given (``WebState.fulltext_finder``)
in a background thread: the page never waits on Unpaywall; it says the lookup is under way, and the next view
shows the link. One lookup per record at a time per process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from livereview.records.fulltext import VERSION_LABELS
from livereview.store.attachments import attachments_of
from livereview.store.fulltext import cached_link, is_at_full_text
from livereview.store.models import Attachment, FullTextLink, Work
from livereview.web.context import WebState

log = logging.getLogger(__name__)
_IN_FLIGHT: set[tuple[str, int]] = set()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class FullTextBox:
    """What the record page shows about the work's full text."""

    at_full_text: bool
    link: FullTextLink | None
    version_label: str | None
    looking: bool                     # a lookup was started for this view (or is running)
    attachments: list[Attachment]
    cap_mb: float


def look_up_soon(st: WebState, work_id: int) -> bool:
    """Start the finder for one work in the background unless it already runs; True when it runs."""
    finder = st.fulltext_finder
    if finder is None:
        return False
    key = (st.engine.url.render_as_string(hide_password=True), work_id)
    with _LOCK:
        if key in _IN_FLIGHT:
            return True
        _IN_FLIGHT.add(key)

    def run() -> None:
        try:
            finder(st.engine, work_id)
        except Exception as exc:  # a lookup that fails must never break the record page: it is tried again later
            log.warning("full text of record %d: lookup failed: %s", work_id, exc)
        finally:
            with _LOCK:
                _IN_FLIGHT.discard(key)

    threading.Thread(target=run, name=f"livereview-fulltext-{work_id}", daemon=True).start()
    return True


def full_text_box(st: WebState, db: Session, work: Work) -> FullTextBox:
    """The box's content; a record at full text never looked up gets its lookup started now."""
    link = cached_link(db, work.id)
    at_ft = is_at_full_text(work)
    looking = at_ft and link is None and look_up_soon(st, work.id)
    label = VERSION_LABELS.get(link.version or "") if link is not None else None
    return FullTextBox(at_ft, link, label, looking, attachments_of(db, work.id), st.settings.pdf_max_mb)
