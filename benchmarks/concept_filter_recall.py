"""Recall of the client-side concept filter on the included studies, and the cost of the proposed expansion.

Run: ``python benchmarks/concept_filter_recall.py [--database URL]``. No network.

1. Recall on the included studies: the filter Crossref and the feeds go through (core and the active
   expansions, each its own query), on the title alone and on title + abstract + keywords where the record
   has an abstract. Texts come from the seed corpus CSV (titles only), or with ``--database`` from a store's
   included works (which the monthly chase's evidence watch fills with abstracts from Crossref, PubMed,
   Europe PMC and OpenAlex).
2. The same with the protocol's inactive (proposed) expansion blocks added.
3. Their cost: records the proposal admits that the active queries do not, on real recorded records —
   every API response in ``tests/fixtures`` and the labelled screening sets of ``/work/shared/bench/screening``
   (title + abstract of other reviews' search results: what a broad search returns) — overall and per term.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

from livereview.connectors.registry import IMPORT_FORMATS
from livereview.protocols.model import load_protocol
from livereview.protocols.queries import ConceptFilter
from livereview.settings import BUNDLED_PROTOCOL

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path("/work/shared/bench/screening")
FIXTURE_FORMATS = {"crossref": "crossref-json", "europepmc": "europepmc-json", "openalex": "openalex-json",
                   "pubmed": "pubmed-xml", "feeds": "feed"}


def included_texts(database: str | None) -> list[tuple[str, str | None, str]]:
    if database:
        from sqlalchemy import select

        from livereview.store import screening
        from livereview.store.db import make_engine, reading
        from livereview.store.models import Work

        with reading(make_engine(database)) as s:
            return [(w.title or "", w.abstract, " ".join(w.keywords or [])) for w in s.scalars(
                select(Work).where(Work.status == screening.INCLUDED, Work.merged_into_id.is_(None)))]
    with (ROOT / "protocols" / "ia-coaching-included.csv").open(encoding="utf-8") as fh:
        return [(r["title"], None, "") for r in csv.DictReader(fh)]


def recorded_texts() -> tuple[list[tuple[str, str | None, str]], dict[str, int]]:
    """Title, abstract, keywords of every record in the recorded responses and the bench screening sets."""
    from importlib import import_module

    out: list[tuple[str, str | None, str]] = []
    origin: Counter[str] = Counter()
    for source, fmt in FIXTURE_FORMATS.items():
        parse = import_module(IMPORT_FORMATS[fmt]).parse
        for path in sorted((ROOT / "tests" / "fixtures" / source).glob("*")):
            if path.suffix not in (".json", ".xml", ".rss", ".atom", ".rdf") or "handwritten" in path.name:
                continue
            try:
                records = parse(path.read_bytes())
            except Exception:  # noqa: BLE001 - error fixtures are meant to fail
                continue
            out += [(r.title or "", r.abstract, " ".join(r.keywords)) for r in records]
            origin[f"fixtures/{source}"] += len(records)
    if BENCH.is_dir():
        for path in sorted(BENCH.glob("*.csv")):
            with path.open(encoding="utf-8", errors="replace") as fh:
                rows = list(csv.DictReader(fh))
            out += [(r.get("title") or "", r.get("abstract"), "") for r in rows]
            origin[f"bench/{path.name}"] += len(rows)
    return out, dict(origin)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", help="store URL whose included works (with abstracts) are measured")
    args = ap.parse_args()
    proto = load_protocol(BUNDLED_PROTOCOL)
    active = [ConceptFilter(proto, n) for n in proto.query_names]
    proposed = {n: ConceptFilter(proto, n) for n, e in proto.expansions.items() if not e.active}
    texts = included_texts(args.database)
    with_abstract = sum(1 for _, a, _ in texts if a)

    def hits(filters: list[ConceptFilter], use_abstract: bool) -> int:
        return sum(any(f.matches(t, a if use_abstract else None, k if use_abstract else None) for f in filters)
                   for t, a, k in texts)

    print(f"included studies: {len(texts)} ({with_abstract} with an abstract)")
    core = ConceptFilter(proto)
    print(f"  core query alone        title {hits([core], False)}/{len(texts)}   "
          f"title+abstract {hits([core], True)}/{len(texts)}")
    print(f"  core + active expansions title {hits(active, False)}/{len(texts)}   "
          f"title+abstract {hits(active, True)}/{len(texts)}")
    for name, f in proposed.items():
        print(f"  + proposed {name:<24} title {hits([*active, f], False)}/{len(texts)}   "
              f"title+abstract {hits([*active, f], True)}/{len(texts)}")

    corpus, origin = recorded_texts()
    print(f"\nrecorded records: {len(corpus)} (" + ", ".join(f"{k} {v}" for k, v in origin.items()) + ")")
    base = [any(f.matches(t, a, k) for f in active) for t, a, k in corpus]
    print(f"  matched by the active queries: {sum(base)}")
    for name, f in proposed.items():
        extra = [i for i, (t, a, k) in enumerate(corpus) if not base[i] and f.matches(t, a, k)]
        print(f"  extra records admitted by {name}: {len(extra)} "
              f"({1000 * len(extra) / max(1, len(corpus)):.1f} per 1,000 records)")
        exp = proto.expansions[name]
        for term in exp.terms:
            single = proto.model_copy(update={"expansions": {**proto.expansions, name: exp.model_copy(
                update={"terms": [term]})}})
            g = ConceptFilter(single, name)
            n = sum(1 for i, (t, a, k) in enumerate(corpus) if not base[i] and g.matches(t, a, k))
            m = sum(1 for t, a, k in texts if not any(x.matches(t, a, k) for x in active) and g.matches(t, a, k))
            print(f"    {term:<22} +{m} included   +{n} extra records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
