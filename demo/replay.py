"""A loopback HTTP server that answers like PubMed, Europe PMC, Crossref, OpenAlex and a journal feed.

Used by ``livereview demo`` (try the product with no network) and by the tests (tests/support/replay_server.py
re-exports it).

Every item it serves is a *recorded real item* (from tests/fixtures) with its identifiers, title,
abstract and dates rewritten to one synthetic paper, so the connectors parse real shapes while
the test controls which papers exist, when each was created, and what the next request does
(fail with a status, answer an HTML error page, stall). Windows are honoured the way each API
documents them (PubMed ``[crdt]`` in the term, Europe PMC ``FIRST_IDATE``, Crossref
``from-/until-index-date``, OpenAlex ``from_/to_created_date``), and paging is by the APIs' own
cursors, so the flow's windows, watermarks and paging are exercised for real.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

#: the recorded real responses whose shapes every item is written in: package data (demo/data/templates, copies
#: of tests/fixtures items; see demo/data/MANIFEST.tsv), so an installed wheel runs the demo without a checkout
FIXTURES = Path(str(resources.files("livereview.demo") / "data" / "templates"))
SOURCES = ("pubmed", "europepmc", "crossref", "openalex", "feeds")


@dataclass
class Paper:
    """One synthetic publication, as every source would describe it."""

    n: int
    created: date
    title: str
    abstract: str
    sources: set[str] = field(default_factory=lambda: set(SOURCES))
    doi: str | None = None
    cites: tuple[str, ...] = ()          # DOIs this paper cites (OpenAlex ``cites:`` answers from them)
    retracted_by: str | None = None      # DOI of a retraction notice (Crossref ``updated-by``, Retraction Watch)
    authors: tuple[str, ...] = ()        # "Family, Given" (a real record's); empty: the template item's authors
    journal: str | None = None           # the venue (a real record's); None: the template item's
    year: int | None = None              # publication year; None: the year it was created
    has_doi: bool = True                 # False: a real record without a DOI (served by PubMed / Europe PMC only)

    def __post_init__(self) -> None:
        if self.doi is None:
            self.doi = f"10.55555/livereview.test.{self.n}"

    @property
    def pub_year(self) -> int:
        return self.year or self.created.year

    def names(self) -> list[tuple[str, str]]:
        """(family, given) per author."""
        return [(a.partition(",")[0].strip(), a.partition(",")[2].strip()) for a in self.authors]

    @property
    def pmid(self) -> str:
        return str(39_000_000 + self.n)

    @property
    def openalex_id(self) -> str:
        return f"W9{self.n:09d}"


def homework_paper(n: int, created: date, **kw) -> Paper:
    """A paper the review's concepts match (IA term + context term in the title)."""
    title = kw.pop("title", f"Homework compliance in cognitive behavioural therapy: cohort {n}")
    return Paper(n, created, title=title,
                 abstract=kw.pop("abstract",
                                 f"Between-session activities predicted outcome in counselling (study {n})."),
                 **kw)


@dataclass
class Fault:
    status: int = 500
    body: bytes = b"Internal Server Error"
    content_type: str = "text/plain"
    times: int = 1
    delay: float = 0.0


class Replay:
    """The server's state; the test mutates it between runs."""

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.fixtures = fixtures
        self.papers: list[Paper] = []
        self.faults: dict[str, list[Fault]] = {s: [] for s in SOURCES}
        self.requests: dict[str, int] = {s: 0 for s in SOURCES}
        self.stall: dict[str, float] = {}
        self.lock = threading.Lock()
        self._webenvs: dict[str, list[Paper]] = {}
        self.feed_etag = '"feed-v0"'
        self.feed_link_only_items = 0    # feed items carrying only a link (no title, no DOI)
        self._load_templates()

    # -- control ----------------------------------------------------------------------------------------------------
    def add(self, *papers: Paper) -> None:
        with self.lock:
            self.papers.extend(papers)
            self.feed_etag = f'"feed-v{len(self.papers)}"'

    def fail(self, source: str, status: int = 500, times: int = 1, body: bytes | None = None,
             content_type: str = "text/plain") -> None:
        self.faults[source].append(Fault(status, body or f"HTTP {status}".encode(), content_type, times))

    def html_error(self, source: str, times: int = 1) -> None:
        page = (b"<!DOCTYPE html><html><head><title>502 Proxy Error</title></head><body><h1>Proxy Error</h1>"
                b"<p>The proxy server received an invalid response from an upstream server.</p></body></html>")
        self.faults[source].append(Fault(200, page, "text/html; charset=utf-8", times))

    def _take_fault(self, source: str) -> Fault | None:
        with self.lock:
            queue = self.faults[source]
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def by_doi(self, source: str, dois: set[str]) -> list[Paper]:
        with self.lock:
            return [p for p in self.papers if source in p.sources and p.doi in dois]

    def citing(self, doi: str) -> list[Paper]:
        with self.lock:
            return [p for p in self.papers if "openalex" in p.sources and doi in p.cites]

    def in_window(self, source: str, start: date, end: date) -> list[Paper]:
        with self.lock:
            return [p for p in self.papers if source in p.sources and start <= p.created <= end]

    # -- templates: recorded real items ---------------------------------------------------------------------------
    def _load_templates(self) -> None:
        FIXTURES = self.fixtures  # noqa: N806
        root = ET.parse(FIXTURES / "pubmed" / "efetch_1234567_1975_no_abstract.xml").getroot()  # noqa: S314 - our own fixture
        self.pubmed_article = root.find("PubmedArticle")
        core = json.loads((FIXTURES / "europepmc" / "search_cancer_core.json").read_bytes())
        self.epmc_item = core["resultList"]["result"][0]
        cr = json.loads((FIXTURES / "crossref" / "worklist_field_query_author_jats_rich.json").read_bytes())
        self.crossref_item = cr["message"]["items"][0]
        self.openalex_item = json.loads((FIXTURES / "openalex" / "work_W2741809807_full_2025.json").read_bytes())

    # -- renderers ----------------------------------------------------------------------------------------------------
    def pubmed_xml(self, papers: list[Paper]) -> bytes:
        out = ET.Element("PubmedArticleSet")
        for p in papers:
            art = copy.deepcopy(self.pubmed_article)
            art.find("MedlineCitation/PMID").text = p.pmid
            article = art.find("MedlineCitation/Article")
            article.find("ArticleTitle").text = p.title
            article.find("Journal/JournalIssue/PubDate/Year").text = str(p.pub_year)
            if p.journal:
                article.find("Journal/Title").text = p.journal
                article.find("Journal/ISOAbbreviation").text = p.journal
            if p.authors:   # a real record: none of the template's subject headings or keywords
                for name in ("MeshHeadingList", "ChemicalList", "KeywordList"):
                    for el in art.find("MedlineCitation").findall(name):
                        art.find("MedlineCitation").remove(el)
                authors = article.find("AuthorList")
                for old in list(authors):
                    authors.remove(old)
                for family, given in p.names():
                    a = ET.SubElement(authors, "Author", ValidYN="Y")
                    ET.SubElement(a, "LastName").text = family
                    ET.SubElement(a, "ForeName").text = given
                    ET.SubElement(a, "Initials").text = given.replace(".", "").replace(" ", "")
            if p.abstract:
                abstract = ET.Element("Abstract")
                ET.SubElement(abstract, "AbstractText").text = p.abstract
                article.insert(list(article).index(article.find("Pagination")) + 1, abstract)
            ids = art.find("PubmedData/ArticleIdList")
            for aid in list(ids):
                if aid.get("IdType") != "pubmed" and not p.has_doi:
                    ids.remove(aid)
                aid.text = p.pmid if aid.get("IdType") == "pubmed" else p.doi
            out.append(art)
        return b'<?xml version="1.0" ?>\n' + ET.tostring(out, encoding="utf-8")

    def epmc_json(self, p: Paper) -> dict:
        item = copy.deepcopy(self.epmc_item)
        item.update(id=p.pmid, pmid=p.pmid, doi=p.doi, title=p.title, abstractText=p.abstract,
                    pubYear=str(p.pub_year), firstIndexDate=p.created.isoformat(),
                    dateOfCreation=p.created.isoformat(), source="MED")
        if not p.abstract:
            item.pop("abstractText")
        if not p.has_doi:
            item.pop("doi")
        if p.authors:
            for key in ("keywordList", "meshHeadingList", "chemicalList"):
                item.pop(key, None)
            item["authorString"] = ", ".join(f"{f} {g.replace('.', '')}" for f, g in p.names()) + "."
            item["authorList"] = {"author": [{"fullName": f"{f} {g.replace('.', '')}", "lastName": f,
                                              "firstName": g, "initials": g.replace(".", "")} for f, g in p.names()]}
        if p.journal:
            item["journalInfo"] = {**item["journalInfo"], "yearOfPublication": p.pub_year,
                                   "journal": {**item["journalInfo"]["journal"], "title": p.journal,
                                               "isoabbreviation": p.journal, "medlineAbbreviation": p.journal}}
        return item

    def crossref_json(self, p: Paper) -> dict:
        item = copy.deepcopy(self.crossref_item)
        parts = [[p.created.year, p.created.month, p.created.day]]
        item.update(DOI=p.doi, title=[p.title], abstract=f"<jats:p>{p.abstract}</jats:p>", URL=f"https://doi.org/{p.doi}")
        for key in ("created", "indexed", "deposited"):
            item[key] = {"date-parts": parts, "date-time": f"{p.created.isoformat()}T00:00:00Z", "timestamp": 0}
        item["issued"] = {"date-parts": [[p.pub_year]] if p.year else parts}
        for key in ("published", "published-print", "published-online"):
            item.pop(key, None)
        if not p.abstract:
            item.pop("abstract", None)
        if p.authors:
            item.pop("subject", None)
            item["author"] = [{"given": g, "family": f, "sequence": "first" if i == 0 else "additional",
                               "affiliation": []} for i, (f, g) in enumerate(p.names())]
        if p.journal:
            item["container-title"] = [p.journal]
            item["short-container-title"] = [p.journal]
        item.pop("relation", None)
        item.pop("update-to", None)
        item.pop("updated-by", None)
        if p.retracted_by:   # the 2026 shape of a Retraction Watch update (see crossref/MANIFEST.tsv)
            item["updated-by"] = [{"DOI": p.retracted_by, "type": "retraction", "label": "Retraction",
                                   "source": "retraction-watch", "updated": {"date-parts": parts}}]
        return item

    def openalex_json(self, p: Paper) -> dict:
        item = copy.deepcopy(self.openalex_item)
        words = (p.abstract or "").split()
        item.update(id=f"https://openalex.org/{p.openalex_id}", doi=f"https://doi.org/{p.doi}", title=p.title,
                    display_name=p.title, publication_year=p.pub_year, publication_date=p.created.isoformat(),
                    created_date=p.created.isoformat(), is_retracted=False,
                    abstract_inverted_index={w: [i for i, x in enumerate(words) if x == w] for w in set(words)}
                    if words else None)
        if p.authors:
            item.update(keywords=[], topics=[], concepts=[], mesh=[], primary_topic=None)
            item["authorships"] = [{"author_position": "first" if i == 0 else "middle",
                                    "author": {"id": None, "display_name": f"{g} {f}".strip(), "orcid": None},
                                    "institutions": [], "countries": [], "is_corresponding": False,
                                    "raw_author_name": f"{g} {f}".strip(), "raw_affiliation_strings": []}
                                   for i, (f, g) in enumerate(p.names())]
        if p.journal:
            source = {**(item.get("primary_location") or {}).get("source", {}), "display_name": p.journal}
            item["primary_location"] = {**(item.get("primary_location") or {}), "source": source}
        item["ids"] = {"openalex": item["id"], "doi": item["doi"], "pmid": f"https://pubmed.ncbi.nlm.nih.gov/{p.pmid}"}
        item.update(referenced_works=[], cited_by_count=len(self.citing(p.doi or "")), type="article", language="en")
        return item

    def feed_xml(self, papers: list[Paper]) -> bytes:
        items = "".join(
            f"<item><title>{xml_escape(p.title)}</title><link>https://doi.org/{p.doi}</link><guid>https://doi.org/{p.doi}</guid>"
            f"<description>{xml_escape(p.abstract or '')}</description><dc:identifier>doi:{p.doi}</dc:identifier>"
            + "".join(f"<dc:creator>{xml_escape(a)}</dc:creator>" for a in p.authors) +
            f"<prism:doi>{p.doi}</prism:doi><pubDate>{format_datetime_date(p.created)}</pubDate></item>"
            for p in papers)
        items += "".join(f"<item><link>https://journal.example.org/toc/item-{i}</link>"
                         f"<guid>https://journal.example.org/toc/item-{i}</guid></item>"
                         for i in range(self.feed_link_only_items))
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                f'xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel><title>Replay Journal</title>'
                f"<link>http://127.0.0.1/</link><description>TOC</description>{items}</channel></rss>").encode()


def format_datetime_date(d: date) -> str:
    from datetime import UTC, datetime

    return format_datetime(datetime(d.year, d.month, d.day, tzinfo=UTC))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    if cursor in ("", "*"):
        return 0
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])


class _Handler(BaseHTTPRequestHandler):
    replay: Replay

    def log_message(self, fmt: str, *args: object) -> None:  # quiet
        pass

    def _params(self) -> dict[str, str]:
        q = parse_qs(urlsplit(self.path).query)
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            q.update(parse_qs(self.rfile.read(length).decode()))
        return {k: v[-1] for k, v in q.items()}

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        source = path.strip("/").split("/")[0]
        if source not in SOURCES:
            self._send(404, b"no such source", "text/plain")
            return
        r = self.replay
        with r.lock:
            r.requests[source] += 1
        if r.stall.get(source):
            time.sleep(r.stall[source])
        fault = r._take_fault(source)
        if fault is not None:
            self._send(fault.status, fault.body, fault.content_type)
            return
        params = self._params()
        handler = getattr(self, f"_{source}")
        handler(path, params)

    # -- per-source APIs ---------------------------------------------------------------------------------------
    def _pubmed(self, path: str, params: dict[str, str]) -> None:
        r = self.replay
        if path.endswith("esearch.fcgi"):
            m = re.search(r'"(\d{4})/(\d\d)/(\d\d)"\[crdt\] : "(\d{4})/(\d\d)/(\d\d)"\[crdt\]', params.get("term", ""))
            if not m:
                self._send(200, b"<eSearchResult><ERROR>term has no crdt window</ERROR></eSearchResult>", "text/xml")
                return
            y1, m1, d1, y2, m2, d2 = map(int, m.groups())
            found = r.in_window("pubmed", date(y1, m1, d1), date(y2, m2, d2))
            webenv = f"MCID_{len(r._webenvs)}"
            r._webenvs[webenv] = found
            body = (f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{len(found)}</Count>'
                    f"<RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
                    f"<IdList/><TranslationSet/><QueryTranslation>x</QueryTranslation></eSearchResult>")
            self._send(200, body.encode(), "text/xml; charset=UTF-8")
        elif path.endswith("efetch.fcgi") and "id" in params:  # by PMID (the chase's evidence watch)
            wanted = set(params["id"].split(","))
            with r.lock:
                found = [p for p in r.papers if "pubmed" in p.sources and p.pmid in wanted]
            self._send(200, r.pubmed_xml(found), "text/xml; charset=UTF-8")
        elif path.endswith("efetch.fcgi"):
            found = r._webenvs.get(params.get("WebEnv", ""), [])
            start, count = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            self._send(200, r.pubmed_xml(found[start:start + count]), "text/xml; charset=UTF-8")
        else:
            self._send(404, b"unknown E-utility", "text/plain")

    def _europepmc(self, path: str, params: dict[str, str]) -> None:
        if path.endswith(("/references", "/citations")):  # the chase: no citation network served here
            outer = ("referenceList", "reference") if path.endswith("references") else ("citationList", "citation")
            self._send(200, json.dumps({"version": "6.9", "hitCount": 0, outer[0]: {outer[1]: []}}).encode(),
                       "application/json")
            return
        pmids = set(re.findall(r"EXT_ID:(\d+)", params.get("query", "")))
        if pmids and "FIRST_IDATE" not in params.get("query", ""):  # look-up of known PMIDs
            with self.replay.lock:
                found = [p for p in self.replay.papers if "europepmc" in p.sources and p.pmid in pmids]
            body = {"version": "6.9", "hitCount": len(found), "resultList": {"result": [
                self.replay.epmc_json(p) for p in found]}}
            self._send(200, json.dumps(body).encode(), "application/json;charset=UTF-8")
            return
        m = re.search(r"FIRST_IDATE:\[(\S+) TO (\S+)\]", params.get("query", ""))
        if not m:
            self._send(400, json.dumps({"errMsg": "no FIRST_IDATE"}).encode(), "application/json")
            return
        found = self.replay.in_window("europepmc", date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2)))
        size, cursor = int(params.get("pageSize", 25)), params.get("cursorMark", "*")
        start = _offset(cursor)
        page = found[start:start + size]
        body: dict = {"version": "6.9", "hitCount": len(found), "request": {"queryString": params.get("query")},
                      "resultList": {"result": [self.replay.epmc_json(p) for p in page]}}
        if found:
            body["nextCursorMark"] = _cursor(start + size) if start + size < len(found) else cursor
        self._send(200, json.dumps(body).encode(), "application/json;charset=UTF-8")

    def _crossref(self, path: str, params: dict[str, str]) -> None:
        pairs = [f.split(":", 1) for f in params.get("filter", "").split(",") if ":" in f]
        dois = {v for k, v in pairs if k == "doi"}
        if dois:  # the chase's look-up of known DOIs (filter=doi:a,doi:b)
            items = [self.replay.crossref_json(p) for p in self.replay.by_doi("crossref", dois)]
            body = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                    "message": {"facets": {}, "total-results": len(items), "items-per-page": len(items),
                                "query": {"start-index": 0, "search-terms": None}, "items": items}}
            self._send(200, json.dumps(body).encode(), "application/json;charset=utf-8")
            return
        filt = dict(pairs)
        for kind in ("created", "index"):  # tables of contents ask by created date, free text by index date
            if f"from-{kind}-date" in filt:
                filt["from-index-date"] = filt[f"from-{kind}-date"]
                filt["until-index-date"] = filt[f"until-{kind}-date"]
        if "from-index-date" not in filt:
            self._send(400, json.dumps({"status": "failed", "message-type": "validation-failure",
                                        "message": [{"message": "missing filter"}]}).encode(), "application/json")
            return
        found = self.replay.in_window("crossref", date.fromisoformat(filt["from-index-date"]),
                                      date.fromisoformat(filt["until-index-date"]))
        rows, start = int(params.get("rows", 20)), _offset(params.get("cursor", "*"))
        page = found[start:start + rows]
        body = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                "message": {"facets": {}, "total-results": len(found), "items-per-page": rows,
                            "query": {"start-index": 0, "search-terms": params.get("query.bibliographic")},
                            "next-cursor": _cursor(start + rows),
                            "items": [self.replay.crossref_json(p) for p in page]}}
        self._send(200, json.dumps(body).encode(), "application/json;charset=utf-8",
                   {"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s"})

    def _openalex(self, path: str, params: dict[str, str]) -> None:
        if not params.get("api_key"):
            self._send(401, json.dumps({"error": "Invalid API key", "message": "An API key is required"}).encode(),
                       "application/json")
            return
        filt = dict(f.split(":", 1) for f in params.get("filter", "").split(",") if ":" in f)
        if "doi" in filt or "cites" in filt:  # the chase: look-up of known DOIs, works citing a W-id
            if "doi" in filt:
                found = self.replay.by_doi("openalex", set(filt["doi"].split("|")))
            else:
                with self.replay.lock:
                    cited = next((p.doi for p in self.replay.papers if p.openalex_id == filt["cites"]), "")
                found = self.replay.citing(cited or "")
            body = {"meta": {"count": len(found), "per_page": len(found), "next_cursor": None},
                    "results": [self.replay.openalex_json(p) for p in found]}
            self._send(200, json.dumps(body).encode(), "application/json")
            return
        lo = filt.get("from_created_date") or filt.get("from_publication_date")
        hi = filt.get("to_created_date") or filt.get("to_publication_date")
        found = self.replay.in_window("openalex", date.fromisoformat(lo), date.fromisoformat(hi))
        per, start = int(params.get("per_page", 25)), _offset(params.get("cursor", "*"))
        page = found[start:start + per]
        nxt = _cursor(start + per) if start + per < len(found) else None
        body = {"meta": {"count": len(found), "db_response_time_ms": 5, "page": None, "per_page": per,
                         "next_cursor": nxt, "groups_count": None},
                "results": [self.replay.openalex_json(p) for p in page], "group_by": []}
        self._send(200, json.dumps(body).encode(), "application/json")

    def _feeds(self, path: str, params: dict[str, str]) -> None:
        r = self.replay
        if self.headers.get("If-None-Match") == r.feed_etag:
            self.send_response(304)
            self.send_header("ETag", r.feed_etag)
            self.end_headers()
            return
        with r.lock:
            papers = [p for p in r.papers if "feeds" in p.sources]
        self._send(200, r.feed_xml(papers[-50:]), "application/rss+xml", {"ETag": r.feed_etag})


class ReplayServer:
    """Run :class:`Replay` on a free loopback port in a daemon thread."""

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.replay = Replay(fixtures)
        handler = type("Handler", (_Handler,), {"replay": self.replay})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Settings that point every connector here."""
        return {
            "LIVEREVIEW_PUBMED_BASE_URL": f"{self.url}/pubmed/",
            "LIVEREVIEW_EUROPEPMC_BASE_URL": f"{self.url}/europepmc/",
            "LIVEREVIEW_CROSSREF_BASE_URL": f"{self.url}/crossref/",
            "LIVEREVIEW_OPENALEX_BASE_URL": f"{self.url}/openalex/",
            "LIVEREVIEW_OPENALEX_API_KEY": "test-key",
            "LIVEREVIEW_NCBI_API_KEY": "test-ncbi-key",
            "LIVEREVIEW_CONTACT_EMAIL": "tests@example.org",
            "LIVEREVIEW_HTTP_RETRIES": "2",
            "LIVEREVIEW_HTTP_BACKOFF_MAX": "0.2",
            "LIVEREVIEW_HTTP_TIMEOUT": "5",
            "LIVEREVIEW_TASK_RETRIES": "1",
            "LIVEREVIEW_TASK_RETRY_DELAY": "0",
        }

    def protocol_text(self, bundled: str) -> str:
        """The bundled protocol with its feeds pointed here and backfills in one slice (fast tests)."""
        head, _, rest = bundled.partition("[[sources.feeds.feeds]]")
        tail = rest[rest.index("# --- Eligibility"):]
        feeds = (f'[[sources.feeds.feeds]]\njournal = "Replay Journal"\nissn = "0000-0000"\n'
                 f'url = "{self.url}/feeds/replay.rss"\n\n')
        text = head + feeds + tail
        return text.replace('overlap_days = 7\n', 'overlap_days = 7\nbackfill_slice_days = 20000\n')

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
