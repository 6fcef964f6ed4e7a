"""Retraining the relevance ranker as decisions arrive, out of the web process: the page never waits for training.

After a decision the app calls :func:`retrain_soon`. Training is seconds of CPU and writes every open work's
score; in the web process it took the interpreter (the GIL) from the requests and made every decision wait
(issue 24: decision p95 in seconds under 20 reviewers). So it runs in a separate process (``livereview rank
--if-needed``, which trains only when an include was decided, new works arrived or a batch of decisions piled up),
at a lower CPU priority (:data:`livereview.background.NICENESS`), and writes its scores in short transactions
(:func:`livereview.ranking.service.retrain`) that the decisions barely notice.

Debounced per store: at most one training process at a time, started no sooner than :data:`RETRAIN_GAP` seconds
after the previous one ended; a decision made meanwhile is remembered and trained on once the gap is over. So
the ranking follows the decisions within about ``RETRAIN_GAP`` seconds plus one training (a few seconds for
20,000 open works).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

from sqlalchemy.engine import Engine

from livereview.background import run_lower
from livereview.protocols.model import Protocol

log = logging.getLogger(__name__)
#: seconds between the end of one training started from the web and the start of the next (per store)
RETRAIN_GAP = 30.0
#: seconds a training process may take before it is stopped (its scores so far stay; the next one redoes them)
RETRAIN_TIMEOUT = 900.0


class _Trainer:
    """One store's retraining: a thread that waits out the gap and runs the training process while asked to."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pending = False
        self.last_done = float("-inf")


_trainers: dict[str, _Trainer] = {}
_trainers_guard = threading.Lock()



def _trainer(store: str) -> _Trainer:
    with _trainers_guard:
        return _trainers.setdefault(store, _Trainer())


def training_command(protocol: Protocol) -> list[str]:
    """The training process's command line: this interpreter's ``livereview rank --if-needed``."""
    cmd = [sys.executable, "-m", "livereview.cli", "rank", "--if-needed"]
    if protocol.path:
        cmd += ["--protocol", str(protocol.path)]
    return cmd


def run_training(engine: Engine, protocol: Protocol) -> int:
    """Train once in a separate, lower-priority process on the same store; returns its exit code."""
    env = dict(os.environ, LIVEREVIEW_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    try:
        code, _, err = run_lower(training_command(protocol), env=env, timeout=RETRAIN_TIMEOUT, keep_stdout=False)
    except subprocess.TimeoutExpired:
        log.warning("ranking: background retraining stopped after %.0f s (its scores so far stay)", RETRAIN_TIMEOUT)
        return -9
    if code:
        last = err.decode(errors="replace").strip().splitlines()
        log.warning("ranking: background retraining failed (exit %s): %s", code, last[-1] if last else "no message")
    return code


def retrain_soon(engine: Engine, protocol: Protocol, *, gap: float = RETRAIN_GAP) -> threading.Thread | None:
    """Ask for a retraining of ``engine``'s ranker; returns the thread that will run it (None when one that will
    pick this decision up is already waiting or running). It starts no sooner than ``gap`` seconds after the
    last training on this store ended; the thread only waits on the training process (it holds no GIL)."""
    store = engine.url.render_as_string(hide_password=True)
    t = _trainer(store)
    with t.lock:
        t.pending = True
        if t.thread is not None and t.thread.is_alive():
            return None

        def work() -> None:
            while True:
                with t.lock:
                    if not t.pending:
                        t.thread = None
                        return
                    wait = t.last_done + gap - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                with t.lock:
                    t.pending = False   # a decision from now on asks for the next training
                try:
                    run_training(engine, protocol)
                except Exception as exc:  # a failed training must never break screening: the old scores stay
                    log.warning("ranking: background retraining failed: %s", exc)
                finally:
                    t.last_done = time.monotonic()

        t.thread = threading.Thread(target=work, name="livereview-retrain", daemon=True)
        t.thread.start()
        return t.thread
