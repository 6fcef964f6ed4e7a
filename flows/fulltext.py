"""The open-access finder: for each record at the full-text stage, the best legal full-text link, cached.

Candidates come from three places: Unpaywall, asked by DOI (``connectors/unpaywall``, with the contact e-mail
from the settings), and what Europe PMC (``fullTextUrlList``) and OpenAlex (``best_oa_location``) already said
in the payloads the monitor stored. :func:`livereview.records.fulltext.best_link` picks one (its order is
documented there); the store keeps it with the date checked (``store/fulltext.py``), and it is looked for again
after ``LIVEREVIEW_FULLTEXT_RECHECK_DAYS``.

Runs as a step at the end of each monitor run (``find_full_texts``) and, through :func:`finder_for`, when a
record at full text is first viewed in the web app (the app is handed the finder; it knows no connector).
A source that cannot be asked (no e-mail, offline, a refused DOI) is noted on the record, never fatal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from livereview.connectors.europepmc.parse import full_text_links
from livereview.connectors.http import SourceClient
from livereview.connectors.openalex.parse import oa_location
from livereview.connectors.unpaywall import lookup, make_client
from livereview.errors import MissingCredentialsError, SourceError
from livereview.records.fulltext import OpenAccessLink, best_link
from livereview.settings import Settings
from livereview.store.db import reading, transaction
from livereview.store.fulltext import cached_link, raw_payloads, save_link, works_due
from livereview.store.models import Work

log = logging.getLogger(__name__)

#: records looked up per monitor run at most (Unpaywall: one request each)
BATCH = 200


def payload_links(payloads: list[tuple[str, str]]) -> list[OpenAccessLink]:
    """The open-access links the stored Europe PMC and OpenAlex payloads of a work name (bad JSON is skipped)."""
    out: list[OpenAccessLink] = []
    for source, raw in payloads:
        try:
            item = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if not isinstance(item, dict):
            continue
        if source == "europepmc":
            out.extend(full_text_links(item))
        elif source == "openalex":
            link = oa_location(item)
            if link is not None:
                out.append(link)
    return out


class Finder:
    """Looks up and caches the best link of one work at a time (one Unpaywall client for all of them)."""

    def __init__(self, settings: Settings, *, client: SourceClient | None = None) -> None:
        self.settings = settings
        self._client = client
        self._no_client: str | None = None

    def client(self) -> SourceClient | None:
        if self._client is None and self._no_client is None:
            try:
                self._client = make_client(self.settings)
            except MissingCredentialsError as exc:
                self._no_client = str(exc)
        return self._client

    def candidates(self, doi: str | None, payloads: list[tuple[str, str]]) -> tuple[list[OpenAccessLink], list[str]]:
        """Every candidate link of a work, and the problems met asking for them."""
        links, problems = payload_links(payloads), []
        client = self.client() if doi else None
        if doi and client is None:
            problems.append(self._no_client or "unpaywall: not asked")
        elif doi and client is not None:
            try:
                links.extend(lookup(client, doi) or [])
            except SourceError as exc:
                problems.append(str(exc)[:300])
        return links, problems

    def find(self, engine: Engine, work_id: int) -> OpenAccessLink | None:
        """Look for the work's best link and cache it (reads, asks, then writes: no transaction held over HTTP)."""
        with reading(engine) as s:
            work = s.get(Work, work_id)
            if work is None:
                return None
            doi, payloads = work.doi, raw_payloads(s, work_id)
        links, problems = self.candidates(doi, payloads)
        best = best_link(links)
        for p in problems:   # the log only: the step's summary counts them (quiet CLI, one line per problem)
            log.info("full text of record %d: %s", work_id, p)
        with transaction(engine) as s:
            if s.get(Work, work_id) is not None:
                save_link(s, work_id, best, problems=problems)
        return best


def find_full_texts(engine: Engine, settings: Settings, *, client: SourceClient | None = None,
                    limit: int = BATCH) -> dict[str, Any]:
    """The monitor's step: look for the works at full text that are due; returns counts for the run summary."""
    with reading(engine) as s:
        due = works_due(s, days=settings.fulltext_recheck_days, limit=limit)
    finder = Finder(settings, client=client)
    found = problems = 0
    for wid in due:
        if finder.find(engine, wid) is not None:
            found += 1
        with reading(engine) as s:
            row = cached_link(s, wid)
            # Unpaywall left out for want of a contact e-mail is a setting, not a failure: said once, in the log
            problems += bool(row and [p for p in row.problems if p != finder._no_client])
    if finder._no_client:
        log.info("full text: Unpaywall not asked (%s); Europe PMC and OpenAlex links only", finder._no_client)
    if problems:
        log.warning("full text: %d of %d records could not be looked up everywhere; see the log", problems, len(due))
    return {"checked": len(due), "found": found, "with_problems": problems}


def finder_for(settings: Settings) -> Callable[[Engine, int], Any]:
    """What the web app calls on the first view of a record at full text (in the background)."""
    finder = Finder(settings)
    return finder.find
