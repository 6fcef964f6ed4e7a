"""Benchmark: the web app's page times on a big store (100,000 works, 50,000 decisions), SQLite and PostgreSQL.

Fills a fresh store with bulk inserts (works, one source record each, decisions on a quarter of
the works by two other reviewers, statuses to match), serves the app with uvicorn on a loopback
port and times real HTTP requests from one signed-in reviewer:

* queue page: ``/queue`` (every open record, newest first) and ``/queue?mine=1`` (needs my decision);
* record lists: ``/records`` (all, a random page of the first 50), ``/records/excluded``, ``/records/conflicts``,
  ``/records/maybe`` and ``/records/mine`` in turn (one list per request), each at 25 a page;
* search: ``/search?q=…`` with one or two of the benchmark's words (each is in most records: the index's worst
  case), a word's prefix, a word plus a year filter, or an exact DOI / PMID, in turn;
* record page: ``/works/{id}`` for random works;
* decision POST: include/exclude/maybe on distinct queued works (the redirect is not followed).

p50 and p95 over 200 requests each (after 10 warm-up requests); target p95 < 150 ms. Exits 1 when over.

    python benchmarks/web_pages.py [--works 100000] [--decisions 50000] [--requests 200]
                                   [--postgres postgresql://postgres@127.0.0.1:5432/test]

**Load mode** (``--load 20 --seconds 60 [--backend sqlite|postgresql]``): the app runs in its own process (uvicorn
on loopback, background retraining on as in production unless ``--no-retrain``); 20 reviewers, each with its own
client in its own thread, sign in and post decisions (with their CSRF token, as the browser does) on their own
open records as fast as the app answers (or after ``--think`` seconds of reading each, ``--jitter 0.5``: between
half and one and a half times that), for 60 s, while a
bystander loads the sign-in page signed out and the queue, a record and the dashboard signed in (first alone,
for a quiet baseline, then under the load). Afterwards the answered decisions are compared with the rows stored.
Targets: no errors, every answered decision stored exactly once and nothing stored that was not answered,
decision p95 < 150 ms, the bystander's p95 under load < 150 ms.
Default store for load mode: 20,000 works, 10,000 decisions.

PostgreSQL runs in a private schema that is dropped afterwards (default URL: LIVEREVIEW_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from pgschema import private_schema  # noqa: E402
from webharness import PASSWORD, add_user, serve, serve_process, web_settings  # noqa: E402
from webload import browse, reconcile, run_load  # noqa: E402

from livereview.protocols.model import load_protocol  # noqa: E402
from livereview.settings import BUNDLED_PROTOCOL  # noqa: E402
from livereview.store import screening as sc  # noqa: E402
from livereview.store.db import make_engine, migrate  # noqa: E402
from livereview.store.models import Decision, RankingRun, RankingScore, SourceRecord, Work  # noqa: E402
from livereview.web.app import create_app  # noqa: E402

WORDS = ["homework", "between-session", "assignments", "therapy", "coaching", "counselling", "adherence", "outcomes",
         "clients", "randomised", "trial", "depression", "anxiety", "practice", "engagement", "skills",
         "psychotherapy", "compliance"]
SOURCES = ("pubmed", "europepmc", "crossref", "openalex", "wos")
TARGET_MS = 150.0


def fill(engine, n_works: int, n_decisions: int, seed: int = 7) -> float:
    """Bulk-insert the store; returns seconds taken."""
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    decided = n_decisions // 2  # two reviewers each on the first `decided` works
    works, recs, decs = [], [], []
    for i in range(1, n_works + 1):
        title = " ".join(rnd.choice(WORDS) for _ in range(10)).capitalize() + f" ({i})"
        abstract = " ".join(rnd.choice(WORDS) for _ in range(120)) + "."
        status = sc.QUEUED
        if i <= decided:
            a, b = rnd.choice(("include", "exclude")), rnd.choice(("include", "exclude", "include"))
            status = sc.CONFLICT if a != b else (sc.AWAITING_FULL_TEXT if a == "include" else sc.EXCLUDED)
            at = start + timedelta(minutes=i)
            decs += [{"work_id": i, "reviewer": r, "stage": "title-abstract", "decision": v, "reason": None,
                      "note": None, "is_final": False, "origin": "web", "decided_at": at}
                     for r, v in (("rev1", a), ("rev2", b))]
        created = start + timedelta(seconds=i * 300)
        works.append({"id": i, "doi": f"10.9999/bench.{i}", "pmid": str(30000000 + i), "title": title,
                      "abstract": abstract, "authors": [f"Author{i % 997}, A", "Second, B"], "year": 2000 + i % 26,
                      "journal": "Journal of Benchmarks", "issn": [], "publication_types": [], "keywords": [],
                      "is_retracted": False, "has_correction": False, "is_preprint": False, "origin": "search",
                      "status": status, "created_at": created, "updated_at": created, "relevance": -1.0})
        recs.append({"work_id": i, "source": SOURCES[i % len(SOURCES)], "source_id": str(30000000 + i),
                     "query_name": "core", "content_hash": f"{i:064x}", "doi": f"10.9999/bench.{i}",
                     "pmid": str(30000000 + i), "title": title, "year": 2000 + i % 26, "classification": "new",
                     "record": {"source": SOURCES[i % len(SOURCES)], "title": title}, "fetched_at": created})
    # the relevance ranker's persisted scores for every open work (the queue's default order reads them)
    scores = [{"work_id": w["id"], "ranking_run_id": 1, "score": rnd.random(), "why": ["homework", "coaching"]}
              for w in works if w["status"] in sc.OPEN_STATUSES]
    for row in scores:  # works.relevance mirrors the latest score (the queue's sort key)
        works[row["work_id"] - 1]["relevance"] = row["score"]
    with engine.begin() as conn:
        conn.execute(insert(RankingRun.__table__), [{"id": 1, "method": "model", "n_included": 50, "n_excluded": 500,
                                                     "n_scored": len(scores), "seconds": 0.0, "trained_at": start}])
        for table, rows in ((Work.__table__, works), (SourceRecord.__table__, recs), (Decision.__table__, decs),
                            (RankingScore.__table__, scores)):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[k:k + 5000])
        if engine.dialect.name == "postgresql":
            for table in ("works", "source_records", "decisions", "ranking_runs"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    # PostgreSQL: the statistics and visibility map autovacuum keeps (index-only counts). SQLite: the app refreshes
    # its planner statistics when it starts (and after each import and training), as in production.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(base: str, n: int, n_works: int, decided: int) -> dict[str, list[float]]:
    s = requests.Session()
    page = s.get(f"{base}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{base}/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token, "next": "/"},
               allow_redirects=False)
    assert r.status_code == 303, r.text[:200]
    rnd = random.Random(11)
    times: dict[str, list[float]] = {"queue": [], "queue mine": [], "record lists": [], "search": [], "record": [],
                                     "decision POST": []}

    def timed(name: str, fn) -> requests.Response:  # noqa: ANN001
        t = time.perf_counter()
        resp = fn()
        times[name].append((time.perf_counter() - t) * 1000)
        return resp

    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/queue").text).group(1)
    queued = list(range(decided + 1, n_works + 1))
    rnd.shuffle(queued)
    for _ in range(10):
        s.get(f"{base}/queue")
        s.get(f"{base}/works/{rnd.randint(1, n_works)}")
    for i in range(n):
        page_no = 1 if i % 4 else rnd.randint(1, 50)
        resp = timed("queue", lambda p=page_no: s.get(f"{base}/queue?page={p}"))
        assert resp.status_code == 200
        resp = timed("queue mine", lambda: s.get(f"{base}/queue?mine=1"))
        assert resp.status_code == 200
        lists = (f"records?page={page_no}", "records/excluded", "records/conflicts", "records/maybe", "records/mine",
                 "records/excluded?order=year")
        resp = timed("record lists", lambda p=lists[i % len(lists)]: s.get(f"{base}/{p}"))
        assert resp.status_code == 200
        n = rnd.randint(1, n_works)
        queries = (rnd.choice(WORDS), f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}", rnd.choice(WORDS)[:4],
                   f"{rnd.choice(WORDS)}&year_from=2020", f"10.9999/bench.{n}", str(30000000 + n),
                   f"{rnd.choice(WORDS)} ({n})")
        resp = timed("search", lambda q=queries[i % len(queries)]: s.get(f"{base}/search?q={q}"))
        assert resp.status_code == 200 and "work-row" in resp.text, resp.text[:300]
        wid = rnd.randint(1, n_works)
        resp = timed("record", lambda w=wid: s.get(f"{base}/works/{w}?mine=1"))
        assert resp.status_code == 200, resp.status_code
        wid = queued[i]
        vote = ("include", "exclude", "maybe")[i % 3]
        resp = timed("decision POST", lambda w=wid, v=vote: s.post(
            f"{base}/works/{w}/decision", data={"stage": "title-abstract", "decision": v, "csrf_token": token,
                                                "back": "mine=1"}, allow_redirects=False))
        assert resp.status_code == 303, (resp.status_code, resp.text[:300])
    return times


def bench(label: str, url: str, args: argparse.Namespace) -> bool:
    engine = make_engine(url)
    migrate(engine)
    secs = fill(engine, args.works, args.decisions)
    add_user(engine, "ann")
    # background retraining off: this times the pages alone (a training of 100,000 open works is timed by
    # benchmarks/ranking_speed.py); the app serves with it on
    app = create_app(web_settings(url), engine=engine, protocol=load_protocol(BUNDLED_PROTOCOL), retrain=False)
    with serve(app, engine) as server:
        times = measure(server.url, args.requests, args.works, args.decisions // 2)
    engine.dispose()
    print(f"\n{label}: {args.works:,} works, {args.decisions:,} decisions (filled in {secs:.1f} s); "
          f"{args.requests} requests each over loopback HTTP")
    print(f"  {'page':16} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    ok = True
    for name, values in times.items():
        p95 = pct(values, 95)
        ok &= p95 < TARGET_MS
        print(f"  {name:16} {statistics.median(values):8.1f} {p95:8.1f} {max(values):8.1f}"
              + ("" if p95 < TARGET_MS else f"   over the {TARGET_MS:.0f} ms target"))
    return ok


def _row(name: str, values: list[float], extra: str = "") -> str:
    if not values:
        return f"  {name:44} {'-':>8} {'-':>8} {'-':>8}   (no answers){extra}"
    return (f"  {name:44} {statistics.median(values):8.1f} {pct(values, 95):8.1f} {max(values):8.1f}"
            f"   n={len(values)}{extra}")


def load_bench(label: str, url: str, args: argparse.Namespace) -> bool:
    """Many reviewers deciding at once (see the module's docstring); prints the figures, True when on target."""
    engine = make_engine(url)
    migrate(engine)
    secs = fill(engine, args.works, args.decisions)
    names = [f"load{k:02d}" for k in range(1, args.load + 1)]
    for name in [*names, "bystander"]:
        add_user(engine, name)
    decided = args.decisions // 2
    queued = list(range(decided + 1, args.works + 1))
    random.Random(5).shuffle(queued)
    assignments = {name: queued[k::len(names)] for k, name in enumerate(names)}
    browse_ids = random.Random(6).sample(range(1, args.works + 1), 200)
    engine.dispose()
    with serve_process(url, retrain=args.retrain) as base:
        quiet: list = []
        browse(base, "bystander", time.monotonic() + min(10.0, args.seconds / 4), args.timeout, quiet,
               work_ids=browse_ids)
        t0 = time.perf_counter()
        result = run_load(base, assignments, args.seconds, timeout=args.timeout, bystander="bystander",
                          browse_ids=browse_ids, think=args.think, jitter=args.jitter)
        wall = time.perf_counter() - t0
        time.sleep(1.0)   # let a request the clients gave up on finish on the server before counting rows
    rec = reconcile(engine, result)
    engine.dispose()
    answered = [o.ms for o in result.answered]
    failed = [o for o in result.decisions if o.status != 303]
    kinds: dict[str, int] = {}
    for o in result.errors:
        key = f"{o.kind}: {o.error or o.status}"
        kinds[key] = kinds.get(key, 0) + 1
    p95 = pct(answered, 95) if answered else float("inf")
    print(f"\n{label} load: {args.load} reviewers deciding for {args.seconds:.0f} s ({args.works:,} works, "
          f"{args.decisions:,} decisions, filled in {secs:.1f} s; background retraining "
          f"{'on' if args.retrain else 'off'}; think time {args.think:g} s ± {args.jitter:.0%}; "
          f"client timeout {args.timeout:.0f} s; wall {wall:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  decisions: {len(result.decisions)} sent, {len(answered)} answered, {len(failed)} not answered; "
          f"{len(answered) / args.seconds:.1f} answered/s")
    print(f"  {'requests':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(_row("decision POST (answered)", answered))
    print(_row("reviewers' sign-in POST", [o.ms for o in result.signins if o.kind == "sign-in POST"]))
    by_kind_quiet: dict[str, list[float]] = {}
    by_kind_load: dict[str, list[float]] = {}
    for src, dst in ((quiet, by_kind_quiet), (result.pages, by_kind_load)):
        for o in src:
            dst.setdefault(o.kind, []).append(o.ms)
    for kind in sorted(by_kind_load.keys() | by_kind_quiet.keys()):
        print(_row(f"bystander {kind}, quiet", by_kind_quiet.get(kind, [])))
        print(_row(f"bystander {kind}, under load", by_kind_load.get(kind, [])))
    print(f"  errors: {len(result.errors)}" + ("" if not kinds else " (" + "; ".join(
        f"{k} ×{n}" for k, n in sorted(kinds.items())) + ")"))
    print(f"  stored: {rec.stored} decision rows for {rec.answered} answered decisions; stored but never answered: "
          f"{len(rec.stored_not_answered)}; answered but not stored: {len(rec.answered_not_stored)}; stored more "
          f"than once: {len(rec.stored_twice)}")
    pages_p95 = pct([o.ms for o in result.pages], 95) if result.pages else float("inf")
    ok = not result.errors and rec.exact and p95 < TARGET_MS and pages_p95 < TARGET_MS
    print(f"  target (0 errors, answered == stored exactly once, decision p95 < {TARGET_MS:.0f} ms, bystander p95 "
          f"< {TARGET_MS:.0f} ms): {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--works", type=int, default=None, help="default 100,000 (load mode: 20,000)")
    ap.add_argument("--decisions", type=int, default=None, help="default 50,000 (load mode: 10,000)")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--postgres", default=os.environ.get("LIVEREVIEW_TEST_POSTGRES_URL"),
                    help="PostgreSQL server URL (a private schema is used and dropped); skipped when unset")
    ap.add_argument("--only", "--backend", dest="only", choices=("sqlite", "postgresql"))
    ap.add_argument("--load", type=int, default=0, metavar="REVIEWERS",
                    help="load mode: this many reviewers deciding at once (see above)")
    ap.add_argument("--seconds", type=float, default=60.0, help="load mode: how long the reviewers decide")
    ap.add_argument("--timeout", type=float, default=90.0, help="load mode: the clients' timeout per request")
    ap.add_argument("--think", type=float, default=0.0,
                    help="load mode: seconds a reviewer reads before the next decision (0: as fast as answered)")
    ap.add_argument("--jitter", type=float, default=0.0,
                    help="load mode: each reading time drawn between (1 - J) and (1 + J) times --think (0: all alike; "
                         "alike, the reviewers, who start together, stay in step and post in bursts)")
    ap.add_argument("--no-retrain", dest="retrain", action="store_false",
                    help="load mode: background retraining off (on by default, as the app serves)")
    args = ap.parse_args()
    args.works = args.works or (20_000 if args.load else 100_000)
    args.decisions = args.decisions if args.decisions is not None else (10_000 if args.load else 50_000)
    run = load_bench if args.load else bench
    ok = True
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            ok &= run("SQLite", f"sqlite:///{tmp}/bench.db", args)
    if args.only in (None, "postgresql"):
        if not args.postgres:
            print("\nPostgreSQL: skipped (no --postgres and no LIVEREVIEW_TEST_POSTGRES_URL)")
        else:
            with private_schema(args.postgres) as url:
                ok &= run("PostgreSQL", url, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
