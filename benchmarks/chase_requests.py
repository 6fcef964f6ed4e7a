"""Requests per monthly chase for the 50 included studies, replayed (no network).

Run: ``python benchmarks/chase_requests.py``. Prints the measured requests per API for:

1. the first chase on a fresh store (every reference and citing work fetched once);
2. the next month, when 5 studies gained citations (only those are asked for citing works again; Europe PMC's
   lists are fetched once now that OpenAlex gave the studies' PMIDs);
3. a rerun the same day (nothing due: the evidence watch only);
4. the month after (steady state), 5 studies newly cited again.

The APIs are ``responses`` callbacks that serve the recorded real item shapes of ``tests/fixtures`` with
synthetic identifiers. The citation graph is a stated model, not measured data: every included study with a
DOI is in OpenAlex with 40 references and ``20 + 10·i`` citing works (i = 0…36: 20 to 380, 7,400 in all),
Crossref has its record with 40 deposited references, PubMed and Europe PMC know it by the PMID OpenAlex gives;
Europe PMC lists 40 references and the same citing count. Studies without a DOI (books) are chased only
where an identifier exists. The OpenAlex budget is the protocol's (1,000 requests).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from chase_replay import api_settings, clients  # noqa: E402

from livereview.flows.chase import execute_chase  # noqa: E402
from livereview.flows.init_store import init_store  # noqa: E402
from livereview.protocols.model import load_protocol  # noqa: E402
from livereview.settings import BUNDLED_PROTOCOL  # noqa: E402
from livereview.store.db import make_engine  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
OA, CR, EP, PM = "https://api.openalex.test/", "https://api.crossref.test/", "https://epmc.test/rest/", "https://eutils.test/"
TEMPLATE = json.loads((FIX / "openalex" / "work_W2741809807_full_2025.json").read_text())
CR_TEMPLATE = json.loads((FIX / "crossref" / "work_pone.0033693_2017.json").read_text())
REFS, BUMPED = 40, 5


class Graph:
    def __init__(self, dois: list[str]) -> None:
        self.dois = dois
        self.cited = {d: 20 + 10 * i for i, d in enumerate(dois)}
        self.calls: Counter[str] = Counter()

    def wid(self, doi: str) -> str:
        return f"W8{self.dois.index(doi):09d}"

    def pmid(self, doi: str) -> str:
        return str(30_000_000 + self.dois.index(doi))

    def work(self, wid: str, doi: str | None = None, refs: list[str] | None = None, cited: int = 0,
             pmid: str | None = None) -> dict:
        w = copy.deepcopy(TEMPLATE)
        w.update(id=f"https://openalex.org/{wid}", doi=f"https://doi.org/{doi}" if doi else None,
                 title=f"Work {wid} on sleep and physical activity", display_name=f"Work {wid}",
                 ids={"openalex": f"https://openalex.org/{wid}", **({"pmid": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}"}
                                                                    if pmid else {})},
                 referenced_works=[f"https://openalex.org/{r}" for r in (refs or [])], cited_by_count=cited,
                 type="article", language="en")
        return w

    def listing(self, works: list[dict], nxt: str | None = None) -> str:
        return json.dumps({"meta": {"count": len(works), "next_cursor": nxt}, "results": works})

    def openalex(self, request):
        self.calls["openalex"] += 1
        q = parse_qs(urlsplit(request.url).query)
        flt = q["filter"][0]
        if flt.startswith("doi:"):
            dois = [d for d in flt[4:].split("|") if d in self.cited]
            return 200, {}, self.listing([self.work(self.wid(d), d, [f"{self.wid(d)}R{k}" for k in range(REFS)],
                                                    self.cited[d], self.pmid(d)) for d in dois])
        if flt.startswith("openalex_id:"):
            return 200, {}, self.listing([self.work(w) for w in flt.split(":", 1)[1].split("|")])
        m = re.fullmatch(r"cites:(W\d+)", flt)
        if m:
            doi = self.dois[int(m[1][2:])]
            per = int(q["per_page"][0])
            start = 0 if q["cursor"][0] == "*" else int(q["cursor"][0])
            n = self.cited[doi]
            page = [self.work(f"{m[1]}C{k}") for k in range(start, min(n, start + per))]
            return 200, {}, self.listing(page, str(start + per) if start + per < n else None)
        return 400, {}, "{}"

    def crossref(self, request):
        self.calls["crossref"] += 1
        flt = parse_qs(urlsplit(request.url).query)["filter"][0]
        items = []
        for doi in (f.split(":", 1)[1] for f in flt.split(",")):
            item = copy.deepcopy(CR_TEMPLATE["message"])
            item.update(DOI=doi, reference=[{"key": f"r{k}", "DOI": f"10.9/{doi}/{k}",
                                             "article-title": "Sleep in adolescents"} for k in range(REFS)])
            items.append(item)
        return 200, {}, json.dumps({"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                                    "message": {"items": items, "total-results": len(items)}})

    def epmc_search(self, request):
        self.calls["europepmc"] += 1
        pmids = re.findall(r"EXT_ID:(\d+)", parse_qs(urlsplit(request.url).query)["query"][0])
        results = [{"id": p, "source": "MED", "pmid": p, "title": "Included", "citedByCount":
                    self.cited[self.dois[int(p) - 30_000_000]], "hasReferences": "Y"} for p in pmids]
        return 200, {}, json.dumps({"hitCount": len(results), "resultList": {"result": results}})

    def epmc_links(self, request):
        self.calls["europepmc"] += 1
        kind = "references" if "/references" in request.url else "citations"
        pmid = request.url.split("/MED/", 1)[1].split("/", 1)[0]
        n = REFS if kind == "references" else self.cited[self.dois[int(pmid) - 30_000_000]]
        items = [{"id": str(40_000_000 + k), "source": "MED", "title": "Sleep in adolescents", "pubYear": 2020}
                 for k in range(n)]
        outer, inner = ("referenceList", "reference") if kind == "references" else ("citationList", "citation")
        return 200, {}, json.dumps({"hitCount": n, outer: {inner: items}})

    def pubmed(self, request):
        self.calls["pubmed"] += 1
        return 200, {}, (FIX / "pubmed" / "efetch_37909814_empty_articleset.xml").read_bytes()


def run(graph: Graph, settings, protocol, engine, today: date) -> dict:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, OA + "works", callback=graph.openalex)
        rsps.add_callback(responses.GET, CR + "works", callback=graph.crossref)
        rsps.add_callback(responses.GET, EP + "search", callback=graph.epmc_search)
        rsps.add_callback(responses.GET, re.compile(re.escape(EP) + r"MED/\d+/(references|citations)"),
                          callback=graph.epmc_links)
        rsps.add_callback(responses.POST, PM + "efetch.fcgi", callback=graph.pubmed)
        return execute_chase(settings, protocol, engine, clients=clients(settings), today=today)


def main() -> int:
    protocol = load_protocol(BUNDLED_PROTOCOL)
    with tempfile.TemporaryDirectory() as tmp:
        settings = api_settings(Path(tmp))
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        init_store(engine, protocol)
        from sqlalchemy import select

        from livereview.store.db import reading
        from livereview.store.models import Work

        with reading(engine) as s:
            dois = sorted(d for d in s.scalars(select(Work.doi).where(Work.doi.is_not(None))))
        graph = Graph(dois)
        rows = []
        for label, today, bump in (("first chase (cold store)", date(2026, 12, 1), False),
                                   (f"month 2: {BUMPED} studies newly cited; PMIDs now known", date(2027, 1, 1), True),
                                   ("month 2 rerun the same day", date(2027, 1, 1), False),
                                   (f"month 3 (steady): {BUMPED} studies newly cited", date(2027, 2, 1), True)):
            if bump:
                for d in dois[:BUMPED]:
                    graph.cited[d] += 3
            summary = run(graph, settings, protocol, engine, today)
            rows.append((label, summary))
        print(f"included studies: {rows[0][1]['studies']} ({len(dois)} with a DOI); model: {REFS} references each, "
              f"{sum(20 + 10 * i for i in range(len(dois)))} citing works in all; OpenAlex budget "
              f"{protocol.chase.openalex_budget}")
        print(f"{'run':<44} {'openalex':>8} {'crossref':>8} {'europepmc':>9} {'pubmed':>6} {'total':>6}  chased")
        for label, s in rows:
            r = s["requests"]
            print(f"{label:<44} {r['openalex']:>8} {r['crossref']:>8} {r['europepmc']:>9} {r['pubmed']:>6} "
                  f"{sum(r.values()):>6}  {s['chased']}/{s['studies']} (deferred {s['deferred_budget']})")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
