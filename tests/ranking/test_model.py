"""The model on plain texts: hashed features map back to their words, and the "why" terms are the text's own."""

from __future__ import annotations

import numpy as np

from livereview.ranking.model import document, featurise, fit, why

INCLUDES = [f"Homework adherence in cognitive therapy, study {i}: clients did homework between sessions"
            for i in range(6)]
EXCLUDES = [f"Soil nitrogen and maize yield in irrigated fields, survey {i}" for i in range(6)]
QUEUE = ["Therapy homework completion predicts outcome", "Maize fields under drought and soil nitrogen"]


def test_every_feature_of_a_text_maps_back_to_one_of_its_words_or_bigrams():
    texts = INCLUDES + EXCLUDES + QUEUE
    x, terms = featurise(texts)
    named = terms.columns(texts[0])
    row = x[0].tocsr()
    assert set(row.indices) == set(named), "every non-zero column of the row is named"
    assert "homework" in named.values() and "cognitive therapy" in named.values()


def test_the_model_ranks_the_include_like_text_first_and_explains_it_with_its_own_terms():
    texts = INCLUDES + EXCLUDES + QUEUE
    x, terms = featurise(texts)
    labels = np.array([1] * 6 + [0] * 6)
    model = fit(x[:12], labels)
    assert model.method == "model"
    scores = model.score(x[12:])
    assert scores[0] > scores[1]
    reasons = why(model, x, terms, texts, rows=[12, 13])
    assert reasons[0] and all(t in texts[12].lower() for t in reasons[0])
    assert "homework" in reasons[0] or "therapy" in reasons[0]


def test_with_includes_only_the_score_is_similarity_to_them_and_the_protocol_terms():
    texts = INCLUDES + QUEUE
    x, terms = featurise(texts)
    anchor = np.zeros(x.shape[1])
    for col in terms.columns("homework ; therapy"):
        anchor[col] = 1.0
    model = fit(x[:6], np.ones(6, dtype=int), anchor=anchor)
    assert model.method == "similarity"
    s = model.score(x[6:])
    assert s[0] > s[1] and s.min() >= 0.0 and s.max() <= 1.0


def test_a_record_is_judged_on_title_abstract_and_keywords_without_markup():
    assert document("A <i>title</i>", "An abstract", ["kw one", "kw two"]) == (
        "A  title  . A  title  . An abstract . kw one kw two"), "the title counts twice"
    assert document(None, "An abstract") == "An abstract"
    assert document(None, None) == ""
