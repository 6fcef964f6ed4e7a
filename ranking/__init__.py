"""Ranking the screening queue by predicted relevance, learned from the team's decisions.

One small interface for the digest, the web queue and ``livereview simulate``:

* :func:`scores_for` — the persisted ``(score, why_terms)`` of works (instant; never trains);
* :func:`retrain` / :func:`retrain_if_changed` — train on the store's decisions and persist scores of every
  open work (after each monitor run, from ``livereview rank``, or scheduled by the web app after decisions);
* :func:`rank` — train now and rank open works without persisting; :func:`train` — the same on plain texts;
* :func:`scores_or_rank` — persisted scores, or a ranking made now when some work has none yet;
* :func:`stop_estimate` — the stopping rule on the store (may the team stop screening?), see :mod:`ranking.stopping`.

The model itself is in :mod:`ranking.model`, the simulation and its metrics in :mod:`ranking.simulate`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livereview.ranking.service import (
        Ranking,
        Scored,
        protocol_terms,
        rank,
        retrain,
        retrain_if_changed,
        scores_for,
        scores_or_rank,
        stop_estimate,
        train,
    )

__all__ = ["Ranking", "Scored", "protocol_terms", "rank", "retrain", "retrain_if_changed", "scores_for",
           "scores_or_rank", "stop_estimate", "train"]


def __getattr__(name: str) -> Any:
    """Load the store side on first use: ``simulate`` (ranking.simulate) then starts without the store's imports."""
    if name in __all__:
        return getattr(import_module("livereview.ranking.service"), name)
    raise AttributeError(f"module 'ranking' has no attribute {name!r}")
