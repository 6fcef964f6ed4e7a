"""The relevance model: TF-IDF features and an ensemble of two linear learners, as screening studies support.

Why this model. Screening-prioritisation studies (Cormack & Grossman's continuous active learning; ASReview's
simulation studies, Ferdinands et al. 2023, Teijema et al. 2023) find that TF-IDF features with a linear
classifier or naive Bayes, retrained as labels arrive and queried "most likely relevant first", are as good as
heavier models at a fraction of the cost. We use:

* features: TF-IDF of word unigrams and bigrams of title (counted twice) + abstract (+ keywords), sublinear term
  frequency, terms in fewer than two records dropped (they cannot generalise). Stop words are *kept*: the bigrams they
  form ("effect of", "randomized to") carry study-design phrasing, and removing them measurably hurt. Terms
  are hashed (2^21 columns) rather than counted into a vocabulary: building the vocabulary was most of the
  time of a simulation, and collisions are negligible at that width;
* learners: a strongly regularised linear SVM with the includes weighted well above class balance (recall is
  what matters, and includes are rare: weighting is dynamic resampling without copying rows), and multinomial
  naive Bayes with heavy smoothing (robust with very few labels). Their hyper-parameters are the ones ASReview
  published after optimising on the 24 SYNERGY sets (its ELAS u4 and u3 models), not tuned on our benchmarks;
* presumed excludes: at each training, 100 random unlabelled records join the excludes (Cormack & Grossman's
  AutoTAR, the baseline model implementation for TAR): it helps most on hard sets, where the few labels do not
  yet say what an ordinary record looks like;
* ensemble: the mean of the two learners' rank percentiles, so neither's scale dominates and a set where one
  learner fails (naive Bayes on very long, varied abstracts; the SVM with a single include) is carried by the
  other.

Below :data:`MIN_INCLUDED` includes or :data:`MIN_EXCLUDED` excludes (the store asks for more, see
:mod:`ranking.service`) the score is the cosine similarity to the centroid of what is known to be relevant: the included
studies and the protocol's search terms.

Nothing here touches the store: it works on texts and labels, so ``simulate`` and the store share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.svm import LinearSVC

#: fewer decisions than this and the model falls back to similarity to the includes + protocol terms
MIN_INCLUDED = 1
MIN_EXCLUDED = 1
WHY_TERMS = 3
HASH_FEATURES = 2**21        # collisions negligible for a review's vocabulary (~10^5-10^6 unigrams + bigrams)
MAX_DF = 0.95
SVM_C = 0.11                 # strong regularisation: few labels, tens of thousands of features
SVM_INCLUDE_RATIO = 9.8      # includes carry ~10x the total weight of the excludes
NB_ALPHA = 3.822
NB_INCLUDE_RATIO = 1.2
PRESUMED_EXCLUDES = 100      # random unlabelled records added as excludes at each training (AutoTAR)
TITLE_WEIGHT = 2             # the title is read twice: its terms outweigh the abstract's (measured, docs/ranking.md)
_TAGS = re.compile(r"<[^>]{0,200}>")
_WORDS = r"(?u)\b[^\W\d_][\w-]*[^\W_]\b"  # words of 2+ characters starting with a letter (no bare numbers)


def document(title: str | None, abstract: str | None, keywords: Sequence[str] | None = None) -> str:
    """The text a record is judged on: title (:data:`TITLE_WEIGHT` times), abstract and keywords (HTML tags of
    exports removed). The title says what a study is about in a dozen words, the abstract mostly how it was done;
    counting the title's terms twice (sublinear TF: 1 + ln 2 instead of 1) raised WSS@95 on two of the three
    labelled sets and kept the third (``benchmarks/ranking_variants.py``)."""
    parts = [title or ""] * TITLE_WEIGHT + [abstract or "", " ".join(keywords or [])]
    return _TAGS.sub(" ", " . ".join(p for p in parts if p))


def hasher() -> HashingVectorizer:
    """Word unigrams + bigrams hashed into :data:`HASH_FEATURES` columns (raw counts; TF-IDF is applied after)."""
    return HashingVectorizer(ngram_range=(1, 2), token_pattern=_WORDS, alternate_sign=False, norm=None,
                             n_features=HASH_FEATURES, dtype=np.float32)


@dataclass(frozen=True)
class Terms:
    """Maps feature columns back to the words behind them. Hashing keeps no vocabulary (that is what makes it
    fast), so the words of a text are hashed again, only for the texts whose "why" is asked."""

    hashing: HashingVectorizer
    kept: np.ndarray            # hashed column of each feature column, sorted

    def columns(self, text: str) -> dict[int, str]:
        """Feature column -> word or bigram, for the terms of ``text``."""
        terms = list(dict.fromkeys(self.hashing.build_analyzer()(text)))
        return {int(p): t for t, p in zip(terms, self._columns(terms), strict=True) if p >= 0}

    def names(self, texts: Sequence[str], wanted: Sequence[Sequence[int]]) -> list[list[str]]:
        """For each text, the terms behind its ``wanted`` feature columns, in that order.

        Each distinct term of the texts is hashed once; a column two terms share (a collision) is named by the
        one the text contains."""
        analyse = self.hashing.build_analyzer()
        per_text = [analyse(t) for t in texts]
        distinct = list(dict.fromkeys(term for terms in per_text for term in terms))
        cols = self._columns(distinct)
        needed = np.fromiter({c for w in wanted for c in w}, dtype=np.int64)
        by_col: dict[int, list[str]] = {}
        for i in np.flatnonzero(np.isin(cols, needed)):
            by_col.setdefault(int(cols[i]), []).append(distinct[i])
        out: list[list[str]] = []
        for terms, cols_wanted in zip(per_text, wanted, strict=True):
            names = []
            for col in cols_wanted:
                options = by_col.get(col, [])
                if len(options) > 1:
                    present = set(terms)
                    options = [t for t in options if t in present]
                if options:
                    names.append(options[0])
            out.append(names)
        return out

    def _columns(self, terms: Sequence[str]) -> np.ndarray:
        """The feature column of each term (-1 when the term was dropped or never seen)."""
        if not terms or not len(self.kept):
            return np.full(len(terms), -1, dtype=np.int64)
        hashed = FeatureHasher(n_features=HASH_FEATURES, input_type="string", alternate_sign=False).transform(
            [[t] for t in terms]).indices
        pos = np.minimum(np.searchsorted(self.kept, hashed), len(self.kept) - 1)
        return np.where(self.kept[pos] == hashed, pos, -1)


def featurise(texts: Sequence[str]) -> tuple[sparse.csr_matrix, Terms]:
    """TF-IDF matrix of ``texts``: hashed unigram + bigram counts, terms in fewer than two texts (or in more than
    95%) dropped, sublinear TF, IDF fitted on these texts (the pool's own weights, as in ASReview), rows
    L2-normalised."""
    hashing = hasher()
    counts = hashing.transform(list(texts)).tocsr()
    df = np.bincount(counts.indices, minlength=HASH_FEATURES)
    min_df = 2 if len(texts) >= 50 else 1
    kept = np.flatnonzero((df >= min_df) & (df <= max(min_df, MAX_DF * len(texts))))
    if kept.size == 0:  # tiny or empty pool: keep every term there is
        kept = np.flatnonzero(df > 0)
    counts = counts[:, kept]
    matrix = TfidfTransformer(sublinear_tf=True).fit_transform(counts) if kept.size else counts
    return sparse.csr_matrix(matrix, dtype=np.float32), Terms(hashing, kept)


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
    weights: np.ndarray                     # per-feature weight used for scores' "why" (the SVM's, or similarity)
    bias: float = 0.0
    nb_weights: np.ndarray | None = None    # naive Bayes log-likelihood ratio per feature
    nb_bias: float = 0.0

    def score(self, x: sparse.csr_matrix) -> np.ndarray:
        """Higher is more likely relevant; comparable within one call only (rank percentiles, or cosine).

        Both learners are linear in the features, so each score is one sparse product (no per-call checks):
        the SVM's decision function, and naive Bayes' log P(include|x) − log P(exclude|x)."""
        if x.shape[0] == 0:
            return np.zeros(0)
        if self.method == "similarity":
            return np.asarray(x @ self.weights).ravel()
        assert self.nb_weights is not None
        svm = np.asarray(x @ self.weights).ravel() + self.bias
        nb = np.asarray(x @ self.nb_weights).ravel() + self.nb_bias
        return (_percentile(svm) + _percentile(nb)) / 2


def fit(x: sparse.csr_matrix, labels: np.ndarray, *, anchor: np.ndarray | None = None,
        force_similarity: bool = False, presumed_excludes: sparse.csr_matrix | None = None) -> Fitted:
    """Train on the rows of ``x`` with 0/1 ``labels``; similarity to ``anchor`` + includes when too few labels.

    ``anchor`` is a feature-space vector of what is known relevant without decisions (the protocol's terms).
    ``presumed_excludes`` are random unlabelled records trained on as excludes (see :func:`presumed_sample`).
    """
    labels = np.asarray(labels)
    if presumed_excludes is not None and presumed_excludes.shape[0] and not force_similarity:
        x = sparse.vstack([x, presumed_excludes]).tocsr()
        labels = np.concatenate([labels, np.zeros(presumed_excludes.shape[0], dtype=labels.dtype)])
    n_inc = int((labels == 1).sum())
    n_exc = int((labels == 0).sum())
    if force_similarity or n_inc < MIN_INCLUDED or n_exc < MIN_EXCLUDED:
        return similarity(x[labels == 1], anchor, n_features=x.shape[1])
    svm = LinearSVC(C=SVM_C, random_state=0)  # liblinear shuffles: fix it so a seed gives one order
    svm.fit(x, labels, sample_weight=include_weights(labels, SVM_INCLUDE_RATIO))
    nb_w, nb_b = naive_bayes(x, labels, include_weights(labels, NB_INCLUDE_RATIO), NB_ALPHA)
    return Fitted("model", np.asarray(svm.coef_, dtype=float).ravel(), float(svm.intercept_[0]), nb_w, nb_b)


def naive_bayes(x: sparse.csr_matrix, labels: np.ndarray, weight: np.ndarray,
                alpha: float) -> tuple[np.ndarray, float]:
    """Multinomial naive Bayes (as scikit-learn's, Lidstone smoothing ``alpha``) reduced to what ranking needs:
    the per-feature log-likelihood ratio and the log prior ratio of include vs exclude."""
    log_probs, priors = [], []
    for cls in (0, 1):
        rows = labels == cls
        counts = np.asarray(x[rows].T @ weight[rows]).ravel() + alpha
        log_probs.append(np.log(counts) - np.log(counts.sum()))
        priors.append(float(weight[rows].sum()))
    total = priors[0] + priors[1]
    return log_probs[1] - log_probs[0], float(np.log(priors[1] / total) - np.log(priors[0] / total))


def presumed_sample(unlabelled: np.ndarray, rng: np.random.Generator, k: int = PRESUMED_EXCLUDES) -> np.ndarray:
    """``k`` random unlabelled rows to train on as excludes (Cormack & Grossman's AutoTAR): includes are rare, so a
    random record is almost surely irrelevant, and a few hundred of them teach the model what the *typical*
    record looks like long before the team has excluded many — the learner then ranks by what sets the includes
    apart, not by what they share with everything else. Drawn afresh at every training."""
    if len(unlabelled) <= k:
        return unlabelled
    return rng.choice(unlabelled, size=k, replace=False)


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


def why(fitted: Fitted, x: sparse.csr_matrix, terms: Terms, texts: Sequence[str],
        rows: Sequence[int] | None = None, k: int = WHY_TERMS) -> list[list[str]]:
    """For each of ``rows`` (default all), the ``k`` terms that raise its score most (TF-IDF × weight, > 0)."""
    w = fitted.weights
    x = x.tocsr()
    rows = range(x.shape[0]) if rows is None else rows
    wanted: list[list[int]] = []
    for i in rows:
        lo, hi = x.indptr[i], x.indptr[i + 1]
        cols, vals = x.indices[lo:hi], x.data[lo:hi]
        contrib = vals * w[cols]
        wanted.append([int(cols[j]) for j in np.argsort(-contrib)[:k] if contrib[j] > 0])
    explained = [i for i, cols in zip(rows, wanted, strict=True) if cols]
    named = iter(terms.names([texts[i] for i in explained], [c for c in wanted if c]))
    return [next(named) if cols else [] for cols in wanted]
