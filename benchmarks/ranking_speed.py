"""How long training and ranking take for 10,000 records (the store's path: ``ranking.train``).

Run: ``python benchmarks/ranking_speed.py [--n 10000] [--data DIR]``. Real titles and abstracts from the labelled
screening sets (``/work/shared/bench/screening``, or ``$LIVEREVIEW_BENCH_SCREENING``), repeated until there are
``--n`` records; half of them carry their label (the decisions), the rest are the queue to score. Prints the
seconds (wall and CPU) to featurise, train the ensemble, score every record and find the "why" terms of the
queue — what ``ranking.retrain`` does — best of three.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from livereview.ranking import train
from livereview.ranking.simulate import read_labelled_csv

DATA = Path(os.environ.get("LIVEREVIEW_BENCH_SCREENING", "/work/shared/bench/screening"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    texts: list[str] = []
    labels: list[int] = []
    for path in sorted(args.data.glob("*.csv")):
        t, y = read_labelled_csv(path)
        texts += t
        labels += y
    reps = -(-args.n // len(texts))
    pool = (texts * reps)[: args.n]
    known: list[int | None] = [y if i % 2 == 0 else None for i, y in enumerate((labels * reps)[: args.n])]
    n_inc = sum(1 for y in known if y == 1)
    times, cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        scores, why, method = train(pool, known, explain_unlabelled_only=True)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    explained = sum(1 for w in why if w)
    print(f"{args.n} records ({n_inc} included and {sum(1 for y in known if y == 0)} excluded decisions, "
          f"{sum(1 for y in known if y is None)} to rank, {explained} with why-terms): {method}, "
          f"train + rank + why in {min(times):.2f} s wall, {min(cpu):.2f} s CPU "
          f"(best of 3; wall: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
