"""Per-source query strings generated from the protocol's concepts, and the client-side boolean filter.

The generators translate one boolean structure (OR of ANDs of concept OR-groups) into each
source's dialect: PubMed field-tagged boolean, Europe PMC fielded Lucene, OpenAlex search syntax
(no truncation: OpenAlex stems), Crossref free text (relevance-ranked, so every hit is checked
against the same structure client-side by :class:`ConceptFilter`). A source's ``overrides``
replace a generated string verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from livereview.protocols.model import CORE_QUERY, Protocol

PUBMED_LANG = {"eng": "english", "ger": "german", "fre": "french", "spa": "spanish", "chi": "chinese"}
ISO2 = {"eng": "en", "ger": "de", "fre": "fr", "spa": "es", "chi": "zh", "nor": "no", "jpn": "ja"}


@dataclass(frozen=True)
class SourceQuery:
    """One query a source runs: its name (core or an expansion), the text sent, and whether hits are re-filtered."""

    source: str
    name: str
    text: str
    client_filter: bool = False
    overridden: bool = False

    @property
    def stream(self) -> str:
        """Watermark key: one cursor per (source, query)."""
        return f"{self.source}:{self.name}"


def _is_phrase(term: str) -> bool:
    return " " in term or "-" in term or "/" in term


def _pubmed_term(term: str, field: str) -> str:
    if _is_phrase(term):
        return f'"{term}"[{field}]'
    return f"{term}[{field}]"


def _europepmc_term(term: str, field: str) -> str:
    if _is_phrase(term):
        return f'{field}:"{term}"'
    return f"{field}:{term.lower()}" if term.endswith("*") else f'{field}:"{term}"'


def _boolean(combine: list[list[str]], terms: dict[str, list[str]], render: Callable[[str], str],
             title_terms: dict[str, list[str]] | None = None, render_title: Callable[[str], str] | None = None) -> str:
    """OR of AND-groups of concept OR-groups; a concept's title-only terms join its group in the title field."""
    def group(name: str, ts: list[str]) -> str:
        parts = [render(t) for t in ts]
        if title_terms and render_title:
            parts += [render_title(t) for t in title_terms.get(name, [])]
        return "(" + " OR ".join(parts) + ")"

    groups = {name: group(name, ts) for name, ts in terms.items()}
    ands = ["(" + " AND ".join(groups[c] for c in group) + ")" if len(group) > 1 else groups[group[0]]
            for group in combine]
    return ands[0] if len(ands) == 1 else "(" + " OR ".join(ands) + ")"


def _title_terms(protocol: Protocol, name: str = CORE_QUERY) -> dict[str, list[str]]:
    """Title-only terms per concept; an expansion's swapped concept has none (its extra yield stays its own)."""
    swapped = protocol.expansions[name].extends if name in protocol.expansions else None
    return {c: protocol.title_terms(c) for c in protocol.concepts if protocol.title_terms(c) and c != swapped}


def pubmed_query(protocol: Protocol, name: str = CORE_QUERY) -> str:
    cfg = protocol.source("pubmed")
    field = cfg.field or "tiab"
    kw = cfg.keyword_field

    def render(t: str) -> str:
        return _pubmed_term(t, field) if not kw else f"{_pubmed_term(t, field)} OR {_pubmed_term(t, kw)}"

    q = _boolean(protocol.combine_for(name), protocol.concept_terms(name), render,
                 _title_terms(protocol, name), lambda t: _pubmed_term(t, cfg.title_field or "ti"))
    langs = [PUBMED_LANG.get(lang, lang) for lang in protocol.review.languages]
    if langs:
        q += " AND (" + " OR ".join(f"{lang}[la]" for lang in langs) + ")"
    if protocol.review.peer_reviewed_only:
        q += " NOT preprint[pt]"   # PubMed indexes some preprints (NIH Preprint Pilot) under this type
    return q


def europepmc_query(protocol: Protocol, name: str = CORE_QUERY) -> str:
    cfg = protocol.source("europepmc")
    field = cfg.field or "TITLE_ABS"
    kw = cfg.keyword_field

    def render(t: str) -> str:
        return _europepmc_term(t, field) if not kw else f"{_europepmc_term(t, field)} OR {_europepmc_term(t, kw)}"

    q = _boolean(protocol.combine_for(name), protocol.concept_terms(name), render,
                 _title_terms(protocol, name), lambda t: _europepmc_term(t, cfg.title_field or "TITLE"))
    if protocol.review.languages:
        q += " AND (" + " OR ".join(f"LANG:{lang}" for lang in protocol.review.languages) + ")"
    if cfg.scope:
        q += f" AND ({cfg.scope})"  # e.g. SRC:MED OR SRC:PMC: peer-reviewed sources only (no PPR, ETH, PAT, AGR)
    elif protocol.review.peer_reviewed_only:
        q += " NOT SRC:PPR"        # Europe PMC's preprint source
    return q


def openalex_query(protocol: Protocol, name: str = CORE_QUERY) -> str:
    """OpenAlex has no truncation (it stems), so ``*`` is dropped and the stems deduplicated in order.

    The text goes in the ``title_and_abstract.search`` filter (the paper searched titles, abstracts and
    keywords; OpenAlex's plain ``search`` also matches full text). Language and type filters are added
    by the connector from the protocol (``language:en``, ``type:…``).
    """
    terms = {k: list(dict.fromkeys(t.rstrip("*") for t in v)) for k, v in protocol.concept_terms(name).items()}
    return _boolean(protocol.combine_for(name), terms, lambda t: f'"{t}"' if _is_phrase(t) else t)


def crossref_query(protocol: Protocol, name: str = CORE_QUERY, max_words: int = 30) -> str:
    """Free text for ``query.bibliographic``: the words of the concepts shared by every AND-group.

    Crossref ranks by relevance and matches any word, so the most specific concept (the one every
    group requires, e.g. the IA terms) gives the smallest result set; the client-side filter then
    applies the full boolean plan.
    """
    cfg = protocol.source("crossref")
    if cfg.issns:
        # protocol 2.0: tables of contents of journals by ISSN (Crossref ORs repeated issn filters); the
        # connector reads this as a filter over the created-date window, the concept filter then applies
        return ",".join(f"issn:{i}" for j in cfg.issns for i in (j.issn, j.eissn) if i)
    groups = protocol.combine_for(name)
    shared = [c for c in groups[0] if all(c in g for g in groups)] or groups[0]
    terms = protocol.concept_terms(name)
    words: list[str] = []
    for concept in shared:
        for t in terms[concept]:
            for w in re.split(r"[\s/]+", t.rstrip("*")):
                if w and w.lower() not in (x.lower() for x in words):
                    words.append(w)
    return " ".join(words[:max_words])


#: the name of Crossref's table-of-contents stream (protocol 2.0: journals by ISSN, not free text)
TOC_QUERY = "toc"

GENERATORS: dict[str, Callable[[Protocol, str], str]] = {
    "pubmed": pubmed_query,
    "europepmc": europepmc_query,
    "openalex": openalex_query,
    "crossref": crossref_query,
}


def source_queries(protocol: Protocol, source: str) -> list[SourceQuery]:
    """Every query a source runs (core + expansions), overrides applied. Feeds: one query per feed URL."""
    cfg = protocol.source(source)
    if source == "feeds":
        return [SourceQuery("feeds", f"feed:{f.journal}", f.url, client_filter=True) for f in cfg.feeds if f.url]
    if source == "crossref" and cfg.issns and TOC_QUERY not in cfg.overrides:
        # one table-of-contents stream for all listed journals; the whole plan filters it client-side
        return [SourceQuery(source, TOC_QUERY, crossref_query(protocol), client_filter=True)]
    out = []
    for name in protocol.query_names:
        if name in cfg.overrides:
            out.append(SourceQuery(source, name, cfg.overrides[name], cfg.filter_client_side, overridden=True))
        else:
            out.append(SourceQuery(source, name, GENERATORS[source](protocol, name),
                                   cfg.filter_client_side or source == "crossref"))
    return out


def all_queries(protocol: Protocol) -> list[SourceQuery]:
    return [q for s in protocol.enabled_sources for q in source_queries(protocol, s)]


# -- client-side boolean filter --------------------------------------------------------------------------------
def _term_regex(term: str) -> str:
    """Case-insensitive, word-bounded; hyphen / space / nothing interchangeable; ``*`` = any word ending."""
    trunc = term.endswith("*")
    parts = re.split(r"[\s\-]+", term.rstrip("*"))
    body = r"[\s\-]?".join(re.escape(p) for p in parts if p)
    return r"(?<!\w)" + body + (r"\w*" if trunc else r"(?!\w)")


#: the only non-ASCII characters ``re.IGNORECASE`` matches to ASCII letters (İ also changes length when lowered)
_FOLD_TRAPS = frozenset("\u0130\u0131\u017f\u212a")


def _lowered(text: str) -> str | None:
    """``text.lower()`` when it is index-for-index what IGNORECASE sees for ASCII terms, else None."""
    if text.isascii() or _FOLD_TRAPS.isdisjoint(text):
        return text.lower()
    return None


def _occurrences(text: str, word: str) -> list[int]:
    out, pos = [], text.find(word)
    while pos >= 0:
        out.append(pos)
        pos = text.find(word, pos + 1)
    return out


class ConceptFilter:
    """Evaluates the protocol's boolean plan on a record's text (title, abstract, keywords).

    Used for sources without boolean search (Crossref, feeds) and to highlight matched terms in digests.
    British/American spelling variants must be listed as terms (counselling / counseling).

    Fast path: every term's pattern begins with the term's first word, so a match can only start
    where that word occurs; those places are found with ``str.find`` on the lower-cased text and the
    pattern is tried only there (the same matches ``finditer`` gives). Where lower-casing could
    disagree with the regex engine's case folding (a few Turkish / archaic letters, non-ASCII terms)
    the pattern scans the whole text instead.
    """

    def __init__(self, protocol: Protocol, name: str = CORE_QUERY) -> None:
        self.combine = protocol.combine_for(name)
        self.patterns: dict[str, list[tuple[str, re.Pattern[str]]]] = {
            concept: [(t, re.compile(_term_regex(t), re.IGNORECASE)) for t in terms]
            for concept, terms in protocol.concept_terms(name).items()
        }
        #: title-only terms (protocol 2.0), matched on the first text given (the title)
        self.title_patterns: dict[str, list[tuple[str, re.Pattern[str]]]] = {
            c: [(t, re.compile(_term_regex(t), re.IGNORECASE)) for t in ts]
            for c, ts in _title_terms(protocol, name).items()}
        if name == CORE_QUERY:  # highlight expansion terms too
            for exp in protocol.active_expansions.values():
                self.patterns.setdefault("~" + exp.extends, []).extend(
                    (t, re.compile(_term_regex(t), re.IGNORECASE)) for t in exp.terms)
        self._stems = {t: re.split(r"[\s\-]+", t.rstrip("*"))[0].lower()
                       for pats in [*self.patterns.values(), *self.title_patterns.values()] for t, _ in pats}

    def _find(self, term: str, rx: re.Pattern[str], text: str, low: str | None,
              starts: dict[str, list[int]], first_only: bool) -> list[tuple[int, int]]:
        stem = self._stems[term]
        if low is None or not stem.isascii():
            spans = [m.span() for m in rx.finditer(text)]
            return spans[:1] if first_only else spans
        if stem not in starts:
            starts[stem] = _occurrences(low, stem)
        spans: list[tuple[int, int]] = []
        end = 0
        for pos in starts[stem]:
            if pos < end:            # inside the previous match: finditer would not look here either
                continue
            m = rx.match(text, pos)  # the pattern's look-behind still sees text[pos - 1]
            if m:
                spans.append(m.span())
                end = m.end()
                if first_only:
                    break
        return spans

    def _scan(self, text: str, concepts: Iterable[str], first_only: bool) -> dict[str, list[tuple[str, list]]]:
        low, starts = _lowered(text), {}
        out: dict[str, list[tuple[str, list]]] = {}
        for concept in concepts:
            for term, rx in self.patterns.get(concept, []):
                spans = self._find(term, rx, text, low, starts, first_only)
                if spans:
                    out.setdefault(concept, []).append((term, spans))
        return out

    def matches(self, *texts: str | None) -> bool:
        """Whether the plan holds on the texts; the first text is the title (for title-only terms)."""
        text = " ".join(t for t in texts if t)
        hits = self._scan(text, {c for group in self.combine for c in group}, first_only=True)
        if self.title_patterns and texts and texts[0]:
            title, low = texts[0], _lowered(texts[0])
            for concept, pats in self.title_patterns.items():
                if concept not in hits and any(self._find(t, rx, title, low, {}, True) for t, rx in pats):
                    hits[concept] = []
        return any(all(c in hits for c in group) for group in self.combine)

    def matched_terms(self, *texts: str | None) -> list[str]:
        """Every protocol term (core concepts and expansions) found in the text, in protocol order, once."""
        text = " ".join(t for t in texts if t)
        hits = self._scan(text, self.patterns, first_only=True)
        return list(dict.fromkeys(term for found in hits.values() for term, _ in found))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Non-overlapping character spans of matched terms, for highlighting in HTML."""
        hits = self._scan(text, self.patterns, first_only=False)
        found = sorted(span for terms in hits.values() for _, spans in terms for span in spans)
        merged: list[tuple[int, int]] = []
        for s, e in found:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        return merged


def describe(protocol: Protocol, sources: Iterable[str] | None = None) -> str:
    """Human-readable dump of every resolved query (``livereview protocol show``)."""
    lines = [f"{protocol.review.title}", f"id {protocol.review.id}  version {protocol.review.version}  "
             f"registration {protocol.review.registration or '-'}",
             f"date floor {protocol.review.date_floor}  languages {', '.join(protocol.review.languages)}"]
    r = protocol.review
    if r.baseline_date:
        lines.append(f"baseline {r.baseline_date}")
    if r.weekly_capacity:
        lines.append(f"capacity {r.weekly_capacity} records/week; a first run may bring {r.volume_factor:g} "
                     "weeks' worth")
    if r.search_provenance:
        lines.append("search provenance: " + " ".join(r.search_provenance.split()))
    for d in protocol.deviations:
        lines.append(f"deviation{' (' + d.source + ')' if d.source else ''}: {d.what} — {d.why}")
    named = protocol.search.queries
    if named:
        lines.append("queries: " + "; ".join(
            f"{n} = {' OR '.join(' AND '.join(g) for g in q.combine)}"
            + (f" (sub-query of {', '.join(q.subquery_of)}: counted and reported, not fetched)" if q.subquery_of
               else "") for n, q in named.items()))
    titled = {c: protocol.title_terms(c) for c in protocol.concepts if protocol.title_terms(c)}
    for c, ts in titled.items():
        lines.append(f"title-only terms of {c}: {', '.join(ts)}")
    lines.append("")
    subs = [n for n, q in named.items() if q.subquery_of]
    for source in sources or protocol.enabled_sources:
        cfg = protocol.source(source)
        if cfg.fields_searched:
            lines.append(f"# {source} fields: {cfg.fields_searched}")
        for fact in cfg.unverified:
            lines.append(f"# {source} UNVERIFIED: {fact}")
        for j in [*cfg.issns, *cfg.feeds]:
            if j.unverified:
                lines.append(f"# {source} UNVERIFIED for {j.journal}: {', '.join(j.unverified)}")
        shown = list(source_queries(protocol, source))
        if subs and source in GENERATORS and not (source == "crossref" and cfg.issns):
            shown += [SourceQuery(source, n, cfg.overrides.get(n) or GENERATORS[source](protocol, n))
                      for n in subs]
        for q in shown:
            flag = " (override)" if q.overridden else ""
            filt = " + client-side concept filter" if q.client_filter else ""
            if source == "openalex":
                extra = [f"language:{'|'.join(openalex_languages(protocol))}"] if protocol.review.languages else []
                extra += [f"type:{'|'.join(protocol.source(source).types)}"] if protocol.source(source).types else []
                filt += " as filter title_and_abstract.search" + (", with " + ", ".join(extra) if extra else "")
            sub = " (reported sub-query: counted, not fetched)" if q.name in subs else ""
            lines.append(f"[{q.stream}]{flag}{filt}{sub}")
            lines.append(q.text)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def openalex_languages(protocol: Protocol) -> list[str]:
    """The protocol's languages as OpenAlex's two-letter codes (its ``language:`` filter)."""
    return [ISO2.get(lang, lang) for lang in protocol.review.languages]


def language_allowed(protocol: Protocol, language: str | None) -> bool:
    """Client-side language criterion for sources that cannot filter by language: unknown language passes."""
    return not language or not protocol.review.languages or language in protocol.review.languages
