"""A page's recount in a process of its own, at a lower CPU priority: the web process only waits for the answer.

The dashboard's and the PRISMA page's counts are seconds of Python on a big store. Recounted in the web process
they took the interpreter (the GIL) from the screening requests (issue 24), so the page cache
(:class:`livereview.reports.dashboard.StaleWhileRevalidate`) hands a :class:`Recount` — a module-level function
and plain arguments — to ``python -m livereview.reports.recount``, which reads it (pickled) from its standard
input, runs it on its own connection to the store and writes the result (pickled) to its standard output. Only
this module's own processes are read this way. A recount still running when the web app stops is stopped.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from livereview.background import run_lower

#: seconds a recount may take before it is stopped (the page keeps its previous numbers)
RECOUNT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Recount:
    """A recount another process can run: ``function(session, **kwargs)`` on the store at ``url``."""

    function: Callable[..., Any]
    url: str
    kwargs: dict[str, Any]

    @classmethod
    def on(cls, engine: Engine, function: Callable[..., Any], **kwargs: Any) -> Recount | None:
        """A recount of ``engine``'s store; None for a store no other process can open (SQLite in memory)."""
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            return None
        return cls(function, engine.url.render_as_string(hide_password=False), kwargs)


def run_recount(job: Recount) -> Any:
    """Run ``job`` on its store, here (what the recount process does)."""
    from livereview.store.db import make_engine, reading

    engine = make_engine(job.url)
    try:
        with reading(engine) as session:
            return job.function(session, **job.kwargs)
    finally:
        engine.dispose()


def recount_elsewhere(job: Recount) -> Any:
    """Run ``job`` in a new, lower-priority process and return its result (raises when that process fails)."""
    code, out, err = run_lower([sys.executable, "-m", "livereview.reports.recount"], stdin=pickle.dumps(job),
                               timeout=RECOUNT_TIMEOUT)
    if code:
        last = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"recount process failed (exit {code}): {last[-1] if last else 'no message'}")
    return pickle.loads(out)  # noqa: S301 - our own child process's answer, over its pipe



def main() -> None:
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by recount_elsewhere, our parent
    pickle.dump(run_recount(job), sys.stdout.buffer)


if __name__ == "__main__":
    main()
