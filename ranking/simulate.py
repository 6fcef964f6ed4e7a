"""Simulated screening of a labelled set, as ASReview's simulation studies do it, and the usual metrics.

Start from one random included and one random excluded record (the priors, chosen by the seed), screen in the
model's order and retrain as labels arrive (each training also takes 100 random unscreened records as presumed
excludes, see :func:`ranking.model.presumed_sample`). Retraining follows a growing schedule — after every record
at first, then after batches of :data:`BATCH_SHARE` of what is labelled so far — and always right after a newly found
include (the label that changes the model most), so a simulation of thousands of records needs tens of fits,
not thousands. The simulation stops once every include is found and at least 10% of the records are screened:
the metrics need nothing later (ASReview stops when every include is found, too). Priors are left out of
every count.

Metrics (``N`` records and ``I`` includes, priors left out):

* WSS@95 = 1 − (records screened when 95% of the includes are found) / N − 0.05;
* recall@10% = share of the includes found after screening 10% of the records;
* ATD = average, over the includes, of the share of records screened before it was found;
* the stopping rule (:mod:`ranking.stopping`, Callaghan & Müller-Hansen 2020) run on the screening order:
  ``stop_at`` (records screened when it fires, priors left out), ``stop_recall`` (share of the includes found by
  then) and ``stop_work_saved`` (share of the records left unscreened). Once every include is found the rest of
  the order holds only excludes, so the rule is followed to where it fires without training further.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from livereview.errors import InputFileError
from livereview.ranking.model import document, featurise, fit, presumed_sample
from livereview.ranking.stopping import STOP_CONFIDENCE, TARGET_RECALL, stop_point

BATCH_SHARE = 0.05     # retrain after screening this share of the labelled set (at least 1 record)
LABEL_COLUMNS = ("included", "label_included")


@dataclass(frozen=True)
class Metrics:
    n: int                 # records counted (priors left out)
    includes: int          # includes counted (priors left out)
    wss95: float
    recall10: float
    atd: float
    seconds: float = 0.0
    fits: int = 0
    stop_at: int | None = None          # records screened when the stopping rule fires (None: it never does)
    stop_recall: float | None = None    # share of the includes found by then
    stop_work_saved: float | None = None  # share of the records left unscreened by then

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def metrics(order_labels: Sequence[int], *, seconds: float = 0.0, fits: int = 0) -> Metrics:
    """The metrics of a screening order: ``order_labels`` are the 0/1 labels in the order screened, priors
    excluded. Records never screened count as screened last (they must be excludes for the metrics to exist)."""
    labels = np.asarray(order_labels, dtype=int)
    n = len(labels)
    found = np.flatnonzero(labels == 1)  # 0-based positions of the includes
    n_inc = len(found)
    if n == 0 or n_inc == 0:
        raise ValueError("no include left to find once the priors are set aside: the metrics are undefined")
    k95 = math.ceil(0.95 * n_inc)
    screened_at_95 = int(found[k95 - 1]) + 1
    wss95 = 1.0 - screened_at_95 / n - 0.05
    first10 = int(round(0.10 * n))
    recall10 = float((found < first10).sum()) / n_inc
    atd = float(found.mean()) / n
    return Metrics(n=n, includes=n_inc, wss95=round(wss95, 4), recall10=round(recall10, 4), atd=round(atd, 4),
                   seconds=round(seconds, 3), fits=fits)


def stopping(order_labels: Sequence[int], *, priors: int = 2, target_recall: float = TARGET_RECALL,
             confidence: float = STOP_CONFIDENCE) -> tuple[int | None, float | None, float | None]:
    """``(stop_at, stop_recall, stop_work_saved)`` of the stopping rule on a whole screening order.

    ``order_labels`` are the labels in the order screened *with* the priors first (they were screened, so the
    test counts them); the figures leave the priors out, as the other metrics do. When the rule never fires the
    team screens everything: ``stop_at`` is None, recall 1 and nothing saved.
    """
    labels = np.asarray(order_labels, dtype=int)
    n = len(labels) - priors
    includes = int(labels[priors:].sum())
    stride = max(1, len(labels) // 200)  # the test every 0.5 % of the records, then record by record before it
    at = stop_point(labels, target_recall=target_recall, confidence=confidence, start=priors + 1, stride=stride)
    if at is None:
        return None, 1.0, 0.0
    screened = min(at, len(labels)) - priors
    found = int(labels[priors:priors + screened].sum())
    return screened, round(found / includes, 4) if includes else 1.0, round(1.0 - screened / n, 4)


def choose_priors(labels: Sequence[int], seed: int) -> list[int]:
    """The prior include and exclude (row indices) a seed picks: the benchmark hands the same two to ASReview."""
    y = np.asarray(labels, dtype=int)
    rng = np.random.default_rng(seed)
    return [int(rng.choice(np.flatnonzero(y == 1))), int(rng.choice(np.flatnonzero(y == 0)))]


def simulate(texts: Sequence[str], labels: Sequence[int], *, seed: int = 0, target_recall: float = TARGET_RECALL,
             stop_confidence: float = STOP_CONFIDENCE) -> tuple[list[int], Metrics]:
    """Screen ``texts`` in model order; return the screening order (record indices, priors first) and metrics,
    the stopping rule's among them (for ``target_recall`` with ``stop_confidence``)."""
    start = time.perf_counter()
    y = np.asarray(labels, dtype=int)
    n = len(y)
    includes, excludes = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(includes) < 2 or len(excludes) < 1:
        raise ValueError(f"simulate needs at least 2 included and 1 excluded record (found {len(includes)} "
                         f"included, {len(excludes)} excluded)")
    priors = choose_priors(y, seed)
    rng = np.random.default_rng([seed, 1])  # presumed excludes: their own stream, so priors stay as they were
    x, _ = featurise(texts)
    labelled = np.zeros(n, dtype=bool)
    labelled[priors] = True
    order: list[int] = list(priors)
    total_inc = len(includes)
    found = 1
    min_screened = int(round(0.10 * (n - 2)))
    fits = 0
    while not labelled.all():
        if found == total_inc and len(order) - 2 >= min_screened:
            break
        idx = np.flatnonzero(labelled)
        pool = np.flatnonzero(~labelled)
        model = fit(x[idx], y[idx], presumed_excludes=x[presumed_sample(pool, rng)])
        fits += 1
        scores = model.score(x[pool])
        batch = max(1, int(BATCH_SHARE * len(idx)))
        ranked = pool[np.argsort(-scores, kind="stable")[:batch]]
        for rec in ranked:
            labelled[rec] = True
            order.append(int(rec))
            if y[rec] == 1:
                found += 1
                break  # a new include: retrain at once
    rest = np.flatnonzero(~labelled)
    if len(rest):  # the remaining records, in the last model's order (they carry no include)
        model = fit(x[labelled], y[labelled])
        order.extend(int(r) for r in rest[np.argsort(-model.score(x[rest]), kind="stable")])
    result = metrics(y[order[2:]], seconds=time.perf_counter() - start, fits=fits)  # ranking time only
    stop_at, stop_recall, stop_work_saved = stopping(y[order], target_recall=target_recall,
                                                     confidence=stop_confidence)
    return order, replace(result, stop_at=stop_at, stop_recall=stop_recall, stop_work_saved=stop_work_saved)


def read_labelled_csv(path: Path, label_column: str | None = None) -> tuple[list[str], list[int]]:
    """Texts (title + abstract + keywords) and 0/1 labels of a labelled CSV (column names in any case); refuse a
    file we cannot read with one line naming it and the problem (and the line, for a bad label)."""
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            for row in reader:
                rows.append((reader.line_num, row))
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(path, f"not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from None
    by_name = {f.strip().lower(): f for f in reversed(fields) if f}
    wanted = [label_column] if label_column else list(LABEL_COLUMNS)
    column = next((by_name[c.lower()] for c in wanted if c.lower() in by_name), None)
    if column is None:
        raise InputFileError(path, f"no label column {' or '.join(wanted)} (columns: {', '.join(fields) or 'none'})")
    title, abstract, keywords = (by_name.get(c) for c in ("title", "abstract", "keywords"))
    if title is None and abstract is None:
        raise InputFileError(path, "no title or abstract column")
    texts, labels = [], []
    for line, row in rows:
        raw = (row.get(column) or "").strip()
        if raw not in ("0", "1", "0.0", "1.0"):
            raise InputFileError(path, f"label {column}={raw!r} is not 0 or 1", line=line)
        labels.append(int(float(raw)))
        words = [row.get(keywords) or ""] if keywords else None
        texts.append(document(row.get(title) if title else None, row.get(abstract) if abstract else None, words))
    return texts, labels
