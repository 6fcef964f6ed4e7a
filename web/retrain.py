"""Retraining the relevance ranker as decisions arrive, in the background: the page never waits for training.

After each decision the app asks :func:`ranking.retrain_if_changed`, which trains only when an include was
decided, new works arrived or a batch of decisions piled up (else it returns at once). One training at a time
per process: a decision made while one runs is picked up by the next.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from livereview.protocols.model import Protocol

log = logging.getLogger(__name__)
_RUNNING = threading.Lock()


def retrain_soon(engine: Engine, protocol: Protocol) -> threading.Thread | None:
    """Start a background retraining unless one is already running; returns its thread (None when skipped)."""
    if not _RUNNING.acquire(blocking=False):
        return None

    def work() -> None:
        try:
            from livereview.ranking import retrain_if_changed

            retrain_if_changed(engine, protocol)
        except Exception as exc:  # a failed training must never break screening: the old scores stay
            log.warning("ranking: background retraining failed: %s", exc)
        finally:
            _RUNNING.release()

    thread = threading.Thread(target=work, name="livereview-retrain", daemon=True)
    thread.start()
    return thread
