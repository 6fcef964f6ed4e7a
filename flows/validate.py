"""Search validation: does each source's query, as the protocol generates it, retrieve the known included studies?

The known includes are every included work in the store (the seed corpus and every later include). Per source:

* PubMed: ``(QUERY) AND (123[uid] OR …)`` against ``123[uid] OR …`` alone (indexed?);
* Europe PMC: ``(QUERY) AND (EXT_ID:123 OR DOI:"10.…" …)`` against the identifiers alone;
* OpenAlex: ``filter=doi:…|…,title_and_abstract.search:QUERY`` (plus the protocol's language and types)
  against ``filter=doi:…|…`` alone;
* Crossref: each DOI's Crossref record through the client-side concept filter (what the monitor applies);
* feeds: the stored record's title, abstract and keywords through the concept filter (feeds have no look-up).

A source with no identifier for any include (or unreachable) is "not measured", never 0/N: a baseline the digest
would later compare against must be a measurement. PubMed learns the PMIDs of DOI-only includes (``"doi"[doi]``)
and OpenAlex matches PMID-only includes by ``ids.pmid``; the identifier look-ups of Europe PMC and OpenAlex also
give the DOI or PMID an include lacks. What was learned is reported (``added``) and, when the run is recorded,
written to the store's works where the field is empty and no other work holds the value (``stored``, audited).

A study counts as found when any query the source runs (named queries and active expansions) retrieves it. Each miss
says why (no identifier for this source / not indexed / indexed but not matched) and which expansion block,
active or proposed, would catch it, judged on the text the store holds. Results are stored per protocol
version (``store/validation.py``) so the digest can warn when a protocol change lowered recall.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, select

from livereview.connectors.crossref.lookup import work_by_doi
from livereview.connectors.crossref.parse import item_to_record as crossref_record
from livereview.connectors.europepmc.citations import search_page
from livereview.connectors.http import SourceClient
from livereview.connectors.openalex.citations import BATCH
from livereview.connectors.openalex.parse import item_to_record as openalex_record
from livereview.connectors.openalex.parse import read_works
from livereview.connectors.openalex.search import OpenAlexConnector
from livereview.connectors.payloads import decode_json
from livereview.connectors.pubmed import lookup as pubmed_lookup
from livereview.errors import ConfigError, SourceError
from livereview.flows.chase import Clients
from livereview.protocols.model import CORE_QUERY, Protocol
from livereview.protocols.queries import (
    ConceptFilter,
    europepmc_query,
    openalex_languages,
    openalex_query,
    pubmed_query,
)
from livereview.records.normalise import normalise_doi
from livereview.settings import Settings
from livereview.store import screening
from livereview.store.db import reading, require_current_schema, transaction
from livereview.store.models import Work
from livereview.store.validation import fill_identifiers, record_validation

VALIDATED_SOURCES = ("pubmed", "europepmc", "openalex", "crossref", "feeds")
NO_ID, NOT_INDEXED, NOT_MATCHED = "no identifier for this source", "not indexed", "indexed but not matched"


@dataclass(frozen=True)
class Known:
    """An included study and the text the store holds for it."""

    work_id: int
    label: str
    doi: str | None
    pmid: str | None
    text: tuple[str | None, str | None, str]       # title, abstract, keywords


@dataclass
class Miss:
    label: str
    reason: str
    would_catch: list[str] = field(default_factory=list)


@dataclass
class SourceRecall:
    source: str
    found: int = 0
    total: int = 0
    misses: list[Miss] = field(default_factory=list)
    error: str | None = None
    not_measured: str | None = None                      # why no recall could be measured (no identifiers)
    added: list[str] = field(default_factory=list)       # identifiers learned from the source ("S48 PMID 123")
    learned: list[tuple[int, str, str]] = field(default_factory=list)   # (work id, pmid | doi, value) behind added
    stored: list[str] = field(default_factory=list)      # what became of each learned identifier in the store

    @property
    def recall(self) -> float | None:
        return self.found / self.total if self.total else None


def unverifiable_seed_rows(protocol: Protocol | None) -> set[str]:
    """Seed ids the corpus marks unverifiable (no public record confirms them): shown as such in every miss."""
    path = protocol.seed_corpus_path if protocol is not None else None
    if path is None or not path.is_file():
        return set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {r["seed_id"] for r in csv.DictReader(fh) if (r.get("verified") or "").startswith("unverifiable")}


def known_includes(engine: Engine, protocol: Protocol | None = None) -> list[Known]:
    """Every included work (seed corpus and later includes), with the seed id as its label when it has one."""
    shaky = unverifiable_seed_rows(protocol)
    with reading(engine) as s:
        out = []
        for w in s.scalars(select(Work).where(Work.status == screening.INCLUDED, Work.merged_into_id.is_(None))
                           .order_by(Work.id)):
            seed = next((r.source_id for r in w.source_records if r.source.startswith("seed:")), None)
            label = f"{seed or f'work {w.id}'} {(w.title or '(no title)')[:60]}"
            if seed in shaky:
                label += " [unverifiable seed row]"
            out.append(Known(w.id, label, w.doi, w.pmid, (w.title, w.abstract, " ".join(w.keywords or []))))
        return out


def would_catch(protocol: Protocol, text: tuple[str | None, str | None, str]) -> list[str]:
    """Expansion blocks (active or proposed) whose query would retrieve this text, or which concept is missing."""
    out = [f"expansion {name}{'' if exp.active else ' (proposed, inactive)'}"
           for name, exp in protocol.expansions.items() if ConceptFilter(protocol, name).matches(*text)]
    if not out:
        core = ConceptFilter(protocol)
        found = {c for c in core.patterns if any(rx.search(" ".join(t for t in text if t)) for _, rx in
                                                     core.patterns[c])}
        missing = sorted({c for group in protocol.search.plan for c in group} - found)
        out.append("no protocol term: missing " + ", ".join(missing) if missing else "no protocol term")
    return out


def _queries(protocol: Protocol, generate: Any) -> list[str]:
    return [generate(protocol, name) for name in protocol.query_names]


def _chunks(items: Sequence[Known], size: int) -> Iterator[Sequence[Known]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _finish(result: SourceRecall, protocol: Protocol, studies: Sequence[Known], found: set[int], indexed: set[int],
            with_id: set[int]) -> SourceRecall:
    result.total = len(studies)
    result.found = len(found)
    for k in studies:
        if k.work_id in found:
            continue
        reason = NO_ID if k.work_id not in with_id else (NOT_MATCHED if k.work_id in indexed else NOT_INDEXED)
        result.misses.append(Miss(k.label, reason, would_catch(protocol, k.text) if reason == NOT_MATCHED else []))
    return result


def _label_id(k: Known) -> str:
    return k.label.split(" ", 1)[0]


def pubmed_pmids_for_dois(client: SourceClient, settings: Settings, studies: Sequence[Known]) -> dict[int, str]:
    """PMIDs PubMed holds for includes known only by DOI: one esearch of ``"doi"[doi] OR …`` per 200, then the
    records fetched to tell which PMID is which DOI (APA's ``10.1037//`` spelling normalised on both sides)."""
    doi_only = [k for k in studies if k.doi and not k.pmid]
    out: dict[int, str] = {}
    for chunk in _chunks(doi_only, 200):
        term = " OR ".join(f'"{k.doi}"[doi]' for k in chunk)
        pmids = pubmed_lookup.existing_term(client, settings, term, len(chunk))
        if not pmids:
            continue
        by_doi = {normalise_doi(r.doi): r.pmid for r in pubmed_lookup.fetch_pmids(client, settings, sorted(pmids))
                  if r.doi and r.pmid}
        for k in chunk:
            pmid = by_doi.get(normalise_doi(k.doi))
            if pmid:
                out[k.work_id] = pmid
    return out


def validate_pubmed(client: SourceClient, settings: Settings, protocol: Protocol,
                    studies: Sequence[Known]) -> SourceRecall:
    learned = pubmed_pmids_for_dois(client, settings, studies)
    studies = [replace(k, pmid=learned[k.work_id]) if k.work_id in learned else k for k in studies]
    added = [f"{_label_id(k)} PMID {k.pmid}" for k in studies if k.work_id in learned]
    pairs = [(w, "pmid", p) for w, p in learned.items()]
    with_id = [k for k in studies if k.pmid]
    if not with_id:
        return SourceRecall("pubmed", total=len(studies), added=added, learned=pairs,
                            not_measured="no PMID or DOI PubMed knows among the includes")
    by_pmid = {k.pmid: k.work_id for k in with_id}
    found: set[int] = set()
    indexed: set[int] = set()
    for chunk in _chunks(with_id, 200):
        pmids = [k.pmid for k in chunk if k.pmid]
        indexed |= {by_pmid[p] for p in pubmed_lookup.existing(client, settings, pmids)}
        for q in _queries(protocol, pubmed_query):
            matched, _ = pubmed_lookup.query_matches(client, settings, q, pmids)
            found |= {by_pmid[p] for p in matched}
    return _finish(SourceRecall("pubmed", added=added, learned=pairs), protocol, studies, found, indexed,
                   {k.work_id for k in with_id})


def _learn(result: SourceRecall, k: Known, pmid: str | None, doi: str | None) -> None:
    """Note the identifier an answering record gives for an include that lacks it (once per work and field)."""
    for name, have, value in (("pmid", k.pmid, pmid), ("doi", k.doi, doi)):
        if value and not have and (k.work_id, name, value) not in result.learned:
            result.learned.append((k.work_id, name, value))
            result.added.append(f"{_label_id(k)} {name.upper()} {value}")


def _epmc_ids(chunk: Sequence[Known]) -> str:
    return "(" + " OR ".join(f"EXT_ID:{k.pmid}" if k.pmid else f'DOI:"{k.doi}"' for k in chunk) + ")"


def validate_europepmc(client: SourceClient, settings: Settings, protocol: Protocol,
                       studies: Sequence[Known]) -> SourceRecall:
    with_id = [k for k in studies if k.pmid or k.doi]
    if not with_id:
        return SourceRecall("europepmc", total=len(studies), not_measured="no PMID or DOI among the includes")

    result = SourceRecall("europepmc")

    def hits(query: str, learn: bool = False) -> set[int]:
        page = search_page(client, settings, query, page_size=100)
        by_pmid = {r.pmid: r for r in page.records if r.pmid}
        by_doi = {normalise_doi(r.doi): r for r in page.records if r.doi}
        out = set()
        for k in with_id:
            r = (by_pmid.get(k.pmid) if k.pmid else None) or (by_doi.get(normalise_doi(k.doi)) if k.doi else None)
            if r is not None:
                out.add(k.work_id)
                if learn:   # the identifier look-up answers with both ids: what the include lacks is learned
                    _learn(result, k, r.pmid, r.doi)
        return out

    found: set[int] = set()
    indexed: set[int] = set()
    for chunk in _chunks(with_id, 50):
        ids = _epmc_ids(chunk)
        indexed |= hits(ids, learn=True)
        for q in _queries(protocol, europepmc_query):
            found |= hits(f"({q}) AND {ids}")
    return _finish(result, protocol, studies, found, indexed, {k.work_id for k in with_id})


def validate_openalex(client: SourceClient, protocol: Protocol, studies: Sequence[Known]) -> SourceRecall:
    with_id = [k for k in studies if k.doi or k.pmid]
    if not with_id:
        return SourceRecall("openalex", total=len(studies), not_measured="no DOI or PMID among the includes")
    by_doi = {k.doi: k.work_id for k in with_id if k.doi}
    by_pmid = {k.pmid: k.work_id for k in with_id if k.pmid and not k.doi}
    cfg = protocol.source("openalex")
    extra = [*([f"type:{'|'.join(cfg.types)}"] if cfg.types else []),
             *([f"language:{'|'.join(openalex_languages(protocol))}"] if protocol.review.languages else [])]

    result = SourceRecall("openalex")
    known = {k.work_id: k for k in with_id}

    def hits(filters: list[str], learn: bool = False) -> set[int]:
        resp = client.get("works", params={"filter": ",".join(filters), "per_page": str(BATCH)})
        works = read_works(decode_json(resp.content, source="openalex"), source="openalex")
        out = set()
        for r in (openalex_record(w) for w in works):
            wid = by_doi.get(r.doi) if r.doi in by_doi else by_pmid.get(r.pmid) if r.pmid else None
            if wid is not None:
                out.add(wid)
                if learn:
                    _learn(result, known[wid], r.pmid, r.doi)
        return out

    found: set[int] = set()
    indexed: set[int] = set()
    # DOI includes by ``doi:``, PMID-only includes by ``ids.pmid:`` (two filters would AND, so apart)
    groups = [("doi", [k.doi for k in with_id if k.doi]),
              ("ids.pmid", [k.pmid for k in with_id if k.pmid and not k.doi])]
    for key, values in groups:
        for i in range(0, len(values), BATCH):
            ids = f"{key}:" + "|".join(v for v in values[i:i + BATCH] if v)
            indexed |= hits([ids], learn=True)
            for q in _queries(protocol, openalex_query):
                found |= hits([ids, *extra, f"{OpenAlexConnector.SEARCH_FILTER}:{q}"])
    return _finish(result, protocol, studies, found, indexed, {k.work_id for k in with_id})


def _filters(protocol: Protocol) -> list[ConceptFilter]:
    return [ConceptFilter(protocol, name) for name in protocol.query_names]


def validate_crossref(client: SourceClient, protocol: Protocol, studies: Sequence[Known]) -> SourceRecall:
    filters = _filters(protocol)
    with_id = [k for k in studies if k.doi]
    if not with_id:
        return SourceRecall("crossref", total=len(studies), not_measured="no DOI among the includes")
    found: set[int] = set()
    indexed: set[int] = set()
    texts: dict[int, tuple[str | None, str | None, str]] = {}
    for k in with_id:
        item = work_by_doi(client, k.doi or "")
        if item is None:
            continue
        indexed.add(k.work_id)
        rec = crossref_record(item)
        texts[k.work_id] = (rec.title, rec.abstract, " ".join(rec.keywords))
        if any(f.matches(*texts[k.work_id]) for f in filters):
            found.add(k.work_id)
    # misses are judged on the text Crossref has (often no abstract), which is what the monitor filters
    judged = [Known(k.work_id, k.label, k.doi, k.pmid, texts.get(k.work_id, k.text)) for k in studies]
    return _finish(SourceRecall("crossref"), protocol, judged, found, indexed, {k.work_id for k in with_id})


def validate_feeds(protocol: Protocol, studies: Sequence[Known]) -> SourceRecall:
    filters = _filters(protocol)
    found = {k.work_id for k in studies if any(f.matches(*k.text) for f in filters)}
    every = {k.work_id for k in studies}
    return _finish(SourceRecall("feeds"), protocol, studies, found, every, every)


def validate_search(settings: Settings, protocol: Protocol, engine: Engine, *, sources: Sequence[str] | None = None,
                    clients: Clients | None = None, record: bool = True) -> list[SourceRecall]:
    """Recall of each source's queries on the known includes; stored per protocol version when ``record``."""
    require_current_schema(engine)
    wanted = list(sources or [s for s in VALIDATED_SOURCES if s in protocol.enabled_sources])
    unknown = [s for s in wanted if s not in VALIDATED_SOURCES]
    if unknown:
        raise ConfigError(f"--source {', '.join(unknown)}: not a searchable source "
                          f"(known: {', '.join(VALIDATED_SOURCES)})")
    studies = known_includes(engine, protocol)
    clients = clients or Clients.from_settings(settings)
    results: list[SourceRecall] = []
    for source in wanted:
        try:
            if source == "pubmed":
                res = validate_pubmed(clients.pubmed, settings, protocol, studies)
            elif source == "europepmc":
                res = validate_europepmc(clients.europepmc, settings, protocol, studies)
            elif source == "openalex":
                if settings.openalex_api_key is None and "api_key" not in clients.openalex.default_params:
                    raise SourceError("openalex", "no API key (LIVEREVIEW_OPENALEX_API_KEY)")
                res = validate_openalex(clients.openalex, protocol, studies)
            elif source == "crossref":
                res = validate_crossref(clients.crossref, protocol, studies)
            else:
                res = validate_feeds(protocol, studies)
        except SourceError as exc:
            res = SourceRecall(source, total=len(studies), error=str(exc))
        results.append(res)
    if record:
        summary: dict[str, Any] = {
            "recall": {r.source: {"found": r.found, "total": r.total} for r in results
                       if r.error is None and r.not_measured is None},
            "not_measured": {r.source: r.error or r.not_measured for r in results if r.error or r.not_measured},
            "added": {r.source: r.added for r in results if r.added},
            "misses": {r.source: [m.__dict__ for m in r.misses] for r in results},
            "errors": {r.source: r.error for r in results if r.error},
            "queries": CORE_QUERY if protocol.query_names == [CORE_QUERY] else protocol.query_names}
        labels = {k.work_id: _label_id(k) for k in studies}
        with transaction(engine) as s:   # one transaction: the identifiers learned and the measurement
            filled = fill_identifiers(s, [(w, f, v, r.source) for r in results for w, f, v in r.learned],
                                      actor="validate-search")
            by_source = {r.source: r for r in results}
            for f in filled:
                line = f"{labels.get(f.work_id, f'work {f.work_id}')} {f.field.upper()} {f.value}"
                by_source[f.source].stored.append(line + (f": not written ({f.problem})" if f.problem
                                                          else ": written to the store"))
            summary["stored"] = {r.source: r.stored for r in results if r.stored}
            record_validation(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                              protocol.text or "", protocol.path, summary)
    return results
