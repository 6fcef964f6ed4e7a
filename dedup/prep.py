"""Stage 1 of duplicate detection: normalise a :class:`~records.model.Record` into fields made for matching.

Sources write the same work differently (``"J Clin Psychol"`` vs ``"Journal of Clinical Psychology"``,
``"Müller, K."`` vs ``"Mueller, Karl"``, pages ``"123-9"`` vs ``"123-129"``, ``"Erratum to: <title>"``).
:func:`prepare` folds those differences away once per record, so the pairwise stage compares cheap,
canonical values. It never raises on odd input: an unusable field becomes ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from livereview.records.model import Record
from livereview.records.normalise import (
    clean_inline_markup,
    normalise_doi,
    normalise_pmid,
    parse_year,
    repair_mojibake,
    strip_title_brackets,
)
from livereview.records.vocabulary import NOTICE_FOR_PUBLICATION_TYPE, NOTICE_FOR_RELATION, NoticeKind

# ---------------------------------------------------------------------------------------------------------------
# folding
# ---------------------------------------------------------------------------------------------------------------

#: letters that NFKD does not decompose, and Greek letters that other sources spell out ("α" vs "alpha")
_TRANSLITERATE = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
    "đ": "d", "Đ": "d", "ı": "i", "þ": "th", "ð": "d", "’": "", "‘": "", "'": "", "`": "", "´": "",
    "α": " alpha ", "β": " beta ", "γ": " gamma ", "δ": " delta ", "ε": " epsilon ", "κ": " kappa ",
    "λ": " lambda ", "μ": " mu ", "µ": " mu ", "π": " pi ", "σ": " sigma ", "τ": " tau ", "ω": " omega ",
    "Δ": " delta ", "Ω": " omega ", "θ": " theta ", "χ": " chi ", "ζ": " zeta ", "η": " eta ", "ι": " iota ",
    "ν": " nu ", "ξ": " xi ", "ρ": " rho ", "φ": " phi ", "ψ": " psi ", "Φ": " phi ", "Ψ": " psi ",
})
_NON_WORD_RE = re.compile(r"[\W_]+")


def fold(text: str | None) -> str:
    """Lower-case words separated by single spaces: accents, apostrophes, punctuation and symbols removed.

    Letters of every script are kept (a Cyrillic title still folds to words), so only spelling noise goes.
    """
    if not text:
        return ""
    text = text.translate(_TRANSLITERATE)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD_RE.sub(" ", text.lower()).strip()


# ---------------------------------------------------------------------------------------------------------------
# titles
# ---------------------------------------------------------------------------------------------------------------

TITLE_STOPWORDS = frozenset({
    "a", "an", "the", "of", "in", "on", "at", "and", "or", "for", "to", "with", "by", "from", "as", "is",
    "are", "its", "their", "into", "via", "vs", "versus", "de", "la", "le", "les", "des", "du", "der", "die",
    "das", "und", "el", "los", "en", "y",
})

#: notice prefixes: the record is about another work, never that work itself. Each needs a joining word or a
#: separator after the keyword, so "Correction of hypokalaemia ..." or "Response to rituximab ..." stay articles.
#: A leading "RETRACTED:" is different: it marks the retracted article itself (Elsevier's style).
_POSSESSIVE = r"(?:'s|s'|'|’s|s’)?"
_SEP = r"\s*(?:\[[^\]]*\]\s*)?(?:[:.\-–—]|$)"
_NOTICE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        (NoticeKind.CORRECTION, rf"^(?:published\s+|authors?{_POSSESSIVE}\s+|publisher{_POSSESSIVE}\s+)?"
                    rf"(?:erratum|errata|corrigendum|corrigenda|correction|corrections|addendum)"
                    rf"(?:\s+(?:to|in|notice)\b\s*:?|{_SEP})\s*"),
        (NoticeKind.RETRACTION, rf"^(?:notice\s+of\s+retraction|retraction(?:\s+(?:note|notice|statement))?|withdrawal"
                       rf"(?:\s+notice)?)(?:\s+(?:to|for|of)\b\s*:?|{_SEP})\s*"),
        (NoticeKind.EXPRESSION_OF_CONCERN,
         rf"^(?:editorial\s+)?expression\s+of\s+concern(?:\s+(?:to|for|on|regarding)\b\s*:?|{_SEP})\s*"),
        ("reply", rf"^(?:(?:the\s+)?authors?{_POSSESSIVE}\s+(?:reply|response)|(?:in\s+)?reply|rejoinder)"
                  rf"(?:\s+(?:to|on)\b\s*:?|{_SEP})\s*"),
        ("reply", r"^(?:in\s+)?response\s+to\s+(?:the\s+)?(?:letter|comments?|commentary|editorial|critique|"
                  r"criticism|correspondence|reviewers?)\b\s*(?:by|from|of|on|to|regarding)?\s*:?\s*"),
        ("reply", rf"^response{_SEP}\s*"),
        ("comment", r"^(?:(?:comments?|commentary|remarks)\s+(?:on|to|regarding)\b|(?:comments?|commentary|re|"
                    r"letter|discussion)\s*:)\s*"),
    )
)
_RETRACTED_PREFIX_RE = re.compile(r"^retracted\s*(?:article)?\s*[:.\-–—]\s*", re.IGNORECASE)
#: trailing notice markers after a separator, e.g. "<title> - Reply", "<title>: a comment", "<title> (Erratum)"
_NOTICE_SUFFIX_RE = re.compile(r"(?:\s*[:\-–—(\[]|\.)\s*(?:a\s+|the\s+)?(?:authors?" + _POSSESSIVE
                               + r"\s+)?(reply|response|comment|commentary|erratum|corrigendum|retraction"
                               r"(?:\s+notice)?)[\])\s.]*$", re.IGNORECASE)
_CITATION_TAIL_RE = re.compile(r"\s*\[[^\]]*\d[^\]]*\]\s*$")
_PAREN_CITATION_TAIL_RE = re.compile(r"\s*\((?=[^()]*(?:\d|journal|vol\b|\())[^)]*(?:\([^)]*\)?[^)]*)*\)?\s*$",
                                     re.IGNORECASE)
#: a correction names the corrected article after its title: "(vol 142, pg 310, 2003)" (Web of Science) or
#: "(New England Journal of Medicine (2009) 360 (542-544))" (Embase)
_CORRECTED_CITATION_RE = re.compile(
    r"\s*(?:[(\[]\s*vol\.?\s*\d+\s*,\s*(?:pg?|pages?)\.?\s*[\w-]+\s*,\s*\d{4}\s*[)\]]"
    r"|\(\s*[a-z][^()]*\(\s*\d{4}\s*\)\s*\d+\s*(?:\(\s*[\d\s\-–]+\s*\))?\s*\))\s*\.?\s*$",
    re.IGNORECASE)
#: the corrected article's locator inside a notice's citation tail: "vol 142, pg 310" (Web of Science),
#: "(2009) 360 (542-544)" (Embase), "[J Clin Virol 12 (2019) 3-4]" (Elsevier)
_CITED_LOCATOR_RES = (
    re.compile(r"vol\.?\s*(\d+)\s*,\s*(?:pg?|pages?)\.?\s*[a-z]?0*(\d+)", re.IGNORECASE),
    re.compile(r"\(\s*\d{4}\s*\)\s*(\d+)\s*(?:\(\s*\d+\s*\)\s*)?(?:\(\s*|[,:]\s*)[a-z]?0*(\d+)", re.IGNORECASE),
    re.compile(r"(\d+)\s*(?:\(\s*[\d\-–]+\s*\)\s*)?\(\s*\d{4}\s*\)\s*[a-z]?0*(\d+)", re.IGNORECASE),
)
#: MEDLINE names an article's errata after its title: "[Erratum appears in J Pediatr. 2003 Jun;142(6):616]"
_ERRATUM_IN_RE = re.compile(r"erratum\s+(?:appears\s+)?in\b[^;\]]{0,80};\s*(\d+)\s*(?:\([^)]*\))?\s*:\s*[a-z]?0*(\d+)",
                            re.IGNORECASE)
#: a page that is an article number (BMJ "a1754", PLOS "e0123"): not comparable with a printed page range.
#: "S12" is a supplement page, not an article number.
_ARTICLE_NUMBER_RE = re.compile(r"^\s*[a-rt-z]\d{3,}\s*$", re.IGNORECASE)

#: bracketed database boilerplate at the end of a title: "[Review] [16 refs] [Romanian]", "(author's transl)"
_TRAILING_BOILERPLATE_RE = re.compile(
    r"(?:\s*[\[(](?:review|\d+\s+refs?|abstract|editorial|letter|english abstract|author'?s transl|"
    r"multiple letters|article in [a-z]+|[a-z]+ language|[a-z]+|\d{1,2})[\])]\.?\s*)+$",
    re.IGNORECASE,
)
#: MEDLINE-style notes glued to the title: "<title>.[Erratum appears in J Pediatr. 2003 Jun", "... [Comment in: ...".
#: The bracket is required: "The Role of Feedback Text Comments in Online Marketplaces" is a title.
_APPENDED_NOTE_RE = re.compile(
    r"[\s.;]*[\[(]\s*(?:erratum|errata|corrigendum|comment|comments|retraction|update|republished|reprinted|"
    r"summary for patients)\s+(?:appears\s+)?in\b.*$",
    re.IGNORECASE,
)

#: words whose presence in only one of two titles makes them different works, even as a subtitle
NOTICE_WORDS = frozenset({
    "erratum", "errata", "corrigendum", "correction", "retraction", "retracted", "withdrawn", "comment",
    "comments", "commentary", "reply", "rejoinder", "protocol", "editorial", "addendum",
})
#: words whose presence in only one of two otherwise parallel titles makes them different works
#: ("... in men" vs "... in women", "interim" vs "final" results)
CONTRAST_WORDS = NOTICE_WORDS | frozenset({
    "response", "men", "women", "male", "female", "males", "females", "boys", "girls", "children", "adults", "adult",
    "adolescents", "infants", "elderly", "pediatric", "paediatric", "rats", "rat", "mice", "mouse", "dogs",
    "cats", "vivo", "vitro", "preliminary", "interim", "final", "update", "updated", "baseline", "pilot",
    "secondary", "extension", "ii", "iii", "iv", "vi",
})

#: words and phrases that make a short or recurring title say little about which work it is
_GENERIC_WORDS = frozenset({
    "editorial", "editorials", "editor", "editors", "remarks", "preface", "foreword", "minitrack", "welcome",
    "keynote", "obituary", "news", "highlights", "index", "erratum", "corrigendum", "correction", "reply",
    "abstracts", "proceedings", "untitled",
})
_GENERIC_PHRASES = tuple(f" {p} " for p in (
    "introduction to", "mini track", "special issue", "special section", "guest editor", "guest editors",
    "in this issue", "message from", "panel discussion", "book review", "book reviews", "letter to the editor",
    "letters to the editor", "conference report", "meeting report", "meeting abstracts", "annual report",
    "table of contents", "front matter", "back matter", "comment on", "commentary on", "author index",
    "subject index",
))

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
          "x": "10", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}
_SEQUENCE_WORDS = frozenset({"part", "phase", "type", "stage", "grade", "class", "study", "trial", "paper",
                             "section", "chapter", "volume", "vol", "series", "report", "no", "number"})
_DIGITS_RE = re.compile(r"\d+")


def content_words(title: str) -> list[str]:
    """The folded title's words without stopwords, in order (for blocking keys and title length)."""
    return [t for t in title.split() if t not in TITLE_STOPWORDS]


def _number_words(tokens: list[str]) -> list[str]:
    """Roman numerals and number words after "part"/"phase"/... become digits: "Part II" == "Part 2"."""
    out = list(tokens)
    for i in range(1, len(out)):
        if out[i - 1] in _SEQUENCE_WORDS and out[i] in _ROMAN:
            out[i] = _ROMAN[out[i]]
    return out


_SUFFIX_HINTS = ("reply", "response", "comment", "erratum", "corrigendum", "retraction")


def _clean_title(title: str | None) -> str:
    """Markup, entities, translation brackets, "RETRACTED:", appended notes and bracketed tags removed.

    The cheap substring tests in front of each regex keep this fast: most titles need none of them.
    """
    if not title:
        return ""
    has_markup = "<" in title or "&" in title
    title = (clean_inline_markup(title) or "") if has_markup else " ".join(title.split())
    if not title.isascii() or "?" in title:
        title = repair_mojibake(title) or ""
    if title.startswith("["):
        title = _strip_translation_brackets(title)
    lower = title.lower()
    if lower.startswith("retracted"):
        title = _RETRACTED_PREFIX_RE.sub("", title)
    if len(title) > 5 and " in" in lower and any(k in lower for k in _NOTE_HINTS):
        title = title[:5] + _APPENDED_NOTE_RE.sub("", title[5:])
    if title.endswith(("]", ")", "].", ").")):
        title = _TRAILING_BOILERPLATE_RE.sub("", title).strip()
    return title


_NOTE_HINTS = ("errat", "corrig", "comment", "retraction", "update", "republished", "reprinted", "summary for")
#: "[English title] [Article in German]", "[English title]. Original-language title", "[English title] (author's
#: transl)": the bracketed part is the translated title the other databases index
_LEADING_TRANSLATION_RE = re.compile(r"^\[([^\[\]]{12,})\]\.?(?:\s+(.*))?$", re.DOTALL)


def _strip_translation_brackets(title: str) -> str:
    """The English title of a "[translated title]" record, whatever follows the bracket (language tags, the
    original title): English-language databases index that translation alone."""
    m = _LEADING_TRANSLATION_RE.match(title)
    if m is None:
        return strip_title_brackets(title) or ""
    return m.group(1).strip().rstrip(".").strip()


def _generic(title: str, tokens: list[str]) -> bool:
    """A recurring or contentless title: a generic word, or a phrase such as "introduction to"."""
    if not _GENERIC_WORDS.isdisjoint(tokens):
        return True
    padded = f" {title} "
    return any(phrase in padded for phrase in _GENERIC_PHRASES)


def _cited_locator(tail: str) -> tuple[str, str] | None:
    """(volume, first page) of the corrected article named in a notice's citation tail, if it names one."""
    for pattern in _CITED_LOCATOR_RES:
        m = pattern.search(tail)
        if m:
            return m.group(1).lstrip("0") or "0", m.group(2)
    return None


def _split_notice(title: str) -> tuple[str | None, str, tuple[str, str] | None]:
    """(notice kind or None, the title without the notice prefix or suffix, the corrected article's locator)."""
    for kind, pattern in _NOTICE_PATTERNS:
        m = pattern.match(title)
        if m:
            # Elsevier: 'Corrigendum to "X" [J 1 (2019) 2]'; others: 'Erratum: X (The Journal of Pediatrics (...'
            rest = title[m.end():]
            cut = _CITATION_TAIL_RE.sub("", rest)
            cut = _PAREN_CITATION_TAIL_RE.sub("", cut)
            cited = _cited_locator(rest[len(cut):]) if len(cut) < len(rest) else None
            return kind, cut.strip(" \"'“”‘’:.-"), cited
    m = _CORRECTED_CITATION_RE.search(title) if title.endswith(("]", ")", "].", ").")) else None
    if m and m.start() > 20:
        # Web of Science names a correction after the corrected article: "<title> (vol 142, pg 310, 2003)"
        return NoticeKind.CORRECTION, title[:m.start()].strip(), _cited_locator(title[m.start():])
    tail = title[-40:].lower()
    m = _NOTICE_SUFFIX_RE.search(title) if any(k in tail for k in _SUFFIX_HINTS) else None
    if m and m.start() > 20:
        word = m.group(1).lower()
        kind = ("reply" if word in ("reply", "response") else
                "comment" if word.startswith("comment") else
                NoticeKind.RETRACTION if word.startswith("retraction") else NoticeKind.CORRECTION)
        return kind, title[:m.start()].strip(), None
    return None, title, None


# ---------------------------------------------------------------------------------------------------------------
# authors
# ---------------------------------------------------------------------------------------------------------------

_COLLECTIVE_WORDS = frozenset({
    "group", "groups", "consortium", "collaboration", "collaborative", "collaborators", "investigators",
    "committee", "society", "association", "network", "team", "trialists", "council", "agency", "organization",
    "organisation", "institute", "foundation", "board", "panel", "force", "writing", "program", "programme",
    "study", "members", "authors", "others", "anonymous", "etal", "al", "unknown",
})


@lru_cache(maxsize=65536)
def _author_key(name: str) -> tuple[str, str, str] | None:
    """``"Müller-Lüdenscheidt, Karl H."`` -> ``("mullerludenscheidt", "kh", "karl")``; None for collectives.

    The first given name is kept (when spelled out) to recognise swapped family/given names. Cached: the
    same names recur across a corpus (that is what duplicates are).
    """
    family, sep, given = name.partition(",")
    if not sep:
        words = fold(name).split()
        if not words or not _COLLECTIVE_WORDS.isdisjoint(words):
            return None
        if len(words) == 1:
            return _compact_surname(words[0]), "", ""
        # "Smith JA" / "J A Smith": the all-initials side is the given name
        if len(words[-1]) <= 3 and len(words[0]) > 3:
            return _compact_surname(words[0]), "".join(words[1:]), ""
        return (_compact_surname(words[-1]), "".join(w[0] for w in words[:-1]),
                words[0] if len(words[0]) > 1 else "")
    fam_words = fold(family).split()
    given_words = fold(given.replace(".", " ").replace("-", " ")).split()
    if not fam_words or not _COLLECTIVE_WORDS.isdisjoint(fam_words) or not _COLLECTIVE_WORDS.isdisjoint(given_words):
        return None
    # "CJLM" (no dots, all capitals) is a run of initials, "Ali" is a name
    all_caps = given.replace(" ", "").replace(".", "").isupper()
    initials = "".join(w if (all_caps and len(w) <= 4 and w.isalpha()) else w[0] for w in given_words)
    first_given = given_words[0] if given_words and len(given_words[0]) > 1 and initials != given_words[0] else ""
    return _compact_surname("".join(fam_words)), initials, _compact_surname(first_given)


def _compact_surname(surname: str) -> str:
    """One spelling for transliterated umlauts ("mueller" == "müller" -> "muller") and no separators."""
    s = surname.replace(" ", "")
    return s.replace("ue", "u").replace("oe", "o").replace("ae", "a")


# ---------------------------------------------------------------------------------------------------------------
# venues
# ---------------------------------------------------------------------------------------------------------------

VENUE_STOPWORDS = frozenset({
    "of", "the", "and", "for", "in", "on", "de", "des", "du", "la", "le", "der", "die", "und", "fur", "a", "an",
    "et", "y", "i", "official", "electronic", "resource", "online", "print", "vol", "vols", "volume", "volumes",
    # articles, prepositions and conjunctions that ISO 4 / NLM abbreviations drop in other languages ("l", "d" are
    # elided articles: "L'Encéphale"); one-letter words that abbreviate a title word ("Z" Zeitschrift, "E" East)
    # are kept
    "les", "l", "d", "das", "dem", "den", "zur", "zum", "im", "fuer", "voor", "van", "het", "en", "del", "della",
    "delle", "dei", "di", "el", "los", "las", "da", "do", "dos", "em", "para", "per", "pour", "och", "og",
})
_BRACKETS_RE = re.compile(r"\s*[\[(][^\])]*[\])]")
_VENUE_TAIL_RE = re.compile(r"(?:\s*[.:]\s*(?:conference|congress|meeting|symposium)\b|: | = | - ).*$", re.IGNORECASE)
_CONFERENCE_RE = re.compile(r"\b(?:proceedings|proc|conference|conf|symposium|workshop|congress|meeting|"
                            r"colloquium|summit|convention)\b")
_ORDINAL_RE = re.compile(r"^(?:\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth)$")
#: indexes of theses, not venues: a dissertation and its "Dissertation Abstracts International" entry are one work
_THESIS_INDEX_RE = re.compile(r"^(?:diss(?:ertation)?s?\s+abstr(?:acts?)?|masters\s+abstr(?:acts?)?|"
                              r"proquest\s+(?:dissertations?|theses)|dissertations?\s+(?:and|&)\s+theses)\b")
#: journals that print commentaries on articles published elsewhere under the article's own title (ACP Journal
#: Club, the BMJ's Evidence-Based … family, Journal Watch, DARE's abstracts of reviews): a record there is a
#: different work from the article it comments on. "Evidence-Based Complementary and Alternative Medicine" and
#: the like publish original research and are not listed.
_COMMENTARY_VENUE_RE = re.compile(
    r"^(?:acp\s+j(?:ournal)?\s+club|journal\s+watch|j\s+watch|database\s+of\s+abstracts\s+of\s+reviews|"
    r"evid(?:ence)?\s+based\s+(?:med(?:icine)?|ment(?:al)?\s+health|nurs(?:ing)?|dent(?:istry)?|"
    r"health\s*care|healthc|obstet(?:rics)?\s+(?:and\s+)?gyn(?:a)?ecol(?:ogy)?|cardiovasc(?:ular)?\s+med(?:icine)?|"
    r"oncol(?:ogy)?|gastroenterol(?:ogy)?|ophthalmol(?:ogy)?|eye\s+care)(?:\s|$))")
#: ACP Journal Club inside Annals of Internal Medicine: pages "JC3-2"
_COMMENTARY_PAGES_RE = re.compile(r"^\s*jc\s*\d", re.IGNORECASE)


_ELISION_RE = re.compile(r"\b([ldLD])['’]")
_PARALLEL_TITLE_RE = re.compile(r"\s=\s|\s*\[=\s*")


def _fold_venue(text: str) -> tuple[str, ...]:
    # "L'Encéphale" -> "encephale": the elided article goes before apostrophes are folded away
    words = fold(_ELISION_RE.sub(r"\1 ", text)).split()
    return tuple(w for w in words if w not in VENUE_STOPWORDS and not _ORDINAL_RE.match(w))


def _venue_tokens(journal: str | None) -> tuple[str, ...]:
    """Folded venue words without stopwords, brackets, years and ordinals."""
    if not journal:
        return ()
    if not journal.isascii() or "?" in journal:
        journal = repair_mojibake(journal) or ""
    text = _BRACKETS_RE.sub(" ", journal.replace("&", " and "))
    # "Zhonghua yi xue za zhi = National medical journal of China", "Scand J Immunol.Conference: 39th Meeting",
    # "Haematologica: the hematology journal": the part before the separator names the venue
    text = _VENUE_TAIL_RE.sub("", text) or text
    return _fold_venue(text)


@lru_cache(maxsize=1)
def journal_variants() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Folded journal variant -> folded journal name, from bib-dedupe's journal-variants table (MIT; see
    ``dedup/data/ORIGIN.md``): romanised and other-language names of journals English databases index in English.

    Both sides map to the English name, so two records that use either spelling share one alternative name.
    """
    import csv
    from importlib import resources

    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    with resources.files("livereview.dedup").joinpath("data/journal_variants.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            journal, variant = _fold_venue(row.get("journal") or ""), _fold_venue(row.get("title_variant") or "")
            if len(journal) >= 1 and len(variant) >= 1 and variant != journal:
                table.setdefault(variant, journal)
    return table


def _venue_alternatives(journal: str | None, venue: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Other names the record's journal field gives or implies: each side of a parallel title ("Zhonghua yi xue
    za zhi = National medical journal of China") and the English name the variants table knows for any of them."""
    if not journal or not venue:
        return ()
    names: list[tuple[str, ...]] = []
    if "=" in journal:
        text = journal if journal.isascii() else (repair_mojibake(journal) or journal)
        for part in _PARALLEL_TITLE_RE.split(text.replace("&", " and "))[1:]:
            tokens = _fold_venue(_BRACKETS_RE.sub(" ", part.rstrip("]")))
            if tokens and tokens != venue and tokens not in names:
                names.append(tokens)
    table = journal_variants()
    for tokens in (venue, *names):
        english = table.get(tokens) or _abbreviated_variant(tokens)
        if english and english != venue and english not in names:
            names.append(english)
    return tuple(names)


def _word_compatible(x: str, y: str) -> bool:
    """An abbreviated venue word fits a full one: prefix ("clin"/"clinical") or subsequence ("natl")."""
    if x == y:
        return True
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    if short[0] != long_[0]:
        return False
    if long_.startswith(short):
        return True
    if len(short) < 3:
        return False
    it = iter(long_)
    return all(c in it for c in short)


def venues_compatible(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    """Same journal written in full, abbreviated (ISO 4 style) or as an acronym ("JAMA", "BMJ")."""
    if x == y:
        return True
    if len(x) == len(y):
        return all(_word_compatible(u, v) for u, v in zip(x, y, strict=True))
    if len(x) == 1 and len(y) >= 2:
        return len(x[0]) >= 2 and x[0] == "".join(w[0] for w in y)
    if len(y) == 1 and len(x) >= 2:
        return len(y[0]) >= 2 and y[0] == "".join(w[0] for w in x)
    return False


@lru_cache(maxsize=1)
def _variants_by_initials() -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
    """The variants table keyed by the first letters of the variant's words: an ISO 4 / NLM abbreviation keeps
    every significant word's first letter ("Rev Bras Psiquiatr" / "Revista Brasileira de Psiquiatria")."""
    index: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for variant, english in journal_variants().items():
        index.setdefault("".join(w[0] for w in variant), []).append((variant, english))
    return index


@lru_cache(maxsize=16384)
def _abbreviated_variant(tokens: tuple[str, ...]) -> tuple[str, ...] | None:
    """The English name of the one table variant ``tokens`` abbreviates (None when none or several fit)."""
    if len(tokens) < 2:
        return None
    fits = {english for variant, english in _variants_by_initials().get("".join(w[0] for w in tokens), ())
            if venues_compatible(tokens, variant)}
    return fits.pop() if len(fits) == 1 else None


# ---------------------------------------------------------------------------------------------------------------
# work types
# ---------------------------------------------------------------------------------------------------------------

#: publication types as sources spell them (BibTeX, RIS, Crossref, PubMed) -> the coarse kind of work
_TYPE_WORDS: dict[str, str] = {
    "article": "journal", "journal article": "journal", "journal-article": "journal", "jour": "journal",
    "ejour": "journal", "review": "journal", "jfull": "journal", "mgzn": "journal",
    "inproceedings": "conference", "conference": "conference", "proceedings": "conference",
    "proceedings-article": "conference", "conf": "conference", "cpaper": "conference", "congress": "conference",
    "conference paper": "conference", "conference abstract": "conference", "meeting abstract": "conference",
    "abst": "conference", "conference review": "conference",
    "book": "book", "inbook": "book", "incollection": "book", "book-chapter": "book", "chap": "book",
    "book chapter": "book", "edbook": "book", "monograph": "book",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thes": "thesis", "dissertation": "thesis", "thesis": "thesis",
    "techreport": "report", "report": "report", "rprt": "report",
    "preprint": "preprint", "posted-content": "preprint",
    # connectors.files spellings
    "conference proceedings": "conference", "magazine article": "journal",
}
PREPRINT_DOI_RE = re.compile(
    r"^10\.(?:1101/(?:\d{4}\.\d{2}\.\d{2}\.)?\d{5,}|48550/arxiv|21203/rs\.|2139/ssrn|20944/preprints|31234/|31219/|"
    r"31235/|31222/|26434/chemrxiv|1590/scielopreprints|22541/au\.|35542/|36227/techrxiv|31730/|32942/)"
)
_PREPRINT_VENUE_RE = re.compile(r"\b(?:arxiv|biorxiv|medrxiv|chemrxiv|psyarxiv|socarxiv|techrxiv|edarxiv|ssrn|"
                                r"research square|preprints|authorea|osf preprints|preprint)\b")
_DOI_VERSION_RE = re.compile(r"(?:[./_-]?v\d{1,2})$")


# ---------------------------------------------------------------------------------------------------------------
# locators
# ---------------------------------------------------------------------------------------------------------------

_PAGE_RE = re.compile(r"^[^\dxvi]*?([a-z]{0,2})0*(\d+)[a-z]?(?:\s*-+\s*[a-z]{0,2}0*(\d+))?", re.IGNORECASE)
_ROMAN_PAGES_RE = re.compile(r"^\s*([ivxlc]+)\s*(?:-+\s*([ivxlc]+))?\s*$", re.IGNORECASE)


_MONTHS = {m: str(i) for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
#: a page range a spreadsheet read as a date: "12-Sep" (day-month: pages 12-9, i.e. 12-19), "Sep-45" (month-year:
#: pages 9-45)
_DAY_MONTH_RE = re.compile(r"^\s*0*(\d{1,2})\s*-\s*([a-z]{3})[a-z]*\.?\s*$", re.IGNORECASE)
_MONTH_NUMBER_RE = re.compile(r"^\s*([a-z]{3})[a-z]*\.?\s*-\s*0*(\d{1,2})\s*$", re.IGNORECASE)


def _undo_spreadsheet_date(text: str) -> str:
    """``"12-Sep"`` -> ``"12-9"``, ``"01-Jun"`` -> ``"1-6"``, ``"Sep-45"`` -> ``"9-45"``; other text unchanged."""
    m = _DAY_MONTH_RE.match(text)
    if m and m.group(2).lower() in _MONTHS:
        return f"{m.group(1)}-{_MONTHS[m.group(2).lower()]}"
    m = _MONTH_NUMBER_RE.match(text)
    if m and m.group(1).lower() in _MONTHS:
        return f"{_MONTHS[m.group(1).lower()]}-{m.group(2)}"
    return text


def parse_pages(pages: str | None) -> tuple[str | None, str | None]:
    """First and last page as digit strings: ``"123-9"`` -> ``("123", "129")``, ``"e0123"`` -> ``("123", None)``.

    Letter prefixes ("e", "S") are dropped because sources disagree on writing them; an abbreviated last
    page borrows the leading digits of the first. A range a spreadsheet turned into a date is read back first:
    ``"12-Sep"`` -> ``("12", "19")``, ``"01-Jun"`` -> ``("1", "6")``.
    """
    if not pages:
        return None, None
    text = pages.strip().replace("–", "-").replace("—", "-")
    if "-" in text and not text[-1].isdigit() or text[:1].isalpha():
        text = _undo_spreadsheet_date(text)
    m = _ROMAN_PAGES_RE.match(text)
    if m:
        return m.group(1).lower(), (m.group(2).lower() if m.group(2) else None)
    m = _PAGE_RE.match(text)
    if not m:
        return None, None
    first, last = m.group(2), m.group(3)
    if last is not None:
        last = last.lstrip("0") or "0"
        if len(last) < len(first):
            last = first[: len(first) - len(last)] + last
        if last == first:
            last = None
    return first, last


def _first_number(value: str | None) -> str | None:
    if not value:
        return None
    m = _DIGITS_RE.search(value)
    return (m.group(0).lstrip("0") or "0") if m else None


def _volume_number(value: str | None) -> str | None:
    """The volume's number when the field looks like a volume; None for exporter debris: a fragment with an
    unbalanced bracket ("1)", the issue of "59(1)") or a run of numbers ("59 (1) 1999 12-19"). A broken field is no
    evidence that two records differ. "Drug Discovery. 9", "59 Suppl. 1" and "Vol. 12 (3)" are volumes."""
    if not value or value.count("(") != value.count(")") or value.count("[") != value.count("]"):
        return None
    if len(_DIGITS_RE.findall(value)) > 2:
        return None
    return _first_number(value)


def _issue_numbers(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(sorted({n.lstrip("0") or "0" for n in _DIGITS_RE.findall(value)}))


# ---------------------------------------------------------------------------------------------------------------
# the prepared record
# ---------------------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Prepared:
    """A record's fields in the canonical form the matcher compares (see :func:`prepare`)."""

    title: str                        # folded title, notice prefix removed, "Part II" -> "part 2"
    n_content: int                    # number of title words that are not stopwords
    title_numbers: tuple[str, ...]    # numbers in the title, sorted ("part 1" vs "part 2")
    title_contrast: tuple[str, ...]   # contrast words present, sorted (men/women, protocol, reply ...)
    informative: bool                 # False for short or recurring titles ("Editorial", "Introduction to ...")
    notice: str | None                # a NoticeKind, "comment", "reply" or None
    authors: tuple[tuple[str, str, str], ...]  # (surname, initials, first given name), no collectives
    year: int | None
    venue: tuple[str, ...]            # folded venue words without stopwords
    venue_type: str | None            # "journal" | "conference" | "book" | "thesis" | "report" | "preprint" | None
    is_preprint: bool
    volume: str | None
    issue: tuple[str, ...]            # the issue's numbers ("2-3" -> ("2", "3"))
    first_page: str | None
    last_page: str | None
    doi: str | None
    doi_base: str | None              # DOI without a version suffix (".v2", "/v1")
    pmid: str | None
    pmcid: str | None
    abstract: str                     # folded start of the abstract ("" when absent or too short)
    cites: tuple[str, str] | None     # a notice's corrected article, (volume, first page), when its title names it
    errata_at: tuple[tuple[str, str], ...]  # (volume, page) of the errata a MEDLINE title note points to
    article_number: bool              # the page is an article number ("a1754", "e0123"), not a printed page
    preprint_by_doi_only: bool        # a preprint only by its repository DOI (SSRN ...): its venue may be the paper's
    commentary: bool = False          # printed in a commentary journal (ACP Journal Club ...): about another article
    venue_alts: tuple[tuple[str, ...], ...] = ()  # other names of the venue (parallel title, the English name)


ABSTRACT_CHARS = 400


def prepare(record: Record) -> Prepared:
    """Normalise one record's fields for matching (see the module docstring for what is folded and why), in
    steps named after what they prepare: the notice, the title, the venue, the bibliographic numbers, the
    abstract."""
    pub_types = [p.strip().lower() for p in record.publication_types if p]
    notice, base_title, cites, errata_at = _notice(record, pub_types)
    tokens, title, content, informative = _title(base_title)
    # records should arrive normalised; hand-built ones may not, and a missed DOI match costs a duplicate
    doi = _matching_doi(record.doi) if record.doi else None
    venue, venue_type, commentary, thesis_index, is_preprint, preprint_venue = _venue(record, pub_types, doi)
    year, volume, first_page, last_page = _numbers(record, thesis_index)
    return Prepared(
        title=title,
        n_content=len(content),
        title_numbers=tuple(sorted(n.lstrip("0") or "0" for n in _DIGITS_RE.findall(title))),
        title_contrast=tuple(sorted({t for t in tokens if t in CONTRAST_WORDS})),
        informative=informative,
        notice=notice,
        authors=tuple(k for k in (_author_key(a) for a in record.authors[:30] if a) if k and k[0]),
        year=year,
        venue=venue,
        venue_type=venue_type,
        is_preprint=is_preprint,
        volume=volume,
        issue=() if thesis_index else _issue_numbers(record.issue),
        first_page=first_page,
        last_page=last_page,
        doi=doi,
        doi_base=_DOI_VERSION_RE.sub("", doi) if doi else None,
        pmid=normalise_pmid(record.pmid) if record.pmid else None,
        pmcid=record.pmcid or None,
        abstract=_abstract(record),
        cites=cites,
        errata_at=errata_at,
        article_number=bool(record.pages and _ARTICLE_NUMBER_RE.match(record.pages)),
        preprint_by_doi_only=is_preprint and not preprint_venue,
        commentary=commentary,
        venue_alts=_venue_alternatives(record.journal, venue) if venue else (),
    )


def _notice(record: Record,
            pub_types: list[str]) -> tuple[str | None, str, tuple[str, str] | None, tuple[tuple[str, str], ...]]:
    """Is the record a notice (erratum, retraction …), from its title, publication type or relations; the title
    without the notice's words; what it cites; the volume/page an erratum corrects."""
    notice, base_title, cites = _split_notice(_clean_title(record.title))
    errata_at: tuple[tuple[str, str], ...] = ()
    if record.title and ("rratum" in record.title or "RRATUM" in record.title):
        errata_at = tuple((v.lstrip("0") or "0", p) for v, p in _ERRATUM_IN_RE.findall(record.title))
    if notice is None:
        notice = next((NOTICE_FOR_PUBLICATION_TYPE[p] for p in pub_types if NOTICE_FOR_PUBLICATION_TYPE.get(p)), None)
    if notice is None:
        notice = next((NOTICE_FOR_RELATION[r.kind] for r in record.relations if r.kind in NOTICE_FOR_RELATION), None)
    return notice, base_title, cites, errata_at


def _title(base_title: str) -> tuple[list[str], str, list[str], bool]:
    """The folded title's tokens and text, its content words, and whether it says enough to match on."""
    tokens = _number_words(fold(base_title).split())
    title = " ".join(tokens)
    content = content_words(title)
    return tokens, title, content, len(content) >= 3 and not _generic(title, tokens)


def _venue(record: Record, pub_types: list[str],
           doi: str | None) -> tuple[tuple[str, ...], str | None, bool, bool, bool, bool]:
    """The venue's tokens and kind (journal, conference, preprint, thesis …), whether it is a commentary section,
    a thesis index, a preprint (by venue, or by DOI only)."""
    venue = _venue_tokens(record.journal)
    venue_text = " ".join(venue)
    venue_type = next((v for v in (_TYPE_WORDS.get(p) for p in pub_types) if v), None)
    commentary = bool((venue_text and _COMMENTARY_VENUE_RE.match(venue_text))
                      or (record.pages and _COMMENTARY_PAGES_RE.match(record.pages)))
    thesis_index = bool(venue_text and _THESIS_INDEX_RE.match(venue_text))
    if thesis_index:
        # "Dissertation Abstracts International: Section B": the thesis indexed, not a journal article;
        # the index's name and its volume / issue / page say nothing the thesis record could agree with
        venue, venue_text, venue_type = (), "", "thesis"
    preprint_venue = bool(venue_type == "preprint" or (venue_text and _PREPRINT_VENUE_RE.search(venue_text)))
    is_preprint = bool(preprint_venue or (doi and PREPRINT_DOI_RE.match(doi)))
    if is_preprint:
        venue_type = "preprint"
    elif venue_type is None and venue_text and _CONFERENCE_RE.search(venue_text):
        venue_type = "conference"
    return venue, venue_type, commentary, thesis_index, is_preprint, preprint_venue


def _numbers(record: Record, thesis_index: bool) -> tuple[int | None, str | None, str | None, str | None]:
    """Year, volume and page range, each only when it looks like what it claims to be."""
    year = record.year if record.year is not None else parse_year(record.published_date)
    volume = _volume_number(record.volume)
    if volume is not None and year is not None and volume == str(year):
        volume = None  # journals without volumes: some sources put the year there
    first_page, last_page = parse_pages(record.pages)
    if thesis_index:
        return year, None, None, None
    return year, volume, first_page, last_page


def _abstract(record: Record) -> str:
    """The abstract's first characters, folded; too short an abstract says nothing and is left out."""
    abstract = fold(record.abstract[:ABSTRACT_CHARS + 100])[:ABSTRACT_CHARS] if record.abstract else ""
    return abstract if len(abstract) >= 80 else ""


_DOUBLED_SLASH_RE = re.compile(r"^(10\.\d{4,9})/{2,}")


def _matching_doi(value: str) -> str | None:
    """The DOI in one spelling for matching: resolver links, percent-encoding, case (:func:`normalise_doi`), and
    APA's doubled slash (``10.1037//0022-006X.59.1.12``, the form early PsycINFO DOIs were registered with)
    folded onto the single slash other exports write."""
    doi = normalise_doi(value)
    if doi is None and "//" in value:
        doi = normalise_doi(value.replace("//", "/"))
    if doi is not None and "//" in doi:
        doi = _DOUBLED_SLASH_RE.sub(r"\1/", doi)
    return doi
