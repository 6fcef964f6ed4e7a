"""Retraining the relevance ranker as decisions arrive, in the background: the page never waits for training.

After each decision the app asks :func:`ranking.retrain_if_changed`, which trains only when an include was
decided, new works arrived or a batch of decisions piled up (else it returns at once). One training at a time
per process: a decision made while one runs is picked up by the next.

Under load (issue 24) a training is CPU work in the web process and its write replaces every open work's score:
so trainings started from the web are at least :data:`RETRAIN_GAP` seconds apart per store. A decision made
sooner starts a thread that waits out the gap and then trains once for everything decided meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine

from livereview.protocols.model import Protocol

log = logging.getLogger(__name__)
_RUNNING = threading.Lock()
#: seconds between the end of one training started from the web and the start of the next (per store)
RETRAIN_GAP = 30.0
_last_done: dict[str, float] = {}


def retrain_soon(engine: Engine, protocol: Protocol, *, gap: float = RETRAIN_GAP) -> threading.Thread | None:
    """Start a background retraining unless one is already running or waiting; returns its thread (None when
    skipped). It trains no sooner than ``gap`` seconds after the last one on this store ended."""
    if not _RUNNING.acquire(blocking=False):
        return None
    store = engine.url.render_as_string(hide_password=True)

    def work() -> None:
        try:
            wait = _last_done.get(store, float("-inf")) + gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            from livereview.ranking import retrain_if_changed

            retrain_if_changed(engine, protocol)
        except Exception as exc:  # a failed training must never break screening: the old scores stay
            log.warning("ranking: background retraining failed: %s", exc)
        finally:
            _last_done[store] = time.monotonic()
            _RUNNING.release()

    thread = threading.Thread(target=work, name="livereview-retrain", daemon=True)
    thread.start()
    return thread
