"""The match rules, as data: an ordered table of named rules over field agreement levels.

:func:`dedup.match.compare` grades every field of a record pair into a small set of levels (below);
:func:`dedup.match.decide` walks :data:`RULES` in order and the first rule whose conditions all hold
decides the pair. A rule is a name, the decision it makes and, per field, the levels it accepts.
Rules of kind ``"distinct"`` come before the rules they guard: a false merge hides a study from the
review, so every vetoing fact (a second DOI, another part number, a comment on the work) is checked first.

Decisions: ``duplicate`` (one work, merged), ``notice`` (a correction, retraction or expression-of-concern
notice and the article it is about: grouped with it for screening, kept as its own record by the store),
``version`` (a preprint and its published article: linked, not merged) and ``distinct``.

Levels, per field (best first):

=============  =========================================================================================
title          exact · high (ratio ≥ 0.95) · near (≥ 0.90, or one title is the other plus a subtitle)
               · fair (≥ 0.80) · low · conflict (other numbers / parts, a contrast word on one side,
               only one- or two-letter words differ: "factor H" / "factor I", or one content word is
               swapped for another that is not a spelling of it: "sensitive" / "resistant")
informative    yes · no (short or recurring titles: "Editorial", "Introduction to the minitrack …")
author         same (same surnames in order) · high (first author and ≥ 80 % of the shorter list)
               · partial (first author or ≥ 50 %) · low · missing
team           yes (both records list two or more personal authors) · no
anonymous      both (neither record names a person: "Anonymous", a collective or nothing) · one · neither
year           same · adjacent (1 apart: online vs print) · close (2–3) · far · missing
venue          same · compatible (abbreviation / acronym of the other) · unclear (two conference names)
               · conflict · missing
volume         same · conflict · missing
pages          exact (same first and last page) · same (same first page) · overlap (ranges overlap, both
               start at page 1, or an article number "a1754" beside printed pages) · conflict · missing
issue          same · conflict · missing
doi            same · version (equal without a ".v2" suffix) · near (one edit apart or a sub-DOI)
               · conflict · missing
pmid           same · conflict · missing (PMID, and PMCID when both have one)
abstract       identical (same folded opening) · same (≥ 70 % shared words) · different (< 15 %)
               · unclear · missing
relation       plain · notice-pair (an erratum / retraction / expression of concern and a work, the notice
               dated no earlier than the work, or one year earlier: online vs print year) · notice-mismatch
               (a comment or reply and anything; two kinds of notice; a notice older than the work)
               · preprint-pair (one is a preprint, the other is not; an SSRN deposit citing the other's venue
               is not) · conference-journal · type-conflict (journal vs book / thesis / report)
               · commentary-pair (one is in a commentary journal: ACP Journal Club, Evidence-Based …)
thesis         both (two theses, or a thesis and its Dissertation Abstracts entry) · no
cites          named (an article's MEDLINE note "[Erratum appears in …;9(9):2205]" names the other record's
               volume and page) · match (a notice's "(vol 85, pg 553, 2010)" names the other's volume and
               first page) · conflict (the notice names another locator) · none
=============  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Decision = Literal["duplicate", "notice", "version", "distinct"]

FIELDS: tuple[str, ...] = ("title", "informative", "author", "team", "anonymous", "year", "venue", "volume", "pages",
                           "issue", "doi", "pmid", "abstract", "relation", "cites", "thesis")

LEVELS: Mapping[str, tuple[str, ...]] = {
    "title": ("exact", "high", "near", "fair", "low", "conflict"),
    "informative": ("yes", "no"),
    "author": ("same", "high", "partial", "low", "missing"),
    "team": ("yes", "no"),
    "anonymous": ("both", "one", "neither"),
    "year": ("same", "adjacent", "close", "far", "missing"),
    "venue": ("same", "compatible", "unclear", "conflict", "missing"),
    "volume": ("same", "conflict", "missing"),
    "pages": ("exact", "same", "overlap", "conflict", "missing"),
    "issue": ("same", "conflict", "missing"),
    "doi": ("same", "version", "near", "conflict", "missing"),
    "pmid": ("same", "conflict", "missing"),
    "abstract": ("identical", "same", "unclear", "different", "missing"),
    "relation": ("plain", "notice-pair", "notice-mismatch", "preprint-pair", "conference-journal", "type-conflict",
                 "commentary-pair"),
    "cites": ("named", "match", "conflict", "none"),
    "thesis": ("both", "no"),
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
AUTHOR_OVERLAP = "same high partial missing"
PAGES_SAME = "exact same"
PAGES_OK = "exact same overlap missing"
ABSTRACT_NOT_DIFFERENT = "identical same unclear missing"

RULES: tuple[Rule, ...] = (
    # --- a commentary journal (ACP Journal Club, Evidence-Based Medicine …) reprints the title of the article
    #     it comments on: its record is another work, whatever else agrees
    rule("commentary-vs-article", "distinct",
         "one record is in a commentary journal, the other is not: a commentary on the article, not the article",
         relation="commentary-pair"),
    # --- the same printed item, whatever the titles say (an erratum indexed once with and once without
    #     its "Erratum:" prefix sits on the same page of the same volume)
    rule("notice-same-locator", "duplicate",
         "notice and non-notice title at the same volume and pages: one item, one source dropped the prefix",
         relation="notice-pair notice-mismatch", title=TITLE_GOOD, volume="same", pages=PAGES_SAME,
         issue="same missing", year="same adjacent", doi="same version missing", pmid="same missing"),
    # --- notices: an erratum, retraction or expression of concern reports on the study of the article it is
    #     about. Every notice match is a "notice" (the store flags the article); find_duplicates groups only
    #     the ones the records themselves link (GROUPED_NOTICE_RULES)
    rule("notice-named-by-work", "notice",
         "the article's own erratum note names the other record's volume and page, and the titles agree",
         relation="notice-pair plain", cites="named", title=TITLE_GOOD, author=AUTHOR_OVERLAP,
         year="same adjacent close missing", venue="same compatible missing"),
    rule("notice-same-issue", "notice",
         "a notice with the work's title printed in the same issue (appended to the article)",
         relation="notice-pair", cites="none match", title=TITLE_STRONG, informative="yes", author=AUTHOR_OVERLAP,
         year="same adjacent", venue="same compatible missing", volume="same", issue="same"),
    rule("notice-cites-work", "notice",
         "a notice naming the work's volume and first page, with the work's title",
         relation="notice-pair", cites="match", title=TITLE_GOOD, author=AUTHOR_OVERLAP,
         year="same adjacent close missing", venue="same compatible missing"),
    rule("notice-of-work", "notice",
         "an erratum, retraction or expression of concern whose title, once the notice prefix is gone, is the"
         " work's; same venue, authors overlapping, dated the same year or up to three years later",
         relation="notice-pair", cites="none", title=TITLE_STRONG, informative="yes", author=AUTHOR_OVERLAP,
         year="same adjacent close missing", venue="same compatible missing"),
    # --- vetoes: facts that make two records different works
    rule("notice-unplaced", "distinct",
         "a notice with the work's title and nothing against it, but not enough to place it (a garbled title, no"
         " venue): not linked, and no veto either",
         relation="notice-pair", title=TITLE_GOOD, author=AUTHOR_OVERLAP, year="same adjacent close missing",
         venue="same compatible missing", cites="named match none"),
    rule("notice-vs-work", "distinct",
         "a comment or reply is a work of its own; a notice that does not fit the work is about another one",
         relation="notice-pair notice-mismatch"),
    rule("title-parts-differ", "distinct",
         "titles differ in a number or a contrast word (part 1/2, men/women, protocol, reply)",
         title="conflict"),
    rule("pmid-differs", "distinct", "PubMed gives every citation one PMID", pmid="conflict"),
    rule("doi-typo-identical-citation", "duplicate",
         "DOIs one edit apart (or a sub-DOI) but the full citation identical: a typo, not two works",
         doi="near", title="exact", informative="yes", author="same", year="same", volume="same", pages="exact",
         issue="same missing", venue="same compatible", relation="plain"),
    rule("republished-same-abstract", "duplicate",
         "two unrelated DOIs, but the same title, authors, journal and abstract within three years: the journal"
         " published the article twice",
         doi="conflict", title="exact", informative="yes", author=AUTHOR_STRONG, venue="same compatible",
         year="same adjacent close", abstract="identical", relation="plain"),
    rule("doi-differs", "distinct", "two different DOIs name two works", doi="near conflict",
         relation="plain conference-journal type-conflict"),
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
    # --- a conference abstract or paper and the journal article of the same study: one study for screening
    rule("conference-journal-same-study", "duplicate",
         "a meeting abstract printed in the journal (indexed once as a conference record, once as an article):"
         " same title, authors and journal within three years (volumes and pages of supplements differ)",
         relation="conference-journal", title=TITLE_STRONG, informative="yes", author=AUTHOR_STRONG,
         year="same adjacent close", venue="same compatible", abstract=ABSTRACT_NOT_DIFFERENT),
    rule("conference-journal-same-volume", "duplicate",
         "a meeting abstract filed under the congress's name and under the journal volume that printed it:"
         " same title, authors, year and volume",
         relation="conference-journal", title=TITLE_STRONG, informative="yes", author=AUTHOR_STRONG, year="same",
         volume="same", abstract=ABSTRACT_NOT_DIFFERENT),
    # --- a meeting's abstract collection ("Abstracts of the 15th Congress …", author "Anonymous") indexed twice:
    #     once as the journal issue's supplement, once as a conference record; the issue pins it
    rule("anonymous-collection-same-issue", "duplicate",
         "no personal author on either side, the same title, year, journal, volume and issue, pages not in"
         " conflict: one abstract collection indexed twice",
         anonymous="both", title=TITLE_STRONG, year="same", venue="same compatible", volume="same", issue="same",
         pages=PAGES_OK, relation="plain conference-journal", doi="same version missing", pmid="same missing"),
    rule("conference-journal-unplaced", "distinct",
         "a conference record and a journal article without a venue to compare: not merged, no veto either",
         relation="conference-journal", venue="missing"),
    rule("work-type-differs", "distinct",
         "journal article vs book chapter / thesis / report, or a conference record that does not match",
         relation="conference-journal type-conflict"),
    # --- preprint and published version: linked, never merged
    rule("preprint-version", "version",
         "a preprint and a published article with the same title and authors within three years",
         relation="preprint-pair", title=TITLE_GOOD, author="same high partial", year="same adjacent close",
         informative="yes"),
    rule("preprint-pair-unlike", "distinct", "a preprint and a non-preprint that do not match",
         relation="preprint-pair"),
    # --- a dissertation and its Dissertation Abstracts International entry (printed a year or two later)
    rule("thesis-and-its-abstract", "duplicate",
         "two thesis records (one may be its Dissertation Abstracts entry) with the same title and author, up to"
         " three years apart",
         thesis="both", title=TITLE_STRONG, informative="yes", author="same high", year="same adjacent close",
         relation="plain", abstract=ABSTRACT_NOT_DIFFERENT),
    # --- locators disagree
    rule("years-apart", "distinct", "more than a year apart without a shared identifier", year="close far"),
    rule("same-work-pages-differ", "duplicate",
         "the same informative title and author team in the same volume of one journal at other pages: a meeting"
         " abstract in a supplement, an unmarked notice or a misprinted page of the same study",
         relation="plain", title="exact", informative="yes", author=AUTHOR_STRONG, team="yes",
         venue="same compatible", volume="same", year="same adjacent", pages="conflict",
         abstract=ABSTRACT_NOT_DIFFERENT),
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
    rule("same-citation-authors-garbled", "duplicate",
         "the same title at the same journal, year, volume and page range: the author list was garbled",
         title="exact", informative="yes", year="same", venue="same compatible", volume="same", pages="exact",
         issue="same missing", abstract=ABSTRACT_NOT_DIFFERENT),
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
         title=TITLE_USABLE, author=AUTHOR_STRONG, abstract="identical same", year="same adjacent missing"),
    rule("title-exact-venue-year", "duplicate",
         "identical title in the same venue and year, author lists overlap (one truncated or garbled)",
         title="exact", author="partial", year="same", venue="same compatible"),
)

#: notice rules whose pairs :func:`dedup.find_duplicates` puts in one group: the records link each other
#: (the article's erratum note names the notice's page, or the notice is printed in the article's issue).
#: A notice matched by title alone is reported (``notice_pairs``, ``MatchIndex``) but not grouped: curated
#: reference sets keep such corrections apart from the article (see the policy paragraph in :mod:`dedup`).
GROUPED_NOTICE_RULES = frozenset({"notice-named-by-work", "notice-same-issue"})

#: "distinct" rules that only say the evidence is too thin to link the pair; unlike the vetoes they do not stop
#: the clustering from joining the two records' groups through other pairs
UNDECIDED_RULES = frozenset({"notice-unplaced", "conference-journal-unplaced"})

#: the decision when no rule holds (not a veto: the pair just lacks evidence)
NO_RULE = "no-rule"

RULES_BY_NAME: Mapping[str, Rule] = {r.name: r for r in RULES}
