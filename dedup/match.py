"""Stage 3: grade a candidate pair field by field, then let the rule table (:mod:`dedup.rules`) decide.

:func:`compare` turns two :class:`~dedup.prep.Prepared` records into agreement *levels* (``title="near"``,
``doi="conflict"`` …) plus a score used only to rank alternatives. :func:`decide` walks the rules in
order; the first that holds names the decision, so every merge in the audit log says why it happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from livereview.dedup.prep import NOTICE_WORDS, TITLE_STOPWORDS, Prepared, venues_compatible
from livereview.dedup.rules import NO_RULE, RULES, UNDECIDED_RULES, Decision
from livereview.records.vocabulary import NoticeKind

# similarity thresholds behind the levels (documented in dedup.rules)
TITLE_HIGH = 0.95
TITLE_NEAR = 0.90
TITLE_FAIR = 0.80
CONTAINED_MIN_CHARS = 30
CONTAINED_MIN_WORDS = 4
AUTHOR_HIGH = 0.8
AUTHOR_PARTIAL = 0.5
SURNAME_FUZZ = 0.85
ABSTRACT_SAME = 0.7
ABSTRACT_DIFFERENT = 0.15
#: issue numbers from here up are weekly journals' (BMJ 7671) or an exporter's running record numbers
RECORD_NUMBER_ISSUE = 100
#: a title this unlike (and no shared identifier) ends the comparison early: no rule could hold
EARLY_EXIT_RATIO = 0.6

#: notices that are about one article and travel with it (a correction, a retraction, an expression of concern);
#: comments and replies are works of their own
ATTACHED_NOTICES = frozenset(NoticeKind)
#: a notice may carry the online year of a work another export dates by its print year, one year later
NOTICE_EARLY_YEARS = 1
_SEQUENCE_WORDS = frozenset({"part", "phase", "section", "chapter", "volume", "vol", "series", "paper", "stage"})
_JOURNAL_CONFLICTS = frozenset({"conference", "book", "thesis", "report"})
_LOOSE_VENUE_TYPES = frozenset({"conference", "book"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one pair: ``kind``, the rule that decided it, and a ranking score in [0, 1]."""

    kind: Decision
    rule: str
    score: float

    @property
    def is_veto(self) -> bool:
        """A vetoing "distinct" rule held: the pair must never end up in one group, not even by chaining."""
        return self.kind == "distinct" and self.rule != NO_RULE and self.rule not in UNDECIDED_RULES


def decide(a: Prepared, b: Prepared) -> Verdict:
    """Decide whether two prepared records are the same work (symmetric in ``a`` and ``b``)."""
    graded = compare(a, b)
    if graded is None:
        return Verdict("distinct", NO_RULE, 0.0)
    levels, score = graded
    for r in RULES:
        if r.holds(levels):
            return Verdict(r.kind, r.name, score)
    return Verdict("distinct", NO_RULE, score)


def compare(a: Prepared, b: Prepared) -> tuple[dict[str, str], float] | None:
    """Agreement level per field and a ranking score; None when the titles are too unlike to matter."""
    doi = _doi_level(a, b)
    pmid = _pmid_level(a, b)
    title, title_sim = _title_level(a, b)
    if (title_sim < EARLY_EXIT_RATIO and doi not in ("same", "version") and pmid != "same"
            and not (a.first_page is not None and a.first_page == b.first_page and a.volume == b.volume)):
        return None
    author, author_sim = _author_level(a, b)
    year = _year_level(a, b)
    venue = _venue_level(a, b)
    volume = "missing" if a.volume is None or b.volume is None else "same" if a.volume == b.volume else "conflict"
    pages = _pages_level(a, b)
    issue = "missing" if not a.issue or not b.issue else "conflict" if set(a.issue).isdisjoint(b.issue) else "same"
    if (issue == "conflict" and volume == "same" and pages == "exact"
            and min(int(n) for n in (*a.issue, *b.issue)) >= RECORD_NUMBER_ISSUE):
        # issue fields of three digits and more that disagree while volume and page range agree hold something else
        # (an exporter's running record number, "412" against "413"): no evidence. Small issue numbers stay
        # evidence: some journals do print two articles at one volume's pages in issues 1 and 2.
        issue = "missing"
    relation = _relation_level(a, b)  # a notice older than its work is no "notice-pair"
    levels = {
        "title": title,
        "informative": "yes" if a.informative and b.informative else "no",
        "author": author,
        "year": year,
        "venue": venue,
        "volume": volume,
        "pages": pages,
        "issue": issue,
        "doi": doi,
        "pmid": pmid,
        "abstract": _abstract_level(a, b),
        "relation": relation,
        "cites": _cites_level(a, b),
        "team": "yes" if len(a.authors) >= 2 and len(b.authors) >= 2 else "no",
        "anonymous": "both" if not a.authors and not b.authors else "one" if not a.authors or not b.authors
        else "neither",
        "thesis": "both" if a.venue_type == b.venue_type == "thesis" else "no",
    }
    agree = [year == "same", venue in ("same", "compatible"), volume == "same", pages in ("exact", "same")]
    present = [year != "missing", venue != "missing", volume != "missing", pages != "missing"]
    # a missing locator counts half: a record that agrees on more of them ranks higher
    locator = (sum(agree) + 0.5 * (len(present) - sum(present))) / len(present)
    score = 0.5 * title_sim + 0.3 * author_sim + 0.2 * locator
    return levels, round(score, 4)


# --- per-field grading ---------------------------------------------------------------------------------------

def _title_level(a: Prepared, b: Prepared) -> tuple[str, float]:
    if not a.title or not b.title:
        return "low", 0.0
    a_compact, b_compact = a.title.replace(" ", ""), b.title.replace(" ", "")
    if a_compact == b_compact:
        return "exact", 1.0
    shorter, longer = (a, b) if len(a.title) <= len(b.title) else (b, a)
    short_compact, long_compact = (a_compact, b_compact) if shorter is a else (b_compact, a_compact)
    # one title is the other plus a subtitle (or a glued one: "...inflammatory statesthe examples of ...")
    prefix = long_compact.startswith(short_compact) or long_compact.endswith(short_compact)
    sim = fuzz.ratio(a.title, b.title) / 100.0
    if a.title_contrast != b.title_contrast and not _typo_of_contrast(a, b):
        differing = set(a.title_contrast) ^ set(b.title_contrast)
        if not prefix or not NOTICE_WORDS.isdisjoint(differing):
            return "conflict", sim
    if a.title_numbers != b.title_numbers and (not prefix or not _numbers_extend(shorter, longer)):
        return "conflict", sim
    if sim >= TITLE_FAIR and not prefix and (_differ_in_letters(a, b) or _one_word_swapped(a, b)):
        return "conflict", sim
    if prefix:
        if a.title_contrast != b.title_contrast:
            return "fair", max(sim, TITLE_FAIR)  # "X" vs "X in women": only the locators can tell
        if len(shorter.title) >= CONTAINED_MIN_CHARS and shorter.n_content >= CONTAINED_MIN_WORDS:
            return ("high" if sim >= TITLE_HIGH else "near"), max(sim, TITLE_NEAR)
        if shorter.n_content >= 2:
            return "fair", max(sim, TITLE_FAIR)
    if sim >= TITLE_HIGH:
        return "high", sim
    if sim >= TITLE_NEAR:
        return "near", sim
    if sim >= TITLE_FAIR:
        return "fair", sim
    return "low", sim


def _typo_of_contrast(a: Prepared, b: Prepared) -> bool:
    """Each contrast word on one side only is a typo of a word on the other ("editorial" / "ediotrial")."""
    for x, y in ((a, b), (b, a)):
        for word in set(x.title_contrast) - set(y.title_contrast):
            if len(word) < 5 or not any(Levenshtein.distance(word, t, score_cutoff=2) <= 2 for t in y.title.split()
                                        if abs(len(t) - len(word)) <= 1 and t[0] == word[0]):
                return False
    return True


def _differ_in_letters(a: Prepared, b: Prepared) -> bool:
    """Titles that differ only in one- or two-letter words name different things ("factor H" / "factor I",
    "hepatitis B" / "hepatitis C", "type A" / "type B")."""
    ta, tb = set(a.title.split()), set(b.title.split())
    only_a, only_b = ta - tb - TITLE_STOPWORDS, tb - ta - TITLE_STOPWORDS
    return bool(only_a and only_b) and all(len(t) <= 2 for t in only_a | only_b)


def _one_word_swapped(a: Prepared, b: Prepared) -> bool:
    """The titles differ in one content word each, and not by spelling ("sensitive" / "resistant",
    "French" / "Italian"): two studies of one design, not one study. "haemolytic" / "hemolytic",
    "centre" / "center" and typos are two edits (or a reordering of the letters) apart and do not count."""
    ta, tb = a.title.split(), b.title.split()
    if len(ta) != len(tb):
        return False
    only_a = [t for t in ta if t not in tb]
    only_b = [t for t in tb if t not in ta]
    if len(only_a) != 1 or len(only_b) != 1:
        return False
    x, y = only_a[0], only_b[0]
    if x in TITLE_STOPWORDS or y in TITLE_STOPWORDS or x.startswith(y) or y.startswith(x):
        return False
    # transpositions count once: two exports may each garble the same word ("hermenuetics" / "hermeneuitcs")
    return OSA.distance(x, y, score_cutoff=3) > 2 and sorted(x) != sorted(y)


def _numbers_extend(shorter: Prepared, longer: Prepared) -> bool:
    """The longer title only adds a subtitle with numbers ("X" vs "X: a 12-month follow-up"), not a part."""
    remaining = list(longer.title_numbers)
    for n in shorter.title_numbers:
        if n not in remaining:
            return False
        remaining.remove(n)
    extra = set(longer.title.split()) - set(shorter.title.split())
    return extra.isdisjoint(_SEQUENCE_WORDS)


def _surnames_match(x: tuple[str, str, str], y: tuple[str, str, str], *, initials: bool = True) -> bool:
    """Same person: same surname (typo-tolerant) with compatible first initials, or family/given swapped."""
    (s1, i1, g1), (s2, i2, g2) = x, y
    if (g1 and g1 == s2 and (not i2 or i2[0] == s1[0])) or (g2 and g2 == s1 and (not i1 or i1[0] == s2[0])):
        return True
    if len(i1) == 1 and len(i2) == 1 and i1 != i2 and s1[0] == i2 and s2[0] == i1:
        return True  # "Wang, X." vs "Xiaoguang, W.": the same name written in the other order
    if (g1 and s1 + g1 == s2) or (g2 and s2 + g2 == s1):
        return True  # "Le, Quintrec M." vs "Le Quintrec, M.": a particle taken for the whole surname
    if initials and i1 and i2 and i1[0] != i2[0]:
        return False
    if s1 == s2:
        return True
    short, long_ = (s1, s2) if len(s1) <= len(s2) else (s2, s1)
    if len(short) >= 4 and long_.endswith(short):  # "vanderberg" vs "berg" (particle moved to the given name)
        return True
    return len(short) >= 5 and fuzz.ratio(s1, s2) / 100.0 >= SURNAME_FUZZ


def _author_level(a: Prepared, b: Prepared) -> tuple[str, float]:
    if not a.authors or not b.authors:
        return "missing", 0.5
    if a.authors == b.authors:
        return "same", 1.0
    short, long_ = (a.authors, b.authors) if len(a.authors) <= len(b.authors) else (b.authors, a.authors)
    short, long_ = short[:15], long_[:40]
    first = _surnames_match(a.authors[0], b.authors[0])
    if len(short) == len(long_) and first and all(
            _surnames_match(x, y) for x, y in zip(short, long_, strict=True)):
        return "same", 1.0
    surnames = {au[0] for au in long_}
    # co-authors count by surname alone: their initials are the most garbled part of a citation
    matched = sum(1 for au in short
                  if au[0] in surnames or any(_surnames_match(au, other, initials=False) for other in long_))
    overlap = matched / len(short)
    if (first and overlap >= AUTHOR_HIGH) or (overlap == 1.0 and len(short) >= 2):
        return "high", overlap
    if first or overlap >= AUTHOR_PARTIAL:
        return "partial", overlap
    return "low", overlap


def _year_level(a: Prepared, b: Prepared) -> str:
    if a.year is None or b.year is None:
        return "missing"
    gap = abs(a.year - b.year)
    return "same" if gap == 0 else "adjacent" if gap == 1 else "close" if gap <= 3 else "far"


def _venue_level(a: Prepared, b: Prepared) -> str:
    if not a.venue or not b.venue:
        return "missing"
    if a.venue == b.venue:
        return "same"
    if venues_compatible(a.venue, b.venue):
        return "compatible"
    if (a.venue_alts or b.venue_alts) and any(
            venues_compatible(x, y) for x in (a.venue, *a.venue_alts) for y in (b.venue, *b.venue_alts)):
        return "compatible"  # a parallel title or the English name of a romanised one
    if a.venue_type in _LOOSE_VENUE_TYPES or b.venue_type in _LOOSE_VENUE_TYPES:
        return "unclear"  # conference and book series names have no canonical spelling
    return "conflict"


def _pages_level(a: Prepared, b: Prepared) -> str:
    if a.first_page is None or b.first_page is None:
        return "missing"
    if a.first_page == b.first_page:
        if a.first_page == "1":
            return "overlap"  # "1-15": every article-numbered or conference paper starts there
        if a.last_page is not None and a.last_page == b.last_page:
            return "exact"
        return "same"
    for x, y in ((a, b), (b, a)):
        if x.last_page is None and y.last_page is not None and (
                y.last_page.endswith(x.first_page) or y.first_page == "1"):
            # "29" beside "417-429": an export kept only the abbreviated last page; "12724" beside "1-6":
            # an article number beside a page count. Neither places the work, neither contradicts it.
            return "overlap"
    if a.article_number != b.article_number:
        return "overlap"  # "a1754" (BMJ's article number) beside "969-972" (its printed pages): incomparable
    for x, y in ((a, b), (b, a)):
        if _online_first_pages(x, y):
            return "overlap"
    if a.first_page.isdigit() and b.first_page.isdigit():
        # an inverted range ("2297-2108") holds a typo: only its span is known
        a1, a2 = _span(a)
        b1, b2 = _span(b)
        if a1 <= b2 and b1 <= a2:
            return "overlap"
    return "conflict"


def _online_first_pages(x: Prepared, y: Prepared) -> bool:
    """``x`` is an online-first copy paginated on its own (pages 1-9, no volume yet) and ``y`` the issue's copy:
    the page numbers do not place ``x`` in the issue, so they cannot contradict ``y``. When both give a range,
    the two must span the same number of pages (1-9 beside 305-313)."""
    if x.volume is not None or y.volume is None or x.first_page != "1" or not (y.first_page or "").isdigit():
        return False
    if x.last_page is None or y.last_page is None or not x.last_page.isdigit() or not y.last_page.isdigit():
        return True
    return abs((int(x.last_page) - 1) - (int(y.last_page) - int(y.first_page or 0))) <= 1


def _span(p: Prepared) -> tuple[int, int]:
    first = int(p.first_page or 0)
    last = int(p.last_page) if p.last_page and p.last_page.isdigit() else first
    return (first, last) if first <= last else (last, first)


def _doi_level(a: Prepared, b: Prepared) -> str:
    if a.doi is None or b.doi is None:
        return "missing"
    if a.doi == b.doi:
        return "same"
    if a.doi_base == b.doi_base:
        return "version"
    short, long_ = (a.doi, b.doi) if len(a.doi) <= len(b.doi) else (b.doi, a.doi)
    if long_.startswith(short) and long_[len(short)] in "./-_":
        return "near"
    if Levenshtein.distance(a.doi, b.doi, score_cutoff=1) <= 1:
        return "near"
    return "conflict"


def _pmid_level(a: Prepared, b: Prepared) -> str:
    levels = []
    if a.pmid and b.pmid:
        levels.append(a.pmid == b.pmid)
    if a.pmcid and b.pmcid:
        levels.append(a.pmcid == b.pmcid)
    if not levels:
        return "missing"
    return "same" if all(levels) else "conflict"


def _abstract_level(a: Prepared, b: Prepared) -> str:
    if not a.abstract or not b.abstract:
        return "missing"
    if a.abstract == b.abstract:
        return "identical"
    wa = {w for w in a.abstract.split() if len(w) > 3}
    wb = {w for w in b.abstract.split() if len(w) > 3}
    if not wa or not wb:
        return "unclear"
    # the prefixes were cut at a fixed length: compare over the shorter vocabulary
    overlap = len(wa & wb) / min(len(wa), len(wb))
    if overlap >= ABSTRACT_SAME:
        return "same"
    if overlap < ABSTRACT_DIFFERENT:
        return "different"
    return "unclear"


def _relation_level(a: Prepared, b: Prepared) -> str:
    if a.commentary != b.commentary:
        return "commentary-pair"  # a commentary journal's record of an article is about it, not it
    if a.notice != b.notice:
        notice, work = (a, b) if a.notice else (b, a)
        if work.notice is None and notice.notice in ATTACHED_NOTICES and (
                notice.year is None or work.year is None or notice.year >= work.year - NOTICE_EARLY_YEARS):
            return "notice-pair"
        # a comment or reply (a work of its own), two kinds of notice, or a notice older than the work
        return "notice-mismatch"
    if a.is_preprint != b.is_preprint:
        pre, other = (a, b) if a.is_preprint else (b, a)
        if pre.preprint_by_doi_only and pre.venue and other.venue and venues_compatible(pre.venue, other.venue):
            return "plain"  # an SSRN record citing the other's conference or journal: the paper itself, deposited
        return "preprint-pair"
    ta, tb = a.venue_type, b.venue_type
    if not ta or not tb or ta == tb:
        return "plain"
    if {ta, tb} == {"journal", "conference"}:
        return "conference-journal"
    if ("journal" in (ta, tb) and (ta in _JOURNAL_CONFLICTS or tb in _JOURNAL_CONFLICTS)) or "thesis" in (ta, tb):
        return "type-conflict"
    return "plain"


def _cites_level(a: Prepared, b: Prepared) -> str:
    """Does one record name the other's locator? "named": an article's MEDLINE note "[Erratum appears in
    ...;9(9):2205]" names where the other record sits; "match": a notice's "(vol 85, pg 553, 2010)" names
    the other record's volume and first page; "conflict": it names another locator."""
    if (b.volume is not None and (b.volume, b.first_page) in a.errata_at) or (
            a.volume is not None and (a.volume, a.first_page) in b.errata_at):
        return "named"
    verdict = "none"
    for x, y in ((a, b), (b, a)):
        if x.cites is not None and y.notice is None and y.volume is not None and y.first_page is not None:
            if x.cites == (y.volume, y.first_page):
                return "match"
            verdict = "conflict"
    return verdict


def notice_side(a: Prepared, b: Prepared) -> int | None:
    """Which of a pair decided "notice" is the notice (0 for ``a``, 1 for ``b``); None if neither is one."""
    if a.notice in ATTACHED_NOTICES and b.notice is None:
        return 0
    if b.notice in ATTACHED_NOTICES and a.notice is None:
        return 1
    # neither title says so: the record whose locator the other's "Erratum appears in" note names
    if b.volume is not None and (b.volume, b.first_page) in a.errata_at:
        return 1
    if a.volume is not None and (a.volume, a.first_page) in b.errata_at:
        return 0
    return None
