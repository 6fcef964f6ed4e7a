"""Open-access full-text links, as every source that knows one says it, and the one rule that picks the best.

Unpaywall (``best_oa_location`` / ``oa_locations``), OpenAlex (``best_oa_location``) and Europe PMC
(``fullTextUrlList``, open-access or free entries only) each give candidate links; the connectors turn their
payloads into :class:`OpenAccessLink` values and :func:`best_link` chooses. Order of preference, first wins:

1. the version of record: ``published`` before ``accepted`` (the author's manuscript after peer review) before
   ``submitted`` (the preprint) before a link whose version nobody states;
2. a link with a stated licence (``cc-by`` …) before one without (its reuse is known);
3. a direct PDF before a landing page;
4. the publisher's site before a repository;
5. by source: Unpaywall, then Europe PMC, then OpenAlex (Unpaywall is the one built for this question).

Only legal copies are candidates: the sources list open-access locations (publisher, repositories, PMC), never
shadow libraries; a Europe PMC entry marked "Subscription required" is not a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

#: the versions a link can be, in order of preference; sources spell them ``publishedVersion`` …
VERSIONS: tuple[str, ...] = ("published", "accepted", "submitted")
VERSION_LABELS: dict[str, str] = {"published": "published version", "accepted": "accepted manuscript",
                                  "submitted": "submitted version (preprint)"}
SOURCE_ORDER: tuple[str, ...] = ("unpaywall", "europepmc", "openalex")


def version_word(value: object) -> str | None:
    """``publishedVersion`` / ``acceptedVersion`` / ``submittedVersion`` (Unpaywall, OpenAlex) -> ``published`` …;
    anything else -> None (unknown)."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower().removesuffix("version")
    return word if word in VERSIONS else None


@dataclass(frozen=True)
class OpenAccessLink:
    """One legal open-access copy of a work: where, under what licence, which version, found by which source."""

    url: str
    source: str
    pdf_url: str | None = None
    license: str | None = None
    version: str | None = None       # one of VERSIONS, or None when the source does not say
    host_type: str | None = None     # publisher | repository
    oa_status: str | None = None     # gold | green | hybrid | bronze | diamond (Unpaywall / OpenAlex)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def href(self) -> str:
        """Where a reader is sent: the PDF when there is one, else the landing page."""
        return self.pdf_url or self.url


def _rank(link: OpenAccessLink) -> tuple[int, int, int, int, int]:
    version = VERSIONS.index(link.version) if link.version in VERSIONS else len(VERSIONS)
    source = SOURCE_ORDER.index(link.source) if link.source in SOURCE_ORDER else len(SOURCE_ORDER)
    return (version, 0 if link.license else 1, 0 if link.pdf_url else 1,
            0 if link.host_type == "publisher" else 1, source)


def best_link(candidates: Iterable[OpenAccessLink | None]) -> OpenAccessLink | None:
    """The preferred link of all candidates (see the module's order), or None when there is none."""
    found = [c for c in candidates if c is not None and (c.url or c.pdf_url)]
    return min(found, key=_rank) if found else None


def is_http_url(value: object) -> bool:
    """Only ``http(s)`` links are shown or followed (a ``javascript:`` URL in a payload is never a link)."""
    return isinstance(value, str) and value.strip().lower().startswith(("https://", "http://"))
