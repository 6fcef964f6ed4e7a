"""The one normalised record shape every connector and file parser produces.

Connectors and parsers turn whatever a source delivers into :class:`Record`; the store,
the matcher and the digests only ever see this shape. Field names are defined once here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from livereview.records.vocabulary import RELATION_KINDS, RelationKind

__all__ = ["JSON_FIELDS", "RELATION_KINDS", "Record", "Relation", "RelationKind"]

#: the content hash's serialisation; one encoder, not one built per call (``json.dumps`` with options does that)
_HASH_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)

#: Fields written by ``livereview import --dry-run --json`` (one JSON object per line), in this order.
JSON_FIELDS: tuple[str, ...] = (
    "title", "abstract", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "pmcid",
    "openalex_id", "issn", "language", "publication_types", "keywords", "published_date", "url",
    "is_retracted", "relations", "source", "source_id",
)


@dataclass(frozen=True)
class Relation:
    """A link from this record to another work: a retraction, a correction, a preprint's published version.

    ``target`` is an identifier of the other work, typed by ``id_type`` ("doi", "pmid", …).
    """

    kind: RelationKind
    id_type: str
    target: str
    note: str | None = None


@dataclass
class Record:
    """A bibliographic record as one source or file delivered it, normalised.

    Normalisation rules (enforced by :mod:`records.normalise`, relied on by the store and matcher):
    DOI lower-case without resolver prefix; PMID digits only; PMCID ``PMC123``; OpenAlex id ``W123``;
    title and abstract plain text (no markup, collapsed whitespace); authors as ``"Family, Given"``;
    ``year`` an int; ISSNs ``1234-567X``; language an ISO 639-2/B-ish lower-case code or name as given.
    """

    source: str                          # connector name ("pubmed") or file import label ("wos")
    source_id: str | None = None         # the source's own id for the record (PMID, DOI, W-id, RIS ID, …)
    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    openalex_id: str | None = None
    issn: list[str] = field(default_factory=list)
    language: str | None = None
    publication_types: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    published_date: str | None = None    # ISO date (YYYY, YYYY-MM or YYYY-MM-DD) when known
    url: str | None = None
    is_retracted: bool = False
    relations: list[Relation] = field(default_factory=list)
    # the payload exactly as delivered (one record's worth), for the store; not part of the JSON view
    raw: str | None = None
    raw_format: str | None = None        # "pubmed-xml", "crossref-json", "ris", …

    def to_json_dict(self) -> dict[str, Any]:
        """The normalised view (no raw payload), with a stable key order.

        Built field by field (lists copied, relations as dicts): ``dataclasses.asdict`` deep-copies every value
        and was the slowest step of a large import.
        """
        data: dict[str, Any] = {}
        for k in JSON_FIELDS:
            value = getattr(self, k)
            if k == "relations":
                value = [asdict(r) for r in value]
            elif isinstance(value, list):
                value = list(value)
            data[k] = value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), ensure_ascii=False, sort_keys=False)

    def identifiers(self) -> dict[str, str]:
        """The persistent identifiers present, keyed by type."""
        ids = {"doi": self.doi, "pmid": self.pmid, "pmcid": self.pmcid, "openalex": self.openalex_id}
        return {k: v for k, v in ids.items() if v}

    def canonical_json(self) -> str:
        """The normalised view as canonical JSON (keys sorted): what :meth:`content_hash` hashes. An import
        also stores this text as the record's JSON view instead of serialising the view a second time.

        The view is read straight from the fields, lists not copied: it only lives for the encoding.
        """
        fields = self.__dict__
        view = {k: fields[k] for k in JSON_FIELDS}
        if self.relations:
            view["relations"] = [asdict(r) for r in self.relations]
        return _HASH_ENCODER.encode(view)

    def content_hash(self, canonical: str | None = None) -> str:
        """Hash of the normalised content: the same record seen again hashes the same (no double work).

        ``canonical`` is this record's :meth:`canonical_json` when the caller has made it already.
        """
        payload = self.canonical_json() if canonical is None else canonical
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def stable_id(self) -> str:
        """``source_id`` if the source gave one, else a hash of the citation (for files without ids)."""
        if self.source_id:
            return self.source_id
        for value in (self.doi, self.pmid, self.pmcid, self.openalex_id):
            if value:
                return value
        basis = "|".join([self.title or "", ";".join(self.authors[:3]), str(self.year or ""), self.journal or ""])
        return "h:" + hashlib.sha256(basis.lower().encode("utf-8")).hexdigest()[:20]

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Record:
        rels = [Relation(**r) for r in data.get("relations") or []]
        kwargs = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "relations"}
        return cls(relations=rels, **kwargs)
