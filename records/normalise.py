"""Field normalisers shared by every connector and file parser.

Each takes what a source delivered (possibly messy, possibly None) and returns the canonical form
or None. They never raise on odd input: an unusable value becomes None, so one bad field does not
lose a record.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

_DOUBLED_SLASH_RE = re.compile(r"^(10\.\d{4,9})//+")
_DOI_RE = re.compile(r"10\.\d{4,9}/[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_DOI_PREFIX_RE = re.compile(r"^(?:https?://)?(?:dx\.)?(?:doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z!?][^<>]{0,500}>")  # a tag starts with a letter, /, ! or ?: "p < 0.05 > 3" survives
# C0 controls other than tab, LF, VT, FF, CR and the separators \x1c-\x1f (those are whitespace), DEL, and the C1
# controls but NEL (U+0085, a line break: whitespace): never text. U+009B (CSI) starts a terminal escape sequence.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")
#: an ISSN token: 8 characters, the hyphen optional, not part of a longer run (an ISBN, a phone number)
_ISSN_RE = re.compile(r"(?<![\dXx-])(\d{4})-?(\d{3}[\dXx])(?![\dXx-])")
_PMCID_RE = re.compile(r"PMC\s*(\d+)", re.IGNORECASE)
_OPENALEX_RE = re.compile(r"(?:openalex\.org/)?(W\d+)\b", re.IGNORECASE)

# block-level tags become a space so words on either side don't fuse ("end.</p><p>Next")
_BLOCK_TAG_RE = re.compile(r"</?(?:p|br|div|sec|title|li|list|jats:p|jats:sec|jats:title|jats:list|jats:list-item|"
                           r"AbstractText)\b[^>]*>", re.IGNORECASE)


def strip_control_chars(text: str) -> str:
    """``text`` without NUL and the other control characters no export means as text.

    A NUL is stored as is by SQLite (and shown in exports and digests) and refused by PostgreSQL, so every
    parser path drops them: :func:`clean_text` for fields, the file decoder for whole files.
    """
    if text.isprintable() or not _CONTROL_RE.search(text):  # the common case, without a regex over the text
        return text
    return _CONTROL_RE.sub("", text)


def clean_text(value: object) -> str | None:
    """Plain text: markup removed, HTML entities decoded, control characters dropped, whitespace collapsed."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    if not text:
        return None
    if text.isascii() and text.isprintable() and "<" not in text and "&" not in text:
        # most values: nothing to strip or decode, already NFC, no whitespace but spaces
        if "  " in text or text.startswith(" ") or text.endswith(" "):
            text = " ".join(text.split())
        return text or None
    text = strip_control_chars(text)
    if "<" in text:
        text = _BLOCK_TAG_RE.sub(" ", text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = strip_control_chars(html.unescape(text))  # "&#0;" / "&#x1;" decode to controls too
    text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())  # re.sub(r"\s+", " ", text).strip(), faster
    return text or None


def clean_inline_markup(value: object) -> str | None:
    """Like :func:`clean_text` but inline tags (``<i>``, ``<sup>``) vanish without adding a space.

    PubMed writes ``at the<i>TERT</i>gene``: the tag sits where a space belongs, so a tag directly
    between two letters becomes a space, while ``H<sub>2</sub>O`` style tags inside a word stay joined.
    """
    if value is None:
        return None
    text = str(value)
    text = re.sub(r"(?<=[a-z,;:.])<(i|b|u|em|strong)>(?=[A-Za-z])", r" <\1>", text)
    text = re.sub(r"(?<=[A-Za-z])</(i|b|u|em|strong)>(?=[a-z])", r"</\1> ", text)
    return clean_text(text)


def strip_title_brackets(title: str | None) -> str | None:
    """PubMed puts English translations of non-English titles in [square brackets]; drop them (and a final '.')."""
    if not title:
        return title
    t = title.strip()
    if t.startswith("[") and (t.endswith("]") or t.endswith("].")):
        t = t[1:].rstrip(".").rstrip()
        if t.endswith("]"):
            t = t[:-1]
    return t.strip() or None


#: what a DOI link adds after the DOI itself: a publisher's view (".../abstract", "/full", "/pdf"), a query or a
#: fragment. Cut only from links: a bare DOI is kept as written.
_DOI_URL_TAIL_RE = re.compile(r"(?:[?#].*|/(?:abstract|abs|full|fulltext|full-text|pdf|epdf|pdfdirect|html|"
                              r"summary|references|citedby|suppinfo|issuetoc|meta)/?)$", re.IGNORECASE)
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_INLINE_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*>")


def normalise_doi(value: object) -> str | None:
    """``https://doi.org/10.1000/ABC.`` -> ``10.1000/abc``; None when no DOI is inside.

    One spelling for every way exports write a DOI: a resolver link (``https://doi.org/``, ``http://dx.doi.org/``,
    ``doi:``), a publisher link (``…/doi/abs/10.1111/x.1/abstract``), percent-encoded (``%28``, ``%2F``, even
    twice: ``%2528``), HTML entities, MEDLINE's ``S0140-… [pii]; 10.1016/… [doi]``. SICI DOIs keep their
    ``<693::AID-…>``.
    """
    if value is None:
        return None
    text = html.unescape(str(value)).strip()
    for _ in range(3):  # "%2528" was "%28" encoded again
        if "%" not in text or not _PERCENT_RE.search(text):
            break
        text = unquote(text)
    if "<" in text:
        text = _INLINE_TAG_RE.sub("", text)
    is_link = "://" in text or "doi.org" in text.lower() or text.lower().startswith("www.")
    text = _DOI_PREFIX_RE.sub("", text)
    m = _DOI_RE.search(text)
    if not m:
        return None
    doi = m.group(0)
    # trailing punctuation from citations / URLs, and a stray closing bracket
    doi = re.split(r"[\s\"]", doi)[0]
    if is_link:
        doi = _DOI_URL_TAIL_RE.sub("", doi)
    doi = doi.rstrip(".,;:")
    if doi.endswith(")") and doi.count("(") < doi.count(")"):
        doi = doi[:-1]
    if doi.endswith("]") and doi.count("[") < doi.count("]"):
        doi = doi[:-1]
    if doi.endswith(">") and doi.count("<") < doi.count(">"):
        doi = doi[:-1]
    doi = doi.rstrip(".,;:")
    # APA deposited 1990s DOIs with a doubled slash (10.1037//0022-006x.59.2.305); PubMed and Crossref resolve
    # both spellings to the same work, so there is one key
    doi = _DOUBLED_SLASH_RE.sub(r"\1/", doi)
    return doi.lower() if "/" in doi and len(doi) > 8 else None


def normalise_pmid(value: object) -> str | None:
    """Digits only, no leading zeros; None for anything else."""
    if value is None:
        return None
    m = re.search(r"\d+", str(value))
    if not m or len(str(value).strip()) > 40:
        return None
    digits = m.group(0).lstrip("0")
    return digits or None


def normalise_pmcid(value: object) -> str | None:
    if value is None:
        return None
    m = _PMCID_RE.search(str(value))
    return f"PMC{m.group(1)}" if m else None


def normalise_openalex_id(value: object) -> str | None:
    if value is None:
        return None
    m = _OPENALEX_RE.search(str(value))
    return m.group(1).upper() if m else None


def _issn_check_ok(digits: str) -> bool:
    """ISO 3297's check digit (mod 11, X for 10): a typo or an ISBN fragment is not an ISSN."""
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[7].upper() == ("X" if check == 10 else str(check))


def normalise_issns(values: Iterable[object]) -> list[str]:
    """Every valid ISSN inside the values, ``1234-567X``, each once, in order (``0894-9867, 0894-9867``,
    ``03064530 (ISSN)``, an API's ``["0005-7894", "1878-1888"]``). The one ISSN rule: the API parsers and the
    file readers both take it, so a token without a valid check digit is dropped wherever it comes from."""
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        for m in _ISSN_RE.finditer(str(value)):
            if not _issn_check_ok(m.group(1) + m.group(2)):
                continue
            issn = f"{m.group(1)}-{m.group(2).upper()}"
            if issn not in out:
                out.append(issn)
    return out


def parse_year(value: object) -> int | None:
    """First plausible year in the text: ``2014 Jan-Apr``, ``2019/10//``, ``Spring 1998`` -> int."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1500 <= value <= 2100 else None
    m = _YEAR_RE.search(str(value))
    return int(m.group(1)) if m else None


def normalise_pages(first: object = None, last: object = None) -> str | None:
    """First and last page joined as ``first-last``; pages are kept as given, only dashes unified."""
    f = clean_text(first)
    last_text = clean_text(last)
    pages = f"{f}-{last_text}" if f and last_text and last_text != f else f
    if not pages:
        return None
    pages = re.sub(r"\s*[\u2010-\u2015\-]+\s*", "-", pages)
    return pages


def format_author(family: object, given: object = None, *, initials: object = None) -> str | None:
    """``Family, Given`` (or ``Family, I.`` from initials, or a collective name alone)."""
    fam = clean_text(family)
    giv = clean_text(given)
    if not giv and initials:
        ini = clean_text(initials) or ""
        giv = " ".join(f"{c}." for c in ini.replace(".", "").replace(" ", "")) if ini else None
    if fam and giv:
        return f"{fam}, {giv}"
    return fam or giv


_DOTTED_INITIALS_RE = re.compile(r"^(?:[A-Z]\.-?){1,4}$")


def split_name(name: str) -> str | None:
    """Turn one author string from a file (``Smith, J.``, ``John Smith``, ``Smith J``) into ``Family, Given``."""
    n = clean_text(name)
    if not n:
        return None
    n = n.strip(" ;")
    if "," in n:
        fam, _, giv = n.partition(",")
        return format_author(fam, giv.strip() or None)
    parts = n.split(" ")
    if len(parts) == 1:
        return n
    # "Smith JA" (MEDLINE style): last token all caps, <= 3 letters -> initials
    if len(parts) == 2 and parts[1].isupper() and len(parts[1]) <= 3 and parts[1].isalpha():
        return format_author(parts[0], None, initials=parts[1])
    # "Wilson L.N.", "Dos Santos H.B.", "Jalil N.-E." (Scopus, Embase): dotted initials after the family name
    if "." in parts[-1] and _DOTTED_INITIALS_RE.match(parts[-1]) and not _DOTTED_INITIALS_RE.match(parts[-2]):
        family = " ".join(parts[:-1])
        if "-" in parts[-1]:
            return format_author(family, parts[-1])
        return format_author(family, None, initials=parts[-1])
    return format_author(parts[-1], " ".join(parts[:-1]))


def normalise_language(value: object) -> str | None:
    """Lower-case language as given (``eng``, ``english``); ``English`` and ``eng`` both mean English."""
    text = clean_text(value)
    if not text:
        return None
    text = text.lower().split(";")[0].strip()
    return _LANG_ALIASES.get(text, text)


_LANG_ALIASES = {
    "english": "eng", "en": "eng", "german": "ger", "de": "ger", "deu": "ger", "french": "fre", "fr": "fre",
    "fra": "fre", "spanish": "spa", "es": "spa", "norwegian": "nor", "no": "nor", "chinese": "chi", "zh": "chi",
    "zho": "chi", "japanese": "jpn", "ja": "jpn", "portuguese": "por", "pt": "por", "italian": "ita", "it": "ita",
    "dutch": "dut", "nl": "dut", "nld": "dut", "swedish": "swe", "sv": "swe", "russian": "rus", "ru": "rus",
    "korean": "kor", "ko": "kor", "danish": "dan", "da": "dan", "polish": "pol", "pl": "pol", "turkish": "tur",
    "tr": "tur", "persian": "per", "fa": "per", "fas": "per", "arabic": "ara", "ar": "ara",
}


def dedupe_list(values: Iterable[object]) -> list[str]:
    """Cleaned, non-empty, first-occurrence-order unique strings."""
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        t = clean_text(v)
        if t and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return out


#: UTF-8 bytes decoded as Latin-1 / Windows-1252 ("Ã©" for "é", "â€™" for "’"): two or three such characters
_MOJIBAKE_RE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                          "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]+")
#: a letter lost to an export's character set: "fran?aises", "fran\ufffdaises"
_LOST_LETTER_RE = re.compile(r"(?<=[^\W\d_])[?\ufffd]+(?=[^\W\d_])")


def repair_mojibake(text: str | None) -> str | None:
    """Undo the usual export damage to accented letters, for comparison (never for display).

    Text whose UTF-8 bytes were read as Windows-1252 or Latin-1 ("FranÃ§aise") is decoded again ("Française");
    a letter an export replaced by ``?`` or U+FFFD inside a word ("fran?aises") is dropped, so the word still
    matches its intact spelling as a subsequence (see :func:`dedup.prep.fold`).
    """
    if not text:
        return text
    if not text.isascii() and _MOJIBAKE_RE.search(text):
        for codec in ("cp1252", "latin-1"):
            try:
                text = text.encode(codec).decode("utf-8")
                break
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
    if "?" in text or "\ufffd" in text:
        text = _LOST_LETTER_RE.sub("", text)
    return text
