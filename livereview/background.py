"""Work the web app hands to a process of its own (retraining, page recounts): started at a lower CPU priority so
requests get the CPU first, bounded in time, and stopped when the app stops.

One way to start such a process, for ``web/retrain.py`` and ``reports/recount.py`` (issue 24: in the web process
that work took the interpreter from the screening requests).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

#: how much lower than the web process a background process runs (``nice``)
NICENESS = 10
_running: set[subprocess.Popen[Any]] = set()


def run_lower(cmd: Sequence[str], *, timeout: float, stdin: bytes | None = None,
              env: Mapping[str, str] | None = None, keep_stdout: bool = True) -> tuple[int, bytes, bytes]:
    """Run ``cmd`` at :data:`NICENESS` below this process, feeding it ``stdin``; ``(exit code, stdout, stderr)``.
    Killed after ``timeout`` seconds (``subprocess.TimeoutExpired`` is raised once it is gone)."""
    proc = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL, stderr=subprocess.PIPE)
    with contextlib.suppress(AttributeError, OSError):   # no priorities (Windows), or it already ended
        os.setpriority(os.PRIO_PROCESS, proc.pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS))
    _running.add(proc)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    finally:
        _running.discard(proc)
    return proc.returncode, out or b"", err or b""


@atexit.register
def stop_all() -> None:
    """The app stops: so does every background process it started (gone before the app is, so nothing of ours
    still holds the store afterwards)."""
    for proc in list(_running):
        with contextlib.suppress(OSError):
            proc.terminate()
    for proc in list(_running):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=10)
