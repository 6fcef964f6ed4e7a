"""The relevance model: TF-IDF features and an ensemble of two linear learners, as screening studies support.

Why this model. Screening-prioritisation studies (Cormack & Grossman's continuous active learning; ASReview's
simulation studies, Ferdinands et al. 2023, Teijema et al. 2023) find that TF-IDF features with a linear
classifier or naive Bayes, retrained as labels arrive and queried "most likely relevant first", are as good as
heavier models at a fraction of the cost. We use:

* features: TF-IDF of word unigrams and bigrams of title + abstract (+ keywords), sublinear term frequency,
  terms in fewer than two records dropped (they cannot generalise). Stop words are *kept*: the bigrams they
  form ("effect of", "randomized to") carry study-design phrasing, and removing them measurably hurt;
* learners: a strongly regularised linear SVM with the includes weighted well above class balance (recall is
  what matters, and includes are rare: weighting is dynamic resampling without copying rows), and multinomial
  naive Bayes with heavy smoothing (robust with very few labels). Their hyper-parameters are the ones ASReview
  published after optimising on the 24 SYNERGY sets (its ELAS u4 and u3 models), not tuned on our benchmarks;
* ensemble: the mean of the two learners' rank percentiles, so neither's scale dominates and a set where one
  learner fails (naive Bayes on very long, varied abstracts; the SVM with a single include) is carried by the
  other.

Before there are enough decisions to learn from (:data:`MIN_INCLUDED` includes and :data:`MIN_EXCLUDED`
excludes) the score is the cosine similarity to the centroid of what is known to be relevant: the included
studies and the protocol's search terms.

Nothing here touches the store: it works on texts and labels, so ``simulate`` and the store share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

#: fewer decisions than this and the model falls back to similarity to the includes + protocol terms
MIN_INCLUDED = 1
MIN_EXCLUDED = 1
WHY_TERMS = 3
SVM_C = 0.11                 # strong regularisation: few labels, tens of thousands of features
SVM_INCLUDE_RATIO = 9.8      # includes carry ~10x the total weight of the excludes
NB_ALPHA = 3.822
NB_INCLUDE_RATIO = 1.2
_TAGS = re.compile(r"<[^>]{0,200}>")
_WORDS = r"(?u)\b[^\W\d_][\w-]*[^\W_]\b"  # words of 2+ characters starting with a letter (no bare numbers)


def document(title: str | None, abstract: str | None, keywords: Sequence[str] | None = None) -> str:
    """The text a record is judged on: title, abstract and keywords (HTML tags of exports removed)."""
    parts = [title or "", abstract or "", " ".join(keywords or [])]
    return _TAGS.sub(" ", " . ".join(p for p in parts if p))


def vectorizer(min_df: int = 2) -> TfidfVectorizer:
    """Word unigrams + bigrams, sublinear TF, rare terms dropped."""
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, max_df=0.95,
                           strip_accents="unicode", dtype=np.float32,
                           token_pattern=_WORDS)


def featurise(texts: Sequence[str]) -> tuple[sparse.csr_matrix, TfidfVectorizer]:
    """TF-IDF matrix of ``texts`` (fitted on them: the vocabulary is the pool's own, as in ASReview)."""
    vec = vectorizer(min_df=2 if len(texts) >= 50 else 1)
    try:
        matrix = vec.fit_transform(texts)
    except ValueError:  # no term survives (tiny or empty pool): fall back to keeping every term
        vec = vectorizer(min_df=1)
        vec.max_df = 1.0
        matrix = vec.fit_transform([t or "empty" for t in texts])
    return matrix.tocsr(), vec


def _percentile(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to [0, 1] (ties share a rank): a scale-free score to average."""
    if len(values) <= 1:
        return np.ones_like(values, dtype=float)
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(len(values), dtype=float)
    # ties: give equal values their mean rank
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse] / (len(values) - 1)


@dataclass
class Fitted:
    """A trained scorer over one feature space. ``method`` is ``model`` or ``similarity``."""

    method: str
    weights: np.ndarray                     # per-feature weight used for scores' "why" (and similarity)
    svm: LinearSVC | None = None
    bayes: MultinomialNB | None = None

    def score(self, x: sparse.csr_matrix) -> np.ndarray:
        """Higher is more likely relevant; comparable within one call only (rank percentiles, or cosine)."""
        if x.shape[0] == 0:
            return np.zeros(0)
        if self.method == "similarity":
            return np.asarray(x @ self.weights).ravel()
        assert self.svm is not None and self.bayes is not None
        svm = self.svm.decision_function(x)
        nb = self.bayes.predict_log_proba(x)
        nb = nb[:, 1] - nb[:, 0]
        return (_percentile(svm) + _percentile(nb)) / 2


def fit(x: sparse.csr_matrix, labels: np.ndarray, *, anchor: np.ndarray | None = None,
        force_similarity: bool = False) -> Fitted:
    """Train on the rows of ``x`` with 0/1 ``labels``; similarity to ``anchor`` + includes when too few labels.

    ``anchor`` is a feature-space vector of what is known relevant without decisions (the protocol's terms).
    """
    labels = np.asarray(labels)
    n_inc = int((labels == 1).sum())
    n_exc = int((labels == 0).sum())
    if force_similarity or n_inc < MIN_INCLUDED or n_exc < MIN_EXCLUDED:
        return similarity(x[labels == 1], anchor, n_features=x.shape[1])
    svm = LinearSVC(C=SVM_C, random_state=0)  # liblinear shuffles: fix it so a seed gives one order
    svm.fit(x, labels, sample_weight=include_weights(labels, SVM_INCLUDE_RATIO))
    bayes = MultinomialNB(alpha=NB_ALPHA)
    bayes.fit(x, labels, sample_weight=include_weights(labels, NB_INCLUDE_RATIO))
    return Fitted("model", np.asarray(svm.coef_, dtype=float).ravel(), svm=svm, bayes=bayes)


def include_weights(labels: np.ndarray, ratio: float) -> np.ndarray:
    """Sample weights giving the includes ``ratio`` times the total weight of the excludes (mean weight 1)."""
    n_inc, n_exc = int((labels == 1).sum()), int((labels == 0).sum())
    weight = np.where(labels == 1, 1.0, n_inc / (ratio * n_exc))
    return weight * (len(labels) / weight.sum())


def similarity(included: sparse.csr_matrix, anchor: np.ndarray | None, *, n_features: int) -> Fitted:
    """Cosine similarity to the normalised centroid of the included rows plus the protocol-terms vector."""
    centroid = np.zeros(n_features, dtype=float)
    if included.shape[0]:
        centroid += np.asarray(included.mean(axis=0)).ravel()
    if anchor is not None and anchor.any():
        a = anchor / (np.linalg.norm(anchor) or 1.0)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0) + a
    norm = np.linalg.norm(centroid)
    return Fitted("similarity", centroid / norm if norm else centroid)


def why(fitted: Fitted, x: sparse.csr_matrix, names: np.ndarray, k: int = WHY_TERMS) -> list[list[str]]:
    """Per row, the ``k`` terms that raise its score most (feature value × weight, positive only)."""
    out: list[list[str]] = []
    w = fitted.weights
    x = x.tocsr()
    for i in range(x.shape[0]):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        cols, vals = x.indices[lo:hi], x.data[lo:hi]
        contrib = vals * w[cols]
        top = np.argsort(-contrib)[:k]
        out.append([str(names[cols[j]]) for j in top if contrib[j] > 0])
    return out
