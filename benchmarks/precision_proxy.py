"""Offline precision proxy: how many off-topic records each query branch admits, old protocol against new.

Run: ``python benchmarks/precision_proxy.py [--show N]``. No network.

The live sources cannot be asked here, so precision is approximated on real records that are *not* about
inter-sessional activities: every abstract-bearing record in ``/work/shared/bench/screening`` (title/abstract sets
of three other reviews: nudging, Wilson's disease, software engineering) and in ``/work/shared/realdata`` (recorded
PubMed, Europe PMC, Crossref, OpenAlex, feed responses and reference-manager exports). None of these corpora is
about homework in coaching or therapy, so every record a branch admits counts as off-topic (``--show`` prints them
to check that by eye). Each branch is evaluated with the client-side concept filter on title + abstract + keywords
(the boolean plan the sources run; title-only terms on the title), which is how Crossref and the feeds are
filtered and a close stand-in for PubMed/Europe PMC field searches.

Beside it, the recall of the 50 included studies on their titles (the seed corpus holds titles only), per branch
and for what each protocol fetches as a whole.

Old = protocol 1.1.0 (tests/fixtures/protocols/ia-coaching-1.1.0.toml), new = the bundled protocol.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from importlib import import_module
from pathlib import Path

from livereview.protocols import PROTOCOL_DIR
from livereview.protocols.model import CORE_QUERY, Protocol, SearchPlan, load_protocol, parse_protocol
from livereview.protocols.queries import ConceptFilter
from livereview.settings import BUNDLED_PROTOCOL

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path("/work/shared")
OLD_PROTOCOL = ROOT / "tests" / "fixtures" / "protocols" / "ia-coaching-1.1.0.toml"
API_FORMATS = {"crossref": "crossref-json", "europepmc": "europepmc-json", "openalex": "openalex-json",
               "pubmed": "pubmed-xml", "feeds": "feed"}

Text = tuple[str, str | None, str]


def corpus() -> tuple[list[Text], Counter[str]]:
    """Title, abstract, keywords of every abstract-bearing record in the screening sets and the recorded data."""
    from livereview.connectors.registry import IMPORT_FORMATS

    out: list[Text] = []
    origin: Counter[str] = Counter()
    for path in sorted((SHARED / "bench" / "screening").glob("*.csv")):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for r in csv.DictReader(fh):
                if (r.get("abstract") or "").strip():
                    out.append((r.get("title") or "", r["abstract"], ""))
                    origin[f"bench/screening/{path.name}"] += 1
    for source, fmt in API_FORMATS.items():
        parse = import_module(IMPORT_FORMATS[fmt]).parse
        for path in sorted((SHARED / "realdata" / source).rglob("*")):
            if not path.is_file():
                continue
            try:
                records = parse(path.read_bytes())
            except Exception:  # noqa: BLE001 - error responses and other shapes are meant to fail here
                continue
            for r in records:
                if r.abstract:
                    out.append((r.title or "", r.abstract, " ".join(r.keywords)))
                    origin[f"realdata/{source}"] += 1
    files = import_module("livereview.connectors.files")
    for path in sorted((SHARED / "realdata" / "exports").glob("*")):
        try:
            records = files.read_records(path, source="export")
        except Exception:  # noqa: BLE001
            continue
        for r in records:
            if r.abstract:
                out.append((r.title or "", r.abstract, " ".join(r.keywords)))
                origin["realdata/exports"] += 1
    return out, origin


def includes() -> list[Text]:
    with (PROTOCOL_DIR / "ia-coaching-included.csv").open(encoding="utf-8") as fh:
        return [(r["title"], None, "") for r in csv.DictReader(fh) if r["title"]]


def branch(protocol: Protocol, name: str, combine: list[list[str]]) -> ConceptFilter:
    """The filter of one branch: the terms of query ``name`` with only the AND-groups ``combine``."""
    single = protocol.model_copy(update={"search": SearchPlan(combine=combine)})
    return ConceptFilter(single, name if name in protocol.expansions else CORE_QUERY)


def branches(protocol: Protocol) -> list[tuple[str, list[ConceptFilter], bool]]:
    """(label, filters ORed, fetched?) for every branch a protocol runs or reports, and the fetched whole."""
    out: list[tuple[str, list[ConceptFilter], bool]] = []
    if protocol.search.queries:
        for n, q in protocol.search.queries.items():
            out.append((f"{n}" + (" (sub-query, reported)" if q.subquery_of else ""),
                        [branch(protocol, n, q.combine)], not q.subquery_of))
    else:
        for group in protocol.search.combine:
            out.append((f"core branch {' AND '.join(group)}", [branch(protocol, CORE_QUERY, [group])], True))
    for n in protocol.active_expansions:
        out.append((f"expansion {n}", [ConceptFilter(protocol, n)], True))
    whole = [f for _, fs, fetched in out if fetched for f in fs]
    out.append(("ALL FETCHED (union)", whole, False))
    return out


def measure(protocol: Protocol, texts: list[Text], incl: list[Text], show: int) -> list[tuple[str, int, int]]:
    rows = []
    for label, filters, _ in branches(protocol):
        admitted = [t for t in texts if any(f.matches(*t) for f in filters)]
        found = sum(any(f.matches(*t) for f in filters) for t in incl)
        rows.append((label, len(admitted), found))
        for t in admitted[:show]:
            print(f"    [{protocol.review.version} {label}] {t[0][:110]}")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0, help="print the first N admitted titles of every branch")
    args = ap.parse_args()
    old = parse_protocol(OLD_PROTOCOL.read_text(encoding="utf-8"), PROTOCOL_DIR / "ia-coaching.toml")
    new = load_protocol(BUNDLED_PROTOCOL)
    t0 = time.perf_counter()
    texts, origin = corpus()
    incl = includes()
    n = len(texts)
    print(f"corpus: {n} abstract-bearing off-topic records ("
          + ", ".join(f"{k} {v}" for k, v in sorted(origin.items())) + f"); {len(incl)} included studies (titles)")
    print(f"{'protocol':8} {'branch':46} {'admitted':>8} {'per 1,000':>9} {'recall (titles)':>16}")
    for proto in (old, new):
        for label, admitted, found in measure(proto, texts, incl, args.show):
            print(f"{proto.review.version:8} {label:46} {admitted:>8} {1000 * admitted / n:>9.2f} "
                  f"{found:>6}/{len(incl)} ({found / len(incl):.0%})")
    print(f"measured in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
