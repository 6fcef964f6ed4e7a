"""Which changes to the ranker help? Every variant simulated on every labelled set, seeds 1–3, medians compared.

Run: ``python benchmarks/ranking_variants.py [--data DIR] [--seeds 1,2,3] [--only NAME,...]``.

Each variant is the default model (``ranking.model``) with one thing changed — the features (title weighting,
character n-grams, unigrams only), the class balance of the learners, the ensemble's weights, the number of
presumed excludes, or how often the simulation retrains — run in-process with ``ranking.simulate.simulate`` (the
code ``livereview simulate`` runs) on the same priors per seed. Printed: per set the median WSS@95, recall@10%,
ATD and ranking seconds over the seeds, and a markdown table for ``docs/ranking.md``. The protocol's concepts
cannot be tried here: the labelled sets come without their protocol (and ``simulate`` has none).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from livereview.ranking import model as rm
from livereview.ranking import simulate as rs

DATA = Path(os.environ.get("LIVEREVIEW_BENCH_SCREENING", "/work/shared/bench/screening"))
FILES = ("ferdinands2023_nudging.csv", "ferdinands2023_wilson.csv", "srd_Kitchenham_2010.csv")


def read(path: Path) -> tuple[list[str], list[str], list[int]]:
    """Titles, abstracts and labels of a labelled set (the labels as ``simulate`` reads them)."""
    _texts, labels = rs.read_labelled_csv(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    low = [{k.strip().lower(): v for k, v in r.items() if k} for r in rows]
    return [r.get("title") or "" for r in low], [r.get("abstract") or "" for r in low], labels


def with_chars(featurise: Callable[..., Any], weight: float = 1.0) -> Callable[..., Any]:
    """Word TF-IDF side by side with TF-IDF of character 3–5-grams within words (each block L2-normalised)."""
    def both(texts: Sequence[str]) -> tuple[sparse.csr_matrix, Any]:
        words, terms = featurise(texts)
        chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), alternate_sign=False, norm=None,
                                  n_features=2**20, dtype=np.float32).transform(list(texts)).tocsr()
        df = np.bincount(chars.indices, minlength=chars.shape[1])
        kept = np.flatnonzero((df >= 2) & (df <= 0.95 * len(texts)))
        chars = TfidfTransformer(sublinear_tf=True).fit_transform(chars[:, kept])
        out = sparse.hstack([words, chars * weight]).tocsr()
        norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sparse.csr_matrix(sparse.diags(1 / norms) @ out, dtype=np.float32), terms
    return both


def unigrams() -> HashingVectorizer:
    return HashingVectorizer(ngram_range=(1, 1), token_pattern=rm._WORDS, alternate_sign=False, norm=None,
                             n_features=rm.HASH_FEATURES, dtype=np.float32)


def ensemble(svm_weight: float) -> Callable[[rm.Fitted, sparse.csr_matrix], np.ndarray]:
    def score(self: rm.Fitted, x: sparse.csr_matrix) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        if self.method == "similarity":
            return np.asarray(x @ self.weights).ravel()
        svm = np.asarray(x @ self.weights).ravel() + self.bias
        nb = np.asarray(x @ self.nb_weights).ravel() + self.nb_bias
        return svm_weight * rm._percentile(svm) + (1 - svm_weight) * rm._percentile(nb)
    return score


ONCE, TWICE = {(rm, "TITLE_WEIGHT"): 1}, {(rm, "TITLE_WEIGHT"): 2}
#: name -> {(module, attribute): replacement}. Most rows are one change to the former default (the title read once);
#: the current default reads it twice (``ranking.model.TITLE_WEIGHT``), so every row names its title weight.
VARIANTS: dict[str, dict[tuple[Any, str], Any]] = {
    "title once (former default)": ONCE,
    "title x2 (default)": TWICE,
    "title x3": {(rm, "TITLE_WEIGHT"): 3},
    "char 3-5 n-grams": ONCE | {(rs, "featurise"): with_chars(rm.featurise)},
    "unigrams only": ONCE | {(rm, "hasher"): unigrams},
    "SVM only": ONCE | {(rm.Fitted, "score"): ensemble(1.0)},
    "NB only": ONCE | {(rm.Fitted, "score"): ensemble(0.0)},
    "SVM 0.7 / NB 0.3": ONCE | {(rm.Fitted, "score"): ensemble(0.7)},
    "class balance 1:1": ONCE | {(rm, "SVM_INCLUDE_RATIO"): 1.0, (rm, "NB_INCLUDE_RATIO"): 1.0},
    "includes x20": ONCE | {(rm, "SVM_INCLUDE_RATIO"): 20.0},
    "no presumed excludes": ONCE | {(rm, "PRESUMED_EXCLUDES"): 0},
    "300 presumed excludes": ONCE | {(rm, "PRESUMED_EXCLUDES"): 300},
    "retrain every 2 %": ONCE | {(rs, "BATCH_SHARE"): 0.02},
    "title x2 + SVM only": TWICE | {(rm.Fitted, "score"): ensemble(1.0)},
    "title x2 + 300 presumed excludes": TWICE | {(rm, "PRESUMED_EXCLUDES"): 300},
    "title x2 + includes x20": TWICE | {(rm, "SVM_INCLUDE_RATIO"): 20.0},
}


@contextmanager
def patched(changes: dict[tuple[Any, str], Any]) -> Iterator[None]:
    old = {key: getattr(*key) for key in changes}
    try:
        for (owner, name), value in changes.items():
            setattr(owner, name, value)
        if (rm, "PRESUMED_EXCLUDES") in changes:  # the default argument was bound at import
            k = changes[(rm, "PRESUMED_EXCLUDES")]
            rs.presumed_sample = lambda pool, rng, k=k: rm.presumed_sample(pool, rng, k) if k else pool[:0]
        yield
    finally:
        for (owner, name), value in old.items():
            setattr(owner, name, value)
        rs.presumed_sample = rm.presumed_sample


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--only", default="", help="comma-separated variant names")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = [n for n in VARIANTS if not args.only or n in args.only.split(",")]
    sets = {f: read(args.data / f) for f in FILES}
    table: dict[tuple[str, str], dict[str, float]] = {}
    for name in names:
        with patched(VARIANTS[name]):
            for f, (titles, abstracts, labels) in sets.items():
                texts = [rm.document(t, a) for t, a in zip(titles, abstracts, strict=True)]
                runs = [rs.simulate(texts, labels, seed=s)[1] for s in seeds]
                cell = {k: statistics.median(getattr(m, k) for m in runs)
                        for k in ("wss95", "recall10", "atd", "seconds")}
                table[(name, f)] = cell
                print(f"{name:22} {f:28} WSS@95 {cell['wss95']:.3f} recall@10 {cell['recall10']:.3f} "
                      f"ATD {cell['atd']:.3f} {cell['seconds']:.1f} s  "
                      f"(WSS@95 per seed {', '.join(f'{m.wss95:.3f}' for m in runs)})", flush=True)
    print()
    print("| variant | " + " | ".join(f.removesuffix(".csv") for f in FILES) + " | mean WSS@95 |")
    print("|---|" + "---|" * (len(FILES) + 1))
    for name in names:
        cells = [table[(name, f)] for f in FILES]
        print(f"| {name} | " + " | ".join(f"{c['wss95']:.3f} / {c['recall10']:.3f} / {c['atd']:.3f} "
                                          f"({c['seconds']:.1f} s)" for c in cells)
              + f" | {statistics.mean(c['wss95'] for c in cells):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
