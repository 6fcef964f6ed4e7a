"""Ranking quality and speed, side by side with ASReview: ``livereview simulate`` vs ``asreview simulate``.

Run: ``python benchmarks/ranking_vs_asreview.py [--asreview PATH] [--data DIR] [--seeds 1,2,3] [FILE ...]``.

ASReview (3.0.8, its default ELAS u4 model) lives in its own virtual environment, never in ours:
``python3 -m venv /work/asreview-venv && /work/asreview-venv/bin/pip install asreview==3.0.8``; the script finds it
at ``--asreview`` or ``$ASREVIEW`` (default ``/work/asreview-venv/bin/asreview``).

For each file and seed both tools start from the *same* two priors (the include and exclude our seed picks, passed
to ASReview with ``--prior-idx``), both stop once every include is found (ASReview's default; ours also screens
at least 10%), and both orders are scored by the same metric code (:func:`ranking.simulate.metrics`, priors left
out; records a tool did not reach count as screened last, and they are all excludes). Time is the wall-clock time
of each command, start-up included, and its CPU time (user + system, every thread: the fairer figure when the
machine is shared and wall time mostly measures waiting). Printed: per seed, then the median over the seeds per
file, with the time ratios (ours / ASReview's). ``--asreview-cache FILE`` keeps ASReview's figures per file and seed
in a JSON file and reuses them (ASReview does not change when our model does: measure it once, then compare each
variant of ours against the same runs). Exits 1 when a median WSS@95 is below ASReview's or a time ratio
is above 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from livereview.ranking.simulate import choose_priors, metrics, read_labelled_csv

DEFAULT_DATA = Path(os.environ.get("LIVEREVIEW_BENCH_SCREENING", "/work/shared/bench/screening"))
DEFAULT_ASREVIEW = os.environ.get("ASREVIEW", "/work/asreview-venv/bin/asreview")
FILES = ("ferdinands2023_nudging.csv", "ferdinands2023_wilson.csv", "srd_Kitchenham_2010.csv")


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``cmd``; return it with its wall-clock seconds and its CPU seconds (user + system, all threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, wall, cpu


def run_livereview(path: Path, seed: int) -> tuple[dict, float, float]:
    exe = Path(sys.executable).with_name("livereview")
    out, wall, cpu = timed([str(exe), "simulate", str(path), "--seed", str(seed), "--json"])
    return json.loads(out.stdout.strip().splitlines()[-1]), wall, cpu


def run_asreview(asreview: str, path: Path, seed: int, labels: list[int],
                 workdir: Path) -> tuple[dict, float, float]:
    priors = choose_priors(labels, seed)
    project = workdir / f"{path.stem}-{seed}.asreview"
    project.unlink(missing_ok=True)
    cmd = [asreview, "simulate", str(path), "--prior-idx", *map(str, priors), "--seed", str(seed), "-o", str(project)]
    _, wall, cpu = timed(cmd, cwd=workdir)  # ASReview leaves a cache file in its working directory
    db = workdir / "results.db"
    with zipfile.ZipFile(project) as z, db.open("wb") as fh:
        fh.write(z.read("results.db"))
    con = sqlite3.connect(db)
    try:
        n_records = con.execute("SELECT count(*) FROM record").fetchone()[0]
        rows = con.execute("SELECT record_id, label, training_set FROM results ORDER BY rowid").fetchall()
    finally:
        con.close()
    if n_records != len(labels):
        print(f"warning: ASReview read {n_records} records of {path.name}, we read {len(labels)}", file=sys.stderr)
    screened = [int(label) for _rid, label, training in rows if training is not None]  # priors have none
    prior_rows = [rid for rid, _label, training in rows if training is None]
    if sorted(prior_rows) != sorted(priors):
        print(f"warning: ASReview priors {prior_rows} differ from ours {priors}", file=sys.stderr)
    order = screened + [0] * (n_records - 2 - len(screened))
    m = metrics(order, seconds=wall)
    return m.as_dict(), wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--asreview", default=DEFAULT_ASREVIEW)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--asreview-cache", type=Path, help="JSON file of ASReview's figures to reuse and extend")
    args = ap.parse_args()
    cache = json.loads(args.asreview_cache.read_text()) if args.asreview_cache and args.asreview_cache.exists() else {}
    seeds = [int(s) for s in args.seeds.split(",")]
    files = args.files or [args.data / f for f in FILES]
    ok = True
    summary = []
    with tempfile.TemporaryDirectory(prefix="asreview-bench-") as tmp:
        for path in files:
            _texts, labels = read_labelled_csv(path)
            ours, theirs = [], []
            for seed in seeds:
                lr, lr_wall, lr_cpu = run_livereview(path, seed)
                cached = cache.get(path.name, {}).get(str(seed))
                if cached is None:
                    ar, ar_wall, ar_cpu = run_asreview(args.asreview, path, seed, labels, Path(tmp))
                    cache.setdefault(path.name, {})[str(seed)] = ar | {"wall": ar_wall, "cpu": ar_cpu}
                    if args.asreview_cache:
                        args.asreview_cache.write_text(json.dumps(cache, indent=1))
                else:
                    ar, ar_wall, ar_cpu = cached, cached["wall"], cached["cpu"]
                ours.append(lr | {"wall": lr_wall, "cpu": lr_cpu})
                theirs.append(ar | {"wall": ar_wall, "cpu": ar_cpu})
                print(f"{path.name} seed {seed}: livereview WSS@95 {lr['wss95']:.3f} recall@10 {lr['recall10']:.3f} "
                      f"ATD {lr['atd']:.3f} {lr_wall:.1f} s wall {lr_cpu:.1f} s CPU | asreview WSS@95 "
                      f"{ar['wss95']:.3f} recall@10 {ar['recall10']:.3f} ATD {ar['atd']:.3f} {ar_wall:.1f} s wall "
                      f"{ar_cpu:.1f} s CPU", flush=True)
            row = {"file": path.name, "n": ours[0]["n"]}
            for key in ("wss95", "recall10", "atd", "wall", "cpu"):
                row[key] = (statistics.median(r[key] for r in ours), statistics.median(r[key] for r in theirs))
            row["wall_ratio"] = row["wall"][0] / row["wall"][1]
            row["cpu_ratio"] = row["cpu"][0] / row["cpu"][1]
            ok &= row["wss95"][0] >= row["wss95"][1] and row["wall_ratio"] <= 0.5 and row["cpu_ratio"] <= 0.5
            summary.append(row)
    print()
    print(f"median over seeds {','.join(map(str, seeds))}   (each cell: livereview | asreview 3.0.8 elas_u4)")
    print(f"{'file':27} {'n':>5}  {'WSS@95':>13}  {'recall@10%':>13}  {'ATD':>13}  {'wall s':>13}  {'ratio':>5}"
          f"  {'CPU s':>13}  {'ratio':>5}")
    for r in summary:
        cells = [f"{r[k][0]:.3f} | {r[k][1]:.3f}" for k in ("wss95", "recall10", "atd")]
        print(f"{r['file']:27} {r['n']:>5}  " + "  ".join(f"{c:>13}" for c in cells)
              + f"  {r['wall'][0]:>5.1f} | {r['wall'][1]:>5.1f}  {r['wall_ratio']:>5.2f}"
              + f"  {r['cpu'][0]:>5.1f} | {r['cpu'][1]:>5.1f}  {r['cpu_ratio']:>5.2f}")
    print("targets met" if ok else "TARGETS NOT MET: a median WSS@95 below ASReview's or a time ratio above 0.5")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
