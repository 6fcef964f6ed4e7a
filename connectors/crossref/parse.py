"""Crossref ``/works`` answers -> records (pure, no HTTP): envelopes, JATS abstracts, update and preprint relations.

Endpoint, limits, paging and quirks: README.md beside this file. Abstracts are JATS XML fragments; they are never
handed to an XML parser (entity expansion): markup is stripped with regular expressions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from livereview.connectors.payloads import decode_json
from livereview.errors import CursorError, SourceHTTPError, SourceParseError, SourceQueryError
from livereview.records.dates import from_parts
from livereview.records.model import Record, Relation
from livereview.records.normalise import (
    clean_inline_markup,
    clean_text,
    format_author,
    normalise_doi,
    normalise_issns,
    normalise_language,
    normalise_pages,
    parse_year,
)

NAME = "crossref"
RAW_FORMAT = "crossref-json"


# Crossref update types -> (relation on the notice, relation on the updated work)
_UPDATE_KINDS: dict[str, tuple[str, str]] = {
    "retraction": ("retraction-of", "retraction-in"),
    "withdrawal": ("retraction-of", "retraction-in"),
    "removal": ("retraction-of", "retraction-in"),
    "correction": ("erratum-for", "erratum-in"),
    "erratum": ("erratum-for", "erratum-in"),
    "corrigendum": ("erratum-for", "erratum-in"),
    "partial_retraction": ("retraction-of", "retraction-in"),   # a retraction-type notice (part retracted)
    "addendum": ("erratum-for", "erratum-in"),
    "clarification": ("erratum-for", "erratum-in"),
    "expression_of_concern": ("expression-of-concern-for", "expression-of-concern-in"),
    "new_version": ("update-of", "updated-by"),
    "new_edition": ("update-of", "updated-by"),
}
_RETRACTING = frozenset({"retraction", "withdrawal", "removal"})
# Crossref ``relation`` keys we keep (the rest: reviews, citations, versions, are not review-relevant)
_RELATION_KINDS = {"has-preprint": "has-preprint", "is-preprint-of": "preprint-of"}
_DATE_FIELDS = ("issued", "published-print", "published-online", "published", "posted")


# ---------------------------------------------------------------------------------------------------------
# parsing (pure)
# ---------------------------------------------------------------------------------------------------------
def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """Records from a saved Crossref response: a ``work-list`` envelope or a single ``work``."""
    message, kind = read_message(payload, source=source)
    if kind == "work":
        return [item_to_record(message, source=source)]
    return [item_to_record(item, source=source) for item in read_items(message, source=source)]


def item_to_record(item: Mapping[str, Any], *, source: str = NAME) -> Record:
    """One Crossref work item -> :class:`Record` (``source_id`` = DOI)."""
    doi = normalise_doi(item.get("DOI"))
    updates_to = _update_relations(item.get("update-to"), notice=True)
    updated_by = _update_relations(item.get("updated-by"), notice=False)
    relations = _dedupe_relations([*updates_to, *updated_by, *_preprint_relations(item.get("relation"))])
    retracted = any(_update_type(u) in _RETRACTING for u in _dicts(item.get("updated-by")))
    published = _first_date(item, _DATE_FIELDS)
    year = parse_year(published) if published else _year_of(item.get("created"))
    kind = item.get("type")
    types = [kind] if isinstance(kind, str) and kind else []
    if item.get("subtype") == "preprint" or kind == "preprint":
        types.append("preprint")
    return Record(
        source=source,
        source_id=doi,
        title=_title(item),
        abstract=jats_to_text(item.get("abstract")),
        authors=_authors(item.get("author")),
        year=year,
        journal=_journal(item),
        volume=_field(item.get("volume")),
        issue=_field(item.get("issue")),
        pages=normalise_pages(item.get("page")),
        doi=doi,
        issn=normalise_issns([*_strings(item.get("ISSN")),
                              *(d.get("value") for d in _dicts(item.get("issn-type")))]),
        language=normalise_language(item.get("language")),
        publication_types=list(dict.fromkeys(types)),
        published_date=published,
        url=item.get("URL") if isinstance(item.get("URL"), str) else None,
        is_retracted=retracted,
        relations=relations,
        raw=json.dumps(item, ensure_ascii=False),
        raw_format=RAW_FORMAT,
    )


# JATS/HTML inline markup -> ``<i>``, which ``clean_inline_markup`` knows may stand where a space belongs
_INLINE_MAP = re.compile(r"<(/?)(?:jats:)?(?:italic|bold|sc|scp|underline|monospace|styled-content|"
                         r"named-content|ext-link|uri|i|b|u|em|strong)\b[^>]*>", re.IGNORECASE)
# ``<scp>T</scp>reebase``: a small-caps first letter belongs to the word that follows
_SMALLCAP_INITIAL = re.compile(r"(?<![^\s(\[\"'‘“])<(?:jats:)?(?:scp|sc)>(\w)</(?:jats:)?(?:scp|sc)>"
                               r"(?=[a-z])")
_TITLE_TAG = re.compile(r"<(?:jats:)?title\b[^>]*>(.*?)</(?:jats:)?title>", re.IGNORECASE | re.DOTALL)
_GENERIC_HEADING = re.compile(r"^(?:abstract|summary|graphical abstract|structured abstract|resumen|résumé)$",
                              re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:)\]])(?=[\s.,;:)\]]|$)")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")


def jats_to_text(value: object) -> str | None:
    """Plain text from a JATS (or HTML) fragment, without an XML parser.

    A generic heading ("Abstract") is dropped; section titles become ``"Label: "`` before their text.
    Entities are decoded only after tags are gone, so ``&lt;`` in the text survives as ``<``.
    """
    if not isinstance(value, str) or not value.strip():
        return None

    def label(m: re.Match[str]) -> str:
        text = _inline(m.group(1)) or ""
        if not text or _GENERIC_HEADING.match(text.rstrip(":. ")):
            return " "
        return f" {text.rstrip(':. ')}: "

    text = _TITLE_TAG.sub(label, value)
    return _tidy(_inline(text))


def _inline(value: str) -> str | None:
    text = _SMALLCAP_INITIAL.sub(r"\1", value)
    text = _INLINE_MAP.sub(lambda m: f"<{m.group(1)}i>", text)
    return clean_inline_markup(text)


def _tidy(text: str | None) -> str | None:
    """Whitespace left by pretty-printed XML before closing punctuation: ``Grenfell ).`` -> ``Grenfell).``."""
    if not text:
        return None
    text = _SPACE_AFTER_OPEN.sub(r"\1", _SPACE_BEFORE_PUNCT.sub(r"\1", text))
    return text.strip() or None


def _title(item: Mapping[str, Any]) -> str | None:
    title = next((t for t in (_tidy(_inline(s)) for s in _strings(item.get("title"))) if t), None)
    subtitle = next((t for t in (_tidy(_inline(s)) for s in _strings(item.get("subtitle"))) if t), None)
    if title and subtitle and subtitle.lower() not in title.lower():
        return f"{title} {subtitle}" if title[-1] in "?!:." else f"{title}: {subtitle}"
    return title or subtitle


def _authors(value: object) -> list[str]:
    out: list[str] = []
    for a in _dicts(value):
        if a.get("family"):
            name = format_author(a.get("family"), a.get("given"))
        else:  # organisations ("name"), and the odd given-name-only author
            name = clean_text(a.get("name")) or clean_text(a.get("given"))
        if name:
            out.append(name)
    return out


def _journal(item: Mapping[str, Any]) -> str | None:
    journal = next((t for t in map(clean_text, _strings(item.get("container-title"))) if t), None)
    if journal is None and item.get("type") == "posted-content":
        # preprints: the server (bioRxiv, SSRN) is named as the "institution"
        names = (clean_text(i.get("name")) for i in _dicts(item.get("institution")))
        journal = next((n for n in names if n), None)
    return journal


def _date(value: object) -> str | None:
    """A Crossref date object (``{"date-parts": [[2019, 10, 5]]}``; ``[[null]]`` happens) -> ISO, or None."""
    parts = value.get("date-parts") if isinstance(value, Mapping) else None
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
        return None
    return from_parts(parts[0])


def _first_date(item: Mapping[str, Any], fields: Iterable[str]) -> str | None:
    return next((iso for iso in (_date(item.get(name)) for name in fields) if iso and parse_year(iso[:4])), None)


def _year_of(value: object) -> int | None:
    iso = _date(value)
    return parse_year(iso[:4]) if iso else None


def _update_type(update: Mapping[str, Any]) -> str:
    return re.sub(r"[\s-]+", "_", str(update.get("type") or "").strip().lower())


def _update_relations(value: object, *, notice: bool) -> list[Relation]:
    out: list[Relation] = []
    for u in _dicts(value):
        kind = _update_type(u)
        target = normalise_doi(u.get("DOI"))
        if kind not in _UPDATE_KINDS or not target:
            continue
        relation = _UPDATE_KINDS[kind][0 if notice else 1]
        out.append(Relation(kind=relation, id_type="doi", target=target, note=kind))
    return out


def _preprint_relations(value: object) -> list[Relation]:
    out: list[Relation] = []
    if not isinstance(value, Mapping):
        return out
    for key, kind in _RELATION_KINDS.items():
        for rel in _dicts(value.get(key)):
            id_type = str(rel.get("id-type") or "doi").lower()
            target = normalise_doi(rel.get("id")) if id_type == "doi" else clean_text(rel.get("id"))
            if target:
                out.append(Relation(kind=kind, id_type=id_type, target=target))
    return out


def _dedupe_relations(relations: Iterable[Relation]) -> list[Relation]:
    return list(dict.fromkeys(relations))


def _field(value: object) -> str | None:
    """A short text field; the literal ``"null"`` some members deposit means absent."""
    text = clean_text(value)
    return None if text is None or text.lower() in ("null", "none", "n/a") else text


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------------------------
# payload checks shared by parse() and search()
# ---------------------------------------------------------------------------------------------------------
def read_message(payload: bytes, *, source: str, url: str | None = None,
             content_type: str = "") -> tuple[Mapping[str, Any], str]:
    data = decode_json(payload, source=source, url=url, content_type=content_type)
    if not isinstance(data, Mapping) or "message-type" not in data:
        raise SourceParseError(source, "not a Crossref REST API response (no 'message-type' envelope)",
                               url=url)
    raise_for_failure(data, source=source, url=url)
    kind = data.get("message-type")
    message = data.get("message")
    if kind not in ("work", "work-list") or not isinstance(message, Mapping):
        raise SourceParseError(source, f"expected message-type 'work' or 'work-list', got {kind!r}", url=url)
    return message, str(kind)


def read_items(message: Mapping[str, Any], *, source: str, url: str | None = None) -> list[Mapping[str, Any]]:
    items = message.get("items")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise SourceParseError(source, "work-list without an 'items' list of works", url=url)
    return items


def _api_messages(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(types, messages) from Crossref's error envelope, whose ``message`` is a list (or a dict for 500s)."""
    raw = data.get("message")
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else []
    types, messages = [], []
    for e in entries:
        if isinstance(e, Mapping):
            types.append(str(e.get("type") or e.get("name") or ""))
            text = clean_text(e.get("message") or e.get("description"))
            if text:
                messages.append(text.rstrip(". ") + (f" (value: {e['value']})" if e.get("value") else ""))
        elif isinstance(e, str):
            messages.append(e)
    return types, messages


def raise_for_failure(data: Mapping[str, Any], *, source: str, url: str | None,
                       status: int | None = None) -> None:
    if data.get("status") in (None, "ok"):
        return
    types, messages = _api_messages(data)
    text = "; ".join(messages) or str(data.get("message-type") or "unknown error")
    if "cursor-invalid" in types:
        raise CursorError(source, f"cursor rejected: {text} (cursors expire after ~5 minutes idle)",
                          url=url, status=status)
    if data.get("message-type") == "exception":
        raise SourceHTTPError(source, f"server error: {first_line(text)}", url=url, status=status)
    raise SourceQueryError(source, f"query rejected: {text}", url=url, status=status)


_JAVA_FRAME = re.compile(r"\s(?:at\s+[\w$.<>/-]+\(|Caused by:|\.\.\.\s*\d+\s+more)")


def first_line(text: str, limit: int = 160) -> str:
    """Keep the exception message, drop the stack trace that follows it."""
    m = _JAVA_FRAME.search(text)
    text = (text[: m.start()] if m else text).strip()
    return text[:limit] + ("…" if len(text) > limit else "")



# ---------------------------------------------------------------------------------------------------------
# deposited references (pure): what a work cites, where the publisher deposited its reference list
# ---------------------------------------------------------------------------------------------------------
def reference_records(item: Mapping[str, Any], *, source: str = NAME) -> list[Record]:
    """The work's deposited references that carry a DOI, as thin records (DOI, title, journal, year).

    Unstructured references without a DOI are left out: they cannot be deduplicated reliably, and the
    OpenAlex and Europe PMC reference lists usually resolve them.
    """
    out: list[Record] = []
    for ref in _dicts(item.get("reference")):
        doi = normalise_doi(ref.get("DOI"))
        if not doi:
            continue
        title = clean_text(ref.get("article-title")) or clean_text(ref.get("volume-title"))
        out.append(Record(
            source=source, source_id=doi, doi=doi, title=title,
            journal=clean_text(ref.get("journal-title")), year=parse_year(ref.get("year")),
            volume=_field(ref.get("volume")), pages=normalise_pages(ref.get("first-page")),
            raw=json.dumps(ref, ensure_ascii=False), raw_format=RAW_FORMAT,
        ))
    return out
