"""Benchmark: render a digest of 500 candidates (terms highlighted, text + HTML + growth chart + MIME message).

The weekly job renders one digest per process, so the figure that matters is the *first* render
after the imports (Jinja compiling the templates, matplotlib's first draw): that one must stay
under 1 s. Later renders are shown for comparison. Exits 1 when over budget.

    python benchmarks/digest_render.py [--candidates 500] [--budget 1.0]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from livereview.digests.content import (
    Candidate,
    Counts,
    DigestContent,
    Growth,
    Period,
    SourceHealth,
    newest_first,
    present,
)
from livereview.digests.render import build_message, render
from livereview.protocols.model import load_protocol
from livereview.protocols.queries import ConceptFilter
from livereview.settings import BUNDLED_PROTOCOL

#: a small vocabulary dense in protocol terms (about a third of the words highlight): a worst case for marking
WORDS = ["cognitive", "behavioural", "therapy", "adherence", "between-session", "homework", "assignments", "outcomes",
         "randomised", "trial", "adults", "depression", "anxiety", "coaching", "clients", "sessions", "compliance",
         "practice", "therapist", "rated", "engagement", "<b>markup</b>", "&", "quotes", '"', "'single'",
         "counselling", "psychotherapy", "skills", "generalisation"]


def synthetic_candidates(n: int, seed: int = 7) -> list[Candidate]:
    """Candidates shaped like real ones: 10-20 word titles, ~1,500-character abstracts, 1-12 authors."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 7, tzinfo=UTC)
    out = []
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 20))).capitalize()
        abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(180, 260)))
        out.append(Candidate(
            work_id=i + 1, title=title, authors=[f"Author{j}, A." for j in range(rng.randint(1, 12))],
            journal="Behaviour Research and Therapy", year=rng.choice((2024, 2025, 2026)), doi=f"10.5555/bench.{i}",
            pmid=str(41000000 + i), url=None, abstract=abstract, keywords=["homework", "CBT"], status="queued",
            created_at=start + timedelta(minutes=i), sources=rng.sample(["pubmed", "crossref", "europepmc"], 2)))
    return out


def build(protocol, candidates: list[Candidate]) -> DigestContent:
    matcher = ConceptFilter(protocol)
    items = [present(c, matcher, base_url="https://review.example.org") for c in newest_first(candidates)]
    days = [date(2024, 1, 1) + timedelta(days=7 * k) for k in range(110)]
    return DigestContent(
        review_id=protocol.review.id, review_title=protocol.review.title, protocol_version=protocol.review.version,
        period=Period(datetime(2026, 1, 5, 7, tzinfo=UTC), datetime(2026, 1, 12, 7, tzinfo=UTC), "Europe/London"),
        counts=Counts(len(items), {"pubmed": 300, "crossref": 250, "europepmc": 150}, 412,
                      {"already-queued": 300, "in-corpus": 112}, 9000, 4000, 50),
        candidates=items, more=0, notices=[], protocol_changes=[],
        health=[SourceHealth(s, "ok", datetime(2026, 1, 12, 6, tzinfo=UTC), 120, None, None)
                for s in protocol.enabled_sources],
        growth=Growth(days, [50 + 80 * k for k in range(110)], [50 + k // 10 for k in range(110)]))


def render_once(protocol, candidates: list[Candidate]) -> tuple[float, int]:
    t0 = time.perf_counter()
    content = build(protocol, candidates)
    rendered = render(content, digest_id=1)
    msg = build_message(rendered, sender="livereview@example.org", recipients=["team@example.org"],
                        message_id="<bench@example.org>", date=datetime.now(UTC), digest_id=1)
    size = len(msg.as_bytes())
    return time.perf_counter() - t0, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds allowed for the first render")
    args = parser.parse_args()
    protocol = load_protocol(BUNDLED_PROTOCOL)
    candidates = synthetic_candidates(args.candidates)
    import livereview.digests.chart  # noqa: F401  - the import is process start-up, not rendering

    first, size = render_once(protocol, candidates)
    later = [render_once(protocol, candidates)[0] for _ in range(3)]
    print(f"digest render, {args.candidates} candidates (highlight + text + HTML + chart + MIME, {size / 1e6:.1f} MB): "
          f"first {first:.3f} s, then median {statistics.median(later):.3f} s (budget {args.budget:.1f} s)")
    if first > args.budget:
        print(f"FAIL: first render took {first:.3f} s > {args.budget:.1f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
