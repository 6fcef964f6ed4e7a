"""Journal table-of-contents feeds (RSS 0.9x, RSS 1.0/RDF, RSS 2.0, Atom) -> :class:`Record`.

feedparser does the format work; this module adds what a review needs from it:

* **safety first** — a payload that declares entities (billion laughs, XXE) is refused before
  feedparser sees it: defusedxml parses it with entity expansion and external references off;
* **DOIs** from ``prism:doi``, ``dc:identifier`` (``doi:…``, ``info:doi/…``), ids and links that
  carry one (``doi.org/…``, ``…/doi/…``, ``…/10.1234/…`` paths). feedparser keeps only the *last*
  of repeated ``dc:identifier`` elements (Science's RDF feeds put the DOI first), so identifiers
  are also read from the defusedxml tree of a well-formed feed;
* PRISM volume/number/pages, journal name and ISSNs (entry first, then channel);
* ScienceDirect writes date, source and authors as paragraphs of the description
  (``Publication date: Available online 20 May 2026``, ``Author(s): A, B``): read them as fields,
  not as an abstract;
* ``bozo`` (malformed) feeds that still yield entries give those entries plus a warning; an HTML
  page or an empty document instead of a feed is a :class:`SourceParseError`.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from livereview.errors import SourceParseError
from livereview.records.dates import prose_date
from livereview.records.model import Record
from livereview.records.normalise import (
    clean_inline_markup,
    clean_text,
    dedupe_list,
    normalise_doi,
    normalise_issns,
    normalise_pages,
    parse_year,
    split_name,
)

NAME = "feeds"
RAW_FORMAT = "feed-entry-json"

_ENTITY_DECL = "<!ENTITY"
_DOI_PREFIX = re.compile(r"^\s*(?:doi:\s*|info:doi/|urn:doi:|10\.\d{4,9}/)", re.IGNORECASE)
_DOI_IN_PATH = re.compile(r"/10\.\d{4,9}/")
_URL_SUFFIX = re.compile(r"/(?:full|abstract|abs|pdf|epdf|html)/?$", re.IGNORECASE)
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.IGNORECASE | re.DOTALL)
_META_LINE = re.compile(r"^(publication date|source|author\(s\))\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h[1-6]\b[^>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)
_GENERIC_HEADING = re.compile(r"^(?:abstract|summary)$", re.IGNORECASE)
_SOURCE_VOLUME = re.compile(r"^(.*?),\s*Volume\s+(\w+)(?:,\s*Issue\s+(\w+))?", re.IGNORECASE)
# Wiley descriptions are citation lines, not abstracts: "J X, Volume 81, Issue 6, Page 5-9, June 2025"
_CITATION_LINE = re.compile(r"^[^.]{1,200},\s*(?:EarlyView|Volume\s+\w+(?:,\s*Issue\s+\w+)?"
                            r"(?:,\s*Pages?\s+[\w\-–]+)?(?:,\s*\w+\s+\d{4})?)\s*\.?$", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<title)", re.IGNORECASE)


@dataclass
class ParsedFeed:
    """What one feed document gave: its records, oddities worth a warning, and the feed's own name."""

    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str | None = None
    version: str = ""
    dates: list[date | None] = field(default_factory=list)   # per record: the date the entry was posted
    skipped: int = 0                                         # entries dropped: no title and no identifier


def parse(payload: bytes, *, source: str = NAME) -> list[Record]:
    """Records from a saved feed document (bytes); malformed-but-readable feeds lose only their warning."""
    return parse_feed(payload, source=source).records


def parse_feed(payload: bytes, *, source: str = NAME, url: str | None = None,
               headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed document; ``url`` and response ``headers`` name it in messages and guide decoding."""
    where = url or "feed"
    if not payload.strip():
        raise SourceParseError(source, f"{where}: empty document, not a feed", url=url)
    tree = _safe_tree(payload, source=source, url=url)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if url:
        response_headers.setdefault("content-location", url)
    if response_headers:
        # without it feedparser flags every document "bozo: no Content-type specified"
        response_headers.setdefault("content-type", "application/xml")
    # a stream, never bytes/str: feedparser would try to open a str or bytes that looks like a path or URL
    parsed = feedparser.parse(io.BytesIO(payload), response_headers=response_headers or None)
    version = parsed.get("version") or ""
    entries = list(parsed.get("entries") or [])
    if not entries and not version:
        raise SourceParseError(source, f"{where}: {_not_a_feed_reason(payload, parsed, response_headers)}",
                               url=url)
    feed_info = parsed.get("feed") or {}
    out = ParsedFeed(title=clean_text(feed_info.get("title")), version=version)
    identifiers = _tree_identifiers(tree) if tree is not None else {}
    skipped = 0
    for entry in entries:
        record, posted = item_to_record(entry, feed_info, identifiers, source=source)
        if record is None:
            skipped += 1
            continue
        out.records.append(record)
        out.dates.append(posted)
    # a feed served as text/html or text/plain is mislabelled, not malformed
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), feedparser.NonXMLContentType):
        problem = _short(parsed.get("bozo_exception"))
        if not out.records:
            raise SourceParseError(source, f"{where}: malformed feed with no readable entries ({problem})",
                                   url=url)
        out.warnings.append(f"{source}: {where} is malformed ({problem}); kept the {len(out.records)} "
                            "entries that could be read")
    out.skipped = skipped
    if skipped:
        out.warnings.append(f"{source}: {where}: skipped {skipped} entries with neither a title nor an "
                            "identifier (DOI)")
    return out


# ---------------------------------------------------------------------------------------------------------
# safety and format checks
# ---------------------------------------------------------------------------------------------------------
def _declares_entities(payload: bytes) -> bool:
    if _ENTITY_DECL.encode() in payload:
        return True
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if payload.startswith(bom):
            return _ENTITY_DECL in payload[2:].decode(encoding, "replace")
    return False


def _safe_tree(payload: bytes, *, source: str, url: str | None) -> Element | None:
    """The document parsed with entity expansion off; None if it is not well-formed (feedparser copes)."""
    where = url or "feed"
    if _declares_entities(payload):
        raise SourceParseError(source, f"{where}: document declares XML entities (<!ENTITY …>); refused "
                                       "(entity expansion and external entities are not allowed)", url=url)
    try:
        return defused_fromstring(payload)
    except DefusedXmlException as exc:
        raise SourceParseError(source, f"{where}: unsafe XML refused ({type(exc).__name__})",
                               url=url) from exc
    except (ParseError, ValueError):
        return None


def _not_a_feed_reason(payload: bytes, parsed: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    content_type = headers.get("content-type", "")
    if "html" in content_type.lower() or _HTML_START.match(payload):
        m = re.search(rb"<title[^>]*>(.*?)</title>", payload[:4096], re.IGNORECASE | re.DOTALL)
        title = clean_text(m.group(1).decode("utf-8", "replace")) if m else None
        return "an HTML page, not a feed" + (f" ({title!r})" if title else "")
    text = re.sub(rb"<!--.*?-->|<\?xml[^>]*\?>", b"", payload, flags=re.DOTALL).strip()
    if not text:
        return "empty document (no feed element, only comments or an XML declaration)"
    problem = _short(parsed.get("bozo_exception")) if parsed.get("bozo") else "no RSS/Atom root element"
    return f"not an RSS or Atom feed ({problem})"


def _short(exc: object, limit: int = 120) -> str:
    text = " ".join(str(exc or "unknown problem").split())
    name = type(exc).__name__ if isinstance(exc, Exception) else ""
    text = f"{name}: {text}" if name and name not in text else text
    return text[:limit] + ("…" if len(text) > limit else "")


# ---------------------------------------------------------------------------------------------------------
# identifiers from the tree (feedparser keeps only the last repeated dc:identifier)
# ---------------------------------------------------------------------------------------------------------
def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _tree_identifiers(root: Element) -> dict[str, list[tuple[str, str]]]:
    """Item key (rdf:about, link, guid, id) -> every ``(kind, value)`` identifier-like child of that item."""
    index: dict[str, list[tuple[str, str]]] = {}
    for item in root.iter():
        if _local(item.tag) not in ("item", "entry"):
            continue
        keys: list[str] = []
        values: list[tuple[str, str]] = []
        for name, value in item.attrib.items():
            if _local(name) == "about":
                keys.append(value.strip())
        for child in item:
            name, text = _local(child.tag), (child.text or "").strip()
            if name == "link":
                href = (child.get("href") or text).strip()
                keys.append(href)
                values.append(("link", href))
            elif name in ("guid", "id"):
                keys.append(text)
                values.append(("id", text))
            elif name in ("identifier", "doi"):
                values.append((name, text))
        for key in keys:
            if key:
                index.setdefault(key, values)
    return index


def doi_from_identifier(value: object) -> str | None:
    """``doi:10.1/x``, ``info:doi/10.1/x``, a bare ``10.1/x`` or a DOI URL -> DOI; other ids -> None."""
    if not isinstance(value, str) or not value.strip():
        return None
    if _DOI_PREFIX.match(value):
        return normalise_doi(re.sub(r"^\s*(?:info:doi/|urn:doi:)", "", value, flags=re.IGNORECASE))
    return doi_from_url(value)


def doi_from_url(value: object) -> str | None:
    """A DOI from a link that carries one: ``doi.org/…``, ``…/doi/[abs/]10.…``, ``…/article/10.…``."""
    if not isinstance(value, str) or "10." not in value:
        return None
    parts = urlsplit(value.strip())
    host, path = parts.netloc.lower(), unquote(parts.path)
    if not (host.endswith("doi.org") or "/doi/" in path or _DOI_IN_PATH.search(path)):
        return None
    return normalise_doi(_URL_SUFFIX.sub("", path))


def _entry_doi(entry: Mapping[str, Any], tree_values: list[tuple[str, str]]) -> str | None:
    candidates: list[tuple[str, object]] = [("doi", entry.get("prism_doi"))]
    candidates += [(k, v) for k, v in tree_values if k == "doi"]
    candidates += [("identifier", entry.get("dc_identifier"))]
    candidates += [(k, v) for k, v in tree_values if k == "identifier"]
    candidates += [("id", entry.get("id")), *((k, v) for k, v in tree_values if k == "id")]
    candidates += [("link", entry.get("link"))]
    candidates += [("link", link.get("href")) for link in _links(entry)]
    candidates += [(k, v) for k, v in tree_values if k == "link"]
    for kind, value in candidates:
        if kind == "doi":
            doi = normalise_doi(value)
        elif kind in ("identifier", "id"):
            doi = doi_from_identifier(value)
        else:
            doi = doi_from_url(value)
        if doi:
            return doi
    return None


# ---------------------------------------------------------------------------------------------------------
# entries
# ---------------------------------------------------------------------------------------------------------
def item_to_record(entry: Mapping[str, Any], feed: Mapping[str, Any],
                     identifiers: Mapping[str, list[tuple[str, str]]], *,
                     source: str) -> tuple[Record | None, date | None]:
    keys = [entry.get("id"), entry.get("link"), *(link.get("href") for link in _links(entry))]
    tree_values = next((identifiers[k] for k in keys if isinstance(k, str) and k in identifiers), [])
    doi = _entry_doi(entry, tree_values)
    title = clean_inline_markup(entry.get("title"))
    link = entry.get("link") if isinstance(entry.get("link"), str) and entry.get("link") else None
    entry_id = entry.get("id") if isinstance(entry.get("id"), str) and entry.get("id") else None
    if not (title or doi):  # a bare link is nothing a reviewer can screen or the store can match
        return None, None

    abstract, meta = _summary(entry)
    posted = _struct_date(entry) or prose_date(meta.get("publication date"), precise=True)
    published = (_iso_prefix(entry.get("prism_publicationdate")) or _iso_prefix(entry.get("prism_coverdate"))
                 or _prose_iso(meta.get("publication date")) or (posted.isoformat() if posted else None))
    authors = _authors(entry) or _split_authors(meta.get("author(s)"))
    source_journal, source_volume, source_issue = _source_line(meta.get("source"))
    journal = (clean_text(entry.get("prism_publicationname")) or clean_text(feed.get("prism_publicationname"))
               or source_journal or _feed_journal(feed))
    issns = [entry.get("prism_issn"), entry.get("prism_eissn"),
             feed.get("prism_issn"), feed.get("prism_eissn")]
    tags = [t.get("term") for t in entry.get("tags") or [] if isinstance(t, Mapping)]
    record = Record(
        source=source,
        source_id=entry_id or link or doi,
        title=title,
        abstract=abstract,
        authors=authors,
        year=parse_year(published),
        journal=journal,
        volume=clean_text(entry.get("prism_volume")) or source_volume,
        issue=clean_text(entry.get("prism_number") or entry.get("prism_issueidentifier")) or source_issue,
        pages=normalise_pages(entry.get("prism_startingpage"), entry.get("prism_endingpage")),
        doi=doi,
        issn=normalise_issns(i for i in issns if i),
        keywords=dedupe_list(tags),
        published_date=published,
        url=link,
        raw=json.dumps(_plain(entry), ensure_ascii=False),
        raw_format=RAW_FORMAT,
    )
    return record, posted


def _links(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [link for link in entry.get("links") or [] if isinstance(link, Mapping)]


def _summary(entry: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """(abstract, metadata paragraphs) from the entry's content or summary HTML."""
    contents = [c.get("value") for c in entry.get("content") or [] if isinstance(c, Mapping)]
    html = max([v for v in [*contents, entry.get("summary")] if isinstance(v, str)], key=len, default="")
    meta: dict[str, str] = {}
    paragraphs = _PARAGRAPH.findall(html)
    if paragraphs:
        rest = []
        for p in paragraphs:
            text = clean_text(p) or ""
            m = _META_LINE.match(text)
            if m:
                meta[m.group(1).lower()] = m.group(2).strip()
            elif text:
                rest.append(p)
        if meta:
            html = " ".join(f"<p>{p}</p>" for p in rest)

    def label(m: re.Match[str]) -> str:
        # "<h3>Method</h3><p>…" -> "Method: …"; a bare "Abstract" heading is dropped
        text = (clean_text(m.group(1)) or "").rstrip(":. ")
        return " " if not text or _GENERIC_HEADING.match(text) else f" {text}: "

    text = clean_inline_markup(_HEADING.sub(label, html))
    return (None if text and _CITATION_LINE.match(text) else text), meta


def _authors(entry: Mapping[str, Any]) -> list[str]:
    names = [a.get("name") for a in entry.get("authors") or [] if isinstance(a, Mapping)]
    if not any(names) and isinstance(entry.get("author"), str):
        names = [entry["author"]]
    out: list[str] = []
    for name in names:
        out.extend(_split_authors(name))
    return list(dict.fromkeys(out))


def _split_authors(value: object) -> list[str]:
    """Names in one creator string: ``Jane Doe, John Smith and Ann Lee`` is three; ``Hines, P. J.`` one."""
    text = clean_text(value)
    if not text:
        return []
    parts = [p.strip() for p in re.split(r";|\s+and\s+|\s*&\s*", text) if p.strip()]
    names: list[str] = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        # split on commas only when every piece is a whole name ("First Last"), not "Family, Given"
        if len(pieces) > 1 and all(" " in p for p in pieces):
            names.extend(pieces)
        else:
            names.append(part)
    return [n for n in (split_name(n) for n in names) if n]


def _source_line(value: object) -> tuple[str | None, str | None, str | None]:
    """ScienceDirect ``Source: Behav Res Ther, Volume 189, Issue 2`` -> (journal, volume, issue)."""
    text = clean_text(value)
    if not text:
        return None, None, None
    m = _SOURCE_VOLUME.match(text)
    return (m.group(1).strip() or None, m.group(2), m.group(3)) if m else (text, None, None)


def _feed_journal(feed: Mapping[str, Any]) -> str | None:
    """The channel title, without publisher decoration (``Wiley: Journal X: Table of Contents``)."""
    title = clean_text(feed.get("title"))
    if not title:
        return None
    title = re.sub(r"^(?:ScienceDirect Publication|Wiley|SAGE Publications Inc|Taylor & Francis)\s*:\s*", "",
                   title, flags=re.IGNORECASE)
    title = re.sub(r"\s*[:\-–]\s*(?:Table of Contents|Latest Results|Most Recent|Latest articles)\s*$", "",
                   title, flags=re.IGNORECASE)
    return title or None


def _struct_date(entry: Mapping[str, Any]) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return date(value.tm_year, value.tm_mon, value.tm_mday)
            except ValueError:
                continue
    for key in ("prism_publicationdate", "dc_date"):
        iso = _iso_prefix(entry.get(key))
        if iso and len(iso) == 10:
            return date.fromisoformat(iso)
    return None


def _iso_prefix(value: object) -> str | None:
    """``2017-06-16T…`` -> ``2017-06-16``; ``2024-05`` stays; anything else -> None."""
    if not isinstance(value, str):
        return None
    m = re.match(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not m or not parse_year(m.group(1)):
        return None
    parts = [p for p in m.groups() if p]
    try:
        if len(parts) == 3:
            date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        parts = parts[:2]
    return "-".join(parts)


def _prose_iso(value: object) -> str | None:
    exact = prose_date(value, precise=True)
    if exact:
        return exact.isoformat()
    month = prose_date(value)
    return f"{month.year:04d}-{month.month:02d}" if month else None


def _plain(value: Any) -> Any:
    """feedparser's dict of struct_times and FeedParserDicts -> plain JSON-able data (for ``raw``)."""
    if isinstance(value, time.struct_time):
        return datetime(*value[:6]).isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def dated_before(parsed: ParsedFeed, start: date) -> Iterable[int]:
    """Indexes of records whose posting date is known and earlier than ``start`` (undated ones are kept)."""
    return (i for i, d in enumerate(parsed.dates) if d is not None and d < start)
