"""How many HTTP requests do PubMed and Europe PMC searches cost? Replayed, no network.

Run: ``python benchmarks/pubmed_requests.py``. Exits 1 if any case needs more requests than its bound.

PubMed: a fake E-utilities server (``responses`` callbacks) holds synthetic records keyed by create
date; efetch batches are built from real article XML (tests/fixtures/pubmed) with fresh PMIDs.
Cases: a backfill 1995-01-01..today whose total forces date slicing (esearch cap 10,000), and weekly
incremental windows with N new records. Bound for a window under the cap: ``2 + ceil(N / batch)``
(1 esearch + the efetch batches + one spare). A sliced backfill also pays one esearch per examined
window and at most one partial batch per slice; that overhead is printed and allowed for.

Europe PMC: a fake ``search`` endpoint pages synthetic core results by cursor the way Solr does (the
page after the last one comes back empty with the same cursor). Bound: ``ceil(N / pageSize) + 1``.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

from livereview.connectors import europepmc, pubmed
from livereview.connectors.base import Window
from livereview.connectors.europepmc import EuropePMCConnector
from livereview.connectors.pubmed import PubMedConnector, parse
from livereview.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
PUBMED_BASE = "https://eutils.bench/entrez/eutils/"
EPMC_BASE = "https://epmc.bench/europepmc/webservices/rest/"
BATCH = 250
CAP = 10_000
PAGE_SIZE = 1000
BACKFILL = 15_000  # over the cap: the backfill must be sliced
TEMPLATES = ["efetch_1234567_1975_no_abstract.xml", "efetch_38048813_german_vernacular_no_abstract.xml",
             "efetch_36987902_norwegian_vernacular_title.xml", "efetch_35649368_erratum_in.xml",
             "efetch_38833988_published_erratum.xml"]
_CRDT = re.compile(r'"(\d{4})/(\d\d)/(\d\d)"\[crdt\]')
_PMID = re.compile(r'<PMID Version="1">\d+</PMID>')


@dataclass
class Case:
    source: str
    name: str
    n: int
    requests: int
    bound: int
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.requests <= self.bound


# -- PubMed ------------------------------------------------------------------------------------------------
class FakeEutils:
    """esearch counts records by create date; efetch serves the history slice as a PubmedArticleSet."""

    def __init__(self, per_day: dict[date, int]) -> None:
        self.days = sorted(per_day)
        self.per_day = per_day
        self.templates = [parse((FIXTURES / "pubmed" / name).read_bytes())[0].raw for name in TEMPLATES]
        self.esearches = 0

    def count(self, start: date, end: date) -> int:
        return sum(n for day, n in self.per_day.items() if start <= day <= end)

    def _pmids(self, start: date, end: date, offset: int, size: int) -> list[int]:
        """PMIDs of the slice: day d's records are numbered from a per-day base, newest first like PubMed."""
        out: list[int] = []
        for day in reversed(self.days):
            if not start <= day <= end:
                continue
            base = 10_000_000 + (day - date(1990, 1, 1)).days * 1000
            out.extend(base + i for i in range(self.per_day[day]))
            if len(out) >= offset + size:
                break
        return out[offset:offset + size]

    def esearch(self, request) -> tuple[int, dict, str]:
        self.esearches += 1
        query = parse_qs(urlsplit(request.url).query) if request.method == "GET" else parse_qs(request.body)
        start, end = (date(int(y), int(m), int(d)) for y, m, d in _CRDT.findall(query["term"][0]))
        body = (f"<eSearchResult><Count>{self.count(start, end)}</Count><RetMax>0</RetMax><RetStart>0</RetStart>"
                f"<QueryKey>1</QueryKey><WebEnv>{start.isoformat()}_{end.isoformat()}</WebEnv><IdList/>"
                f"</eSearchResult>")
        return 200, {}, body

    def efetch(self, request) -> tuple[int, dict, str]:
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        start, end = (date.fromisoformat(d) for d in q["WebEnv"].split("_"))
        pmids = self._pmids(start, end, int(q["retstart"]), int(q["retmax"]))
        articles = [_PMID.sub(f'<PMID Version="1">{pmid}</PMID>', self.templates[pmid % len(self.templates)], 1)
                    for pmid in pmids]
        return 200, {}, "<PubmedArticleSet>" + "".join(articles) + "</PubmedArticleSet>"


def pubmed_case(name: str, window: Window, per_day: dict[date, int]) -> Case:
    fake = FakeEutils(per_day)
    settings = Settings(pubmed_base_url=PUBMED_BASE)
    connector = PubMedConnector(settings, client=pubmed.make_client(settings, sleep=_no_sleep),
                                batch_size=BATCH, result_cap=CAP)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, PUBMED_BASE + "esearch.fcgi", callback=fake.esearch)
        mock.add_callback(responses.POST, PUBMED_BASE + "esearch.fcgi", callback=fake.esearch)
        mock.add_callback(responses.GET, PUBMED_BASE + "efetch.fcgi", callback=fake.efetch)
        result = connector.search("coaching[tiab] OR mentoring[tiab]", window)
    n = sum(per_day.values())
    if len(result.records) != n or len({r.pmid for r in result.records}) != n:
        raise SystemExit(f"{name}: got {len(result.records)} records, expected {n}")
    bound = 2 + math.ceil(n / BATCH)
    slices = len(result.queries) - sum(1 for _ in _over_cap(result.queries, fake))
    note = ""
    if len(result.queries) > 1:  # sliced: one esearch per examined window, <= one partial batch per slice
        allowance = (len(result.queries) - 1) + (slices - 1)
        note = (f"sliced: {len(result.queries)} esearch for {slices} slices; "
                f"allowance {allowance} over {bound}")
        bound += allowance
    return Case("pubmed", name, n, result.stats.requests, bound, note)


def _over_cap(terms: list[str], fake: FakeEutils):
    for term in terms:
        start, end = (date(int(y), int(m), int(d)) for y, m, d in _CRDT.findall(term))
        if fake.count(start, end) > CAP:
            yield term


def backfill_days(start: date, end: date, total: int, seed: int = 7) -> dict[date, int]:
    """``total`` records over the days, growing with time like the literature does."""
    rng = random.Random(seed)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weights = [(1 + 3 * i / len(days)) ** 2 for i in range(len(days))]
    counts = dict.fromkeys(days, 0)
    for day in rng.choices(days, weights=weights, k=total):
        counts[day] += 1
    return counts


def week_days(end: date, total: int) -> dict[date, int]:
    days = [end - timedelta(days=i) for i in range(7)]
    return {day: total // 7 + (1 if i < total % 7 else 0) for i, day in enumerate(days)}


# -- Europe PMC ---------------------------------------------------------------------------------------------
class FakeEuropePMC:
    """Cursor paging like Solr: the call after the last page returns no results and the same cursor."""

    def __init__(self, total: int) -> None:
        core = json.loads((FIXTURES / "europepmc" / "search_cancer_core.json").read_bytes())
        self.items = core["resultList"]["result"]
        self.total = total

    def search(self, request) -> tuple[int, dict, str]:
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        size, cursor = int(q["pageSize"]), q["cursorMark"]
        offset = 0 if cursor == "*" else int(cursor[1:])
        results = []
        for i in range(offset, min(offset + size, self.total)):
            item = dict(self.items[i % len(self.items)])
            item["id"] = item["pmid"] = str(60_000_000 + i)
            results.append(item)
        data: dict = {"version": "6.9", "hitCount": self.total, "resultList": {"result": results}}
        if self.total:
            data["nextCursorMark"] = f"c{offset + len(results)}"
        return 200, {}, json.dumps(data)


def europepmc_case(name: str, total: int, window: Window) -> Case:
    fake = FakeEuropePMC(total)
    settings = Settings(europepmc_base_url=EPMC_BASE)
    connector = EuropePMCConnector(settings, client=europepmc.make_client(settings, sleep=_no_sleep),
                                   page_size=PAGE_SIZE)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, EPMC_BASE + "search", callback=fake.search)
        result = connector.search("TITLE_ABS:coaching", window)
    if len(result.records) != total:
        raise SystemExit(f"{name}: got {len(result.records)} records, expected {total}")
    return Case("europepmc", name, total, result.stats.requests, math.ceil(total / PAGE_SIZE) + 1)


def _no_sleep(_seconds: float) -> None:
    """The benchmark counts requests; the rate limiter's waits are skipped."""


def run(cases: list[Callable[[], Case]]) -> list[Case]:
    done = []
    for make in cases:
        started = time.perf_counter()
        case = make()
        seconds = time.perf_counter() - started
        flag = "ok" if case.ok else "OVER"
        print(f"{case.source:<10} {case.name:<30} N={case.n:>6}  requests={case.requests:>4}  "
              f"bound={case.bound:>4}  {flag:<4} {seconds:5.1f}s  {case.note}")
        done.append(case)
    return done


def main() -> int:
    today = date.today()
    backfill = Window(date(1995, 1, 1), today)
    week = Window(today - timedelta(days=6), today)
    print(f"batch={BATCH} cap={CAP} pageSize={PAGE_SIZE}; bound = 2 + ceil(N/batch) (PubMed), "
          f"ceil(N/pageSize) + 1 (Europe PMC)")
    cases: list[Callable[[], Case]] = [
        lambda: pubmed_case("backfill 1995..today", backfill, backfill_days(backfill.start, today, BACKFILL)),
        *[(lambda n=n: pubmed_case(f"weekly {week}", week, week_days(today, n))) for n in (0, 37, 450, 1200)],
        *[(lambda n=n: europepmc_case(f"weekly {week}", n, week)) for n in (0, 37, 450, 1000, 1200)],
        lambda: europepmc_case("backfill 1995..today", BACKFILL, backfill),
    ]
    results = run(cases)
    over = [c for c in results if not c.ok]
    if over:
        print(f"FAIL: {len(over)} case(s) over the bound", file=sys.stderr)
        return 1
    print("all cases within their bounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
