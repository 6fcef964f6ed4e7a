"""The match rules, as data: an ordered table of named rules over field agreement levels.

:func:`dedup.match.compare` grades every field of a record pair into a small set of levels (below);
:func:`dedup.match.decide` walks :data:`RULES` in order and the first rule whose conditions all hold
decides the pair. A rule is a name, the decision it makes and, per field, the levels it accepts.
Rules of kind ``"distinct"`` come before the rules they guard: a false merge hides a study from the
review, so every vetoing fact (a second DOI, another part number, an erratum) is checked first.

Levels, per field (best first):

=============  =========================================================================================
title          exact · high (ratio ≥ 0.95) · near (≥ 0.90, or one title is the other plus a subtitle)
               · fair (≥ 0.80) · low · conflict (other numbers / parts, a contrast word on one side,
               or only one- or two-letter words differ: "factor H" / "factor I")
informative    yes · no (short or recurring titles: "Editorial", "Introduction to the minitrack …")
author         same (same surnames in order) · high (first author and ≥ 80 % of the shorter list)
               · partial (first author or ≥ 50 %) · low · missing
year           same · adjacent (1 apart: online vs print) · close (2–3) · far · missing
venue          same · compatible (abbreviation / acronym of the other) · unclear (two conference names)
               · conflict · missing
volume         same · conflict · missing
pages          exact (same first and last page) · same (same first page) · overlap (ranges overlap, or
               both start at page 1) · conflict · missing
issue          same · conflict · missing
doi            same · version (equal without a ".v2" suffix) · near (one edit apart or a sub-DOI)
               · conflict · missing
pmid           same · conflict · missing (PMID, and PMCID when both have one)
abstract       same (≥ 0.9) · different (< 0.5) · unclear · missing
relation       plain · notice-mismatch (erratum / retraction / comment / reply vs the work)
               · preprint-pair (one is a preprint, the other is not) · type-conflict (journal vs
               conference / book / thesis / report)
=============  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Decision = Literal["duplicate", "version", "distinct"]

FIELDS: tuple[str, ...] = ("title", "informative", "author", "year", "venue", "volume", "pages", "issue", "doi",
                           "pmid", "abstract", "relation")

LEVELS: Mapping[str, tuple[str, ...]] = {
    "title": ("exact", "high", "near", "fair", "low", "conflict"),
    "informative": ("yes", "no"),
    "author": ("same", "high", "partial", "low", "missing"),
    "year": ("same", "adjacent", "close", "far", "missing"),
    "venue": ("same", "compatible", "unclear", "conflict", "missing"),
    "volume": ("same", "conflict", "missing"),
    "pages": ("exact", "same", "overlap", "conflict", "missing"),
    "issue": ("same", "conflict", "missing"),
    "doi": ("same", "version", "near", "conflict", "missing"),
    "pmid": ("same", "conflict", "missing"),
    "abstract": ("same", "unclear", "different", "missing"),
    "relation": ("plain", "notice-mismatch", "preprint-pair", "type-conflict"),
}


@dataclass(frozen=True)
class Rule:
    """One row of the table: when every listed field is at one of its accepted levels, decide ``kind``."""

    name: str
    kind: Decision
    when: Mapping[str, frozenset[str]]
    why: str

    def holds(self, levels: Mapping[str, str]) -> bool:
        return all(levels[f] in accepted for f, accepted in self.when.items())


def rule(name: str, kind: Decision, why: str, **when: str) -> Rule:
    """Build a rule from ``field="level level ..."`` keywords; unknown fields or levels fail at import."""
    parsed: dict[str, frozenset[str]] = {}
    for field_name, spec in when.items():
        if field_name not in LEVELS:
            raise ValueError(f"rule {name!r}: unknown field {field_name!r}")
        accepted = frozenset(spec.split())
        unknown = accepted - set(LEVELS[field_name])
        if unknown:
            raise ValueError(f"rule {name!r}: unknown {field_name} level(s) {sorted(unknown)}")
        parsed[field_name] = accepted
    return Rule(name, kind, parsed, why)


# shorthands for the table
TITLE_STRONG = "exact high"
TITLE_GOOD = "exact high near"
TITLE_USABLE = "exact high near fair"
TITLE_NOT_CONFLICT = "exact high near fair low"
AUTHOR_STRONG = "same high"
AUTHOR_ANY = "same high partial low missing"
PAGES_SAME = "exact same"
PAGES_OK = "exact same overlap missing"

RULES: tuple[Rule, ...] = (
    # --- the same printed item, whatever the titles say (an erratum indexed once with and once without
    #     its "Erratum:" prefix sits on the same page of the same volume)
    rule("notice-same-locator", "duplicate",
         "notice and non-notice title at the same volume and pages: one item, one source dropped the prefix",
         relation="notice-mismatch", title=TITLE_GOOD, volume="same", pages=PAGES_SAME, issue="same missing",
         year="same adjacent", doi="same version missing", pmid="same missing"),
    # --- vetoes: facts that make two records different works
    rule("notice-vs-work", "distinct", "an erratum, retraction, comment or reply is not the work it is about",
         relation="notice-mismatch"),
    rule("title-parts-differ", "distinct",
         "titles differ in a number or a contrast word (part 1/2, men/women, protocol, reply)",
         title="conflict"),
    rule("pmid-differs", "distinct", "PubMed gives every citation one PMID", pmid="conflict"),
    rule("doi-typo-identical-citation", "duplicate",
         "DOIs one edit apart (or a sub-DOI) but the full citation identical: a typo, not two works",
         doi="near", title="exact", informative="yes", author="same", year="same", volume="same", pages="exact",
         issue="same missing", venue="same compatible", relation="plain"),
    rule("doi-differs", "distinct", "two different DOIs name two works", doi="near conflict",
         relation="plain type-conflict"),
    # --- identifiers agree
    rule("doi-same", "duplicate", "same DOI and the same title", doi="same version", title=TITLE_STRONG),
    rule("doi-same-similar-title", "duplicate", "same DOI, a similar title and overlapping authors",
         doi="same version", title=TITLE_USABLE, author="same high partial missing"),
    rule("doi-same-retitled", "duplicate",
         "same DOI, same authors and year, locators agree: the title was translated or mangled",
         doi="same version", title=TITLE_NOT_CONFLICT, author=AUTHOR_STRONG, year="same adjacent",
         volume="same missing", pages=PAGES_OK),
    rule("pmid-same", "duplicate", "same PMID and a similar title", pmid="same", title=TITLE_USABLE),
    rule("doi-same-but-unlike", "distinct", "same DOI but nothing else agrees: a misattributed DOI",
         doi="same version"),
    rule("work-type-differs", "distinct",
         "journal article vs conference paper / book chapter / thesis / report: different reports",
         relation="type-conflict"),
    # --- preprint and published version: linked, never merged
    rule("preprint-version", "version",
         "a preprint and a published article with the same title and authors within three years",
         relation="preprint-pair", title=TITLE_GOOD, author="same high partial", year="same adjacent close",
         informative="yes"),
    rule("preprint-pair-unlike", "distinct", "a preprint and a non-preprint that do not match",
         relation="preprint-pair"),
    # --- locators disagree
    rule("years-apart", "distinct", "more than a year apart without a shared identifier", year="close far"),
    rule("volume-differs", "distinct", "different volumes", volume="conflict"),
    rule("pages-differ", "distinct", "page ranges do not overlap", pages="conflict"),
    # --- short or recurring titles need the full locator
    rule("generic-title-same-locator", "duplicate",
         "an uninformative title ('Editorial') only matches at the same volume, issue and page range",
         informative="no", title=TITLE_STRONG, volume="same", pages="exact", issue="same missing",
         year="same adjacent missing", author="same high partial missing", venue="same compatible unclear missing"),
    rule("generic-title-same-venue-pages", "duplicate",
         "an uninformative title, same authors, venue, year and page range (proceedings have no volumes)",
         informative="no", title=TITLE_USABLE, author=AUTHOR_STRONG, year="same", venue="same compatible",
         pages="exact", volume="same missing", issue="same missing"),
    rule("generic-title", "distinct", "an uninformative title without the same volume, issue and pages",
         informative="no"),
    # --- one citation, two titles (a translation, a mangled import): the exact page range pins the work
    rule("same-citation-retitled", "duplicate",
         "same authors, venue, year, volume and page range: the title was translated or garbled",
         title=TITLE_NOT_CONFLICT, author=AUTHOR_STRONG, year="same", venue="same compatible", volume="same",
         pages="exact", issue="same missing"),
    # --- full-text evidence against
    rule("abstracts-differ", "distinct", "both have an abstract and they are unrelated: different reports",
         abstract="different"),
    # --- bibliographic agreement
    rule("title-author-year", "duplicate", "same title, same authors, same year",
         title=TITLE_STRONG, author=AUTHOR_STRONG, year="same", venue="same compatible unclear missing"),
    rule("title-author-year-volume", "duplicate",
         "same title, authors, year and volume; the venue names disagree (a conference supplement's long name)",
         title=TITLE_STRONG, author=AUTHOR_STRONG, year="same", volume="same", pages=PAGES_OK),
    rule("title-author-venue", "duplicate",
         "same title and authors in the same venue, years at most one apart (online vs print)",
         title=TITLE_GOOD, author=AUTHOR_STRONG, year="same adjacent", venue="same compatible"),
    rule("title-locator", "duplicate", "similar title at the same volume and first page",
         title=TITLE_USABLE, author="same high partial missing", volume="same", pages=PAGES_SAME,
         year="same adjacent missing"),
    rule("title-pages-year", "duplicate", "similar title, same authors and year, the same page range",
         title=TITLE_USABLE, author=AUTHOR_STRONG, year="same", pages="exact", volume="same missing",
         venue="same compatible unclear missing"),
    rule("title-prefix-same-issue", "duplicate",
         "one title is the other without its subtitle; same authors, year, venue, volume and issue",
         title=TITLE_USABLE, author=AUTHOR_STRONG, year="same", venue="same compatible", volume="same",
         issue="same", pages=PAGES_OK),
    rule("title-venue-no-authors", "duplicate", "same title, venue and year; one record lacks authors",
         title=TITLE_STRONG, author="missing", year="same", venue="same compatible"),
    rule("title-author-abstract", "duplicate", "similar title, same authors and the same abstract",
         title=TITLE_USABLE, author=AUTHOR_STRONG, abstract="same", year="same adjacent missing"),
    rule("title-exact-venue-year", "duplicate",
         "identical title in the same venue and year, author lists overlap (one truncated or garbled)",
         title="exact", author="partial", year="same", venue="same compatible"),
)

#: the decision when no rule holds (not a veto: the pair just lacks evidence)
NO_RULE = "no-rule"

RULES_BY_NAME: Mapping[str, Rule] = {r.name: r for r in RULES}
