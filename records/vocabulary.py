"""The review's shared words, defined once: relation kinds, notice kinds, and how sources spell them.

Connectors map what a source says ("RetractionIn", "Retraction in", Crossref's ``update-to`` types)
onto these; the store and the duplicate detector reason only in these terms. A kind spelled
anywhere else is a bug (``tests/records/test_vocabulary.py`` checks the store and dedup use these).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

#: the sources livereview searches by API: name -> the ``livereview import --format`` name of its saved responses,
#: in the order runs list them. The one list of source names: the connector registry, the protocol schema,
#: the CLI's choices and the import formats all derive from it.
SOURCES: dict[str, str] = {
    "pubmed": "pubmed-xml",
    "europepmc": "europepmc-json",
    "crossref": "crossref-json",
    "openalex": "openalex-json",
    "feeds": "feed",
}

#: the two screening stages, in order. Stage names are written only here; everything else uses these.
Stage = Literal["title-abstract", "full-text"]
TITLE_ABSTRACT: Stage = "title-abstract"
FULL_TEXT: Stage = "full-text"
STAGES: tuple[Stage, ...] = (TITLE_ABSTRACT, FULL_TEXT)

#: the names a paper prints for the sources and the databases teams search by hand (import labels): the PRISMA
#: diagram, the dashboard and the digest show these instead of the slugs. A label not listed is shown as given.
DISPLAY_NAMES: dict[str, str] = {
    "pubmed": "PubMed",
    "medline": "MEDLINE",
    "europepmc": "Europe PMC",
    "crossref": "Crossref",
    "openalex": "OpenAlex",
    "unpaywall": "Unpaywall",
    "feeds": "Journal RSS feeds",
    "citation-chase": "Citation searching",
    "citation-searching": "Citation searching",
    "wos": "Web of Science",
    "web-of-science": "Web of Science",
    "scopus": "Scopus",
    "psycinfo": "APA PsycInfo",
    "embase": "Embase",
    "cinahl": "CINAHL",
    "eric": "ERIC",
    "cochrane": "Cochrane Library",
    "central": "Cochrane CENTRAL",
    "clinicaltrials": "ClinicalTrials.gov",
    "ictrp": "WHO ICTRP",
    "prospero": "PROSPERO",
}


def display_name(label: str, extra: dict[str, str] | None = None) -> str:
    """The printed name of a source or import label (``europepmc`` -> ``Europe PMC``); ``extra``: the protocol's
    own labels (its manual databases), which win."""
    if extra and label in extra:
        return extra[label]
    return DISPLAY_NAMES.get(label, DISPLAY_NAMES.get(label.lower(), label))


RelationKind = Literal[
    "retraction-in",      # this work is retracted by the target (notice)
    "retraction-of",      # this record is a retraction notice for the target
    "erratum-in",         # this work has a correction / erratum (the target)
    "erratum-for",        # this record is an erratum / correction notice for the target
    "expression-of-concern-in",
    "expression-of-concern-for",
    "update-of",          # this record updates (new version of) the target
    "updated-by",         # this record was updated by the target (generic update)
    "preprint-of",        # this record is a preprint of the target (published version)
    "has-preprint",       # the target is a preprint of this record
]

RELATION_KINDS: tuple[str, ...] = RelationKind.__args__  # type: ignore[attr-defined]


class NoticeKind(StrEnum):
    """What a notice says about a study: the three kinds a review must act on."""

    RETRACTION = "retraction"
    CORRECTION = "correction"
    EXPRESSION_OF_CONCERN = "expression-of-concern"


#: a relation on a *notice* record pointing at the work it is about -> the notice's kind
NOTICE_FOR_RELATION: dict[str, NoticeKind] = {
    "retraction-of": NoticeKind.RETRACTION,
    "erratum-for": NoticeKind.CORRECTION,
    "expression-of-concern-for": NoticeKind.EXPRESSION_OF_CONCERN,
}
#: a relation on a *work* pointing at a notice about it -> the notice's kind
NOTICE_IN_RELATION: dict[str, NoticeKind] = {
    "retraction-in": NoticeKind.RETRACTION,
    "erratum-in": NoticeKind.CORRECTION,
    "expression-of-concern-in": NoticeKind.EXPRESSION_OF_CONCERN,
}
#: publication types (lower-cased) that make a record itself a notice
NOTICE_FOR_PUBLICATION_TYPE: dict[str, NoticeKind] = {
    "retraction of publication": NoticeKind.RETRACTION,
    "retraction notice": NoticeKind.RETRACTION,
    "retraction": NoticeKind.RETRACTION,
    "published erratum": NoticeKind.CORRECTION,
    "erratum": NoticeKind.CORRECTION,
    "correction": NoticeKind.CORRECTION,
    "expression of concern": NoticeKind.EXPRESSION_OF_CONCERN,
}
#: publication types (lower-cased) that mark a record as retracted (PubMed, Europe PMC, WoS, Scopus exports)
RETRACTED_TYPES: frozenset[str] = frozenset({"retracted publication", "retracted article", "retracted"})

#: PubMed ``CommentsCorrections/@RefType`` and Europe PMC's ``commentCorrection.type`` (lower-cased,
#: spaces removed, so ``"RetractionIn"`` and ``"Retraction in"`` map the same way) -> relation kind.
#: Comments, citations and reprints are not relations the review acts on and are left out.
RELATION_BY_REFTYPE: dict[str, str] = {
    "retractionin": "retraction-in",
    "retractedandrepublishedin": "retraction-in",
    "retractionof": "retraction-of",
    "retractedandrepublishedfrom": "update-of",
    "erratumin": "erratum-in",
    "erratumfor": "erratum-for",
    "expressionofconcernin": "expression-of-concern-in",
    "expressionofconcernfor": "expression-of-concern-for",
    "updateof": "update-of",
    "updatein": "updated-by",
    "correctedandrepublishedfrom": "update-of",
    "correctedandrepublishedin": "updated-by",
}


def relation_kind(ref_type: object) -> str | None:
    """The relation kind for a PubMed RefType (``RetractionIn``) or Europe PMC type (``Retraction in``)."""
    if not ref_type:
        return None
    return RELATION_BY_REFTYPE.get(re.sub(r"[\s_-]+", "", str(ref_type)).lower())


def is_retracted_type(publication_types: Iterable[str]) -> bool:
    """True when a publication type marks the record itself as retracted."""
    return any(t.lower() in RETRACTED_TYPES for t in publication_types)


def says_retracted(publication_types: Iterable[str], relation_kinds: Iterable[str]) -> bool:
    """Retracted by its publication type or by a ``retraction-in`` link to the notice (PubMed, Europe PMC)."""
    return is_retracted_type(publication_types) or "retraction-in" in set(relation_kinds)
