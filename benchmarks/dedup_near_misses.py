"""How many pairs the duplicates page would put before people, and how many of them are real duplicates.

Feeds each labelled set in ../shared/bench/dedup through the store's incremental matcher
(:class:`dedup.MatchIndex`, in file order, as an import would) and, for every record that matched nothing,
looks at its near miss (the closest known record no rule linked and none vetoed). Per score threshold it prints
the near misses proposed, how many are labelled duplicates (what people would rightly merge) and how many
labelled duplicates the matcher left apart altogether (what a threshold cannot bring back).

Usage::

    python benchmarks/dedup_near_misses.py [--bench-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_bench import DEFAULT_BENCH_DIR, load_records, load_truth  # noqa: E402

from livereview.dedup import index as dedup_index  # noqa: E402
from livereview.dedup.index import MatchIndex  # noqa: E402

THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def near_misses(folder: Path, vetoed_floor: float) -> tuple[list[tuple[float, bool]], int, int]:
    """(score, labelled duplicate?) per near miss, labelled pairs left apart, records; vetoed pairs count from
    ``vetoed_floor`` on."""
    records, _ = load_records(folder / "records_pre_merged.csv", "auto")
    group_of: dict[str, int] = {}
    for n, ids in enumerate(load_truth(folder / "merged_record_ids.csv")):
        for rid in ids:
            group_of[rid] = n
    dedup_index.NEAR_MISS_SCORE = min(THRESHOLDS)
    dedup_index.NEAR_MISS_VETOED_SCORE = vetoed_floor
    index = MatchIndex()
    found: list[tuple[float, bool]] = []
    missed = 0
    kept_groups: dict[int, int] = {}  # labelled group -> records of it the matcher left as works of their own
    for rec in records:
        rid = rec.source_id or ""
        if index.match(rec) is not None:
            continue
        near = index.near_miss
        if near is not None:
            found.append((near.score, rid in group_of and group_of.get(str(near.key)) == group_of[rid]))
        index.add(rid, rec)
        if rid in group_of:
            kept_groups[group_of[rid]] = kept_groups.get(group_of[rid], 0) + 1
    missed = sum(k - 1 for k in kept_groups.values())
    return found, missed, len(records)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--vetoed", type=float, default=dedup_index.NEAR_MISS_VETOED_SCORE,
                        help="score from which a vetoed pair is a near miss too (default: the store's)")
    args = parser.parse_args(argv)
    folders = sorted(p for p in args.bench_dir.iterdir() if (p / "records_pre_merged.csv").exists())
    if not folders:
        print(f"{args.bench_dir}: no labelled sets", file=sys.stderr)
        return 2
    print(f"vetoed pairs count from score {args.vetoed}")
    print("dataset | records | duplicates left apart | " + " | ".join(f">= {t}: proposed / real" for t in THRESHOLDS))
    for folder in folders:
        found, missed, n = near_misses(folder, args.vetoed)
        cells = []
        for t in THRESHOLDS:
            chosen = [real for score, real in found if score >= t]
            cells.append(f"{len(chosen)} / {sum(chosen)}")
        print(f"{folder.name} | {n} | {missed} | " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
