"""How long does ``livereview run --source pubmed`` take offline, end to end, before and after the quiet-CLI work?

Run: ``python benchmarks/offline_run.py [--before-ref main] [--skip-before]``. Needs no network (that is the point).

For each tree — a checkout of ``--before-ref`` in a temporary git worktree ("before") and this tree ("after") —
and for each way of being offline — PubMed's base URL on a closed loopback port (connection refused) and on a
host that does not resolve (``.invalid``, DNS failure) — it makes a fresh store (``livereview init``, not timed),
then times ``python -m cli run --source pubmed --no-alert`` from start to exit, with no Prefect server configured
(``PREFECT_API_URL`` unset: a one-off local run) and a private ``PREFECT_HOME`` whose database is created before
timing. It prints the seconds, the exit code and how many Python tracebacks reached the terminal. Both trees run
with this venv's interpreter from their own folder (the folder comes first on ``sys.path``).

Target: after, under 15 s and no traceback. Exits 1 if the after-run misses it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 15.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(work: Path, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEREVIEW_", "PREFECT_"))}
    env.update({
        "LIVEREVIEW_DATA_DIR": str(work / "data"),
        "LIVEREVIEW_PUBMED_BASE_URL": base_url,
        "PREFECT_HOME": str(work.parent / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def measure(tree: Path, work: Path, base_url: str) -> tuple[float, int, int, str]:
    """Seconds, exit code, tracebacks on the terminal, and the last stderr line of one offline run."""
    work.mkdir(parents=True)
    env = env_for(work, base_url)
    subprocess.run([sys.executable, "-m", "livereview.cli", "init"], cwd=tree, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "livereview.cli", "run", "--source", "pubmed", "--no-alert"],
            cwd=tree, env=env,
                          capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return seconds, proc.returncode, out.count("Traceback"), lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-ref", default="main", help="git ref measured as 'before' (default: main)")
    parser.add_argument("--skip-before", action="store_true", help="measure this tree only")
    args = parser.parse_args()

    cases = {"refused": f"http://127.0.0.1:{closed_port()}/", "dns": "http://eutils.no-such-host.invalid/"}
    with tempfile.TemporaryDirectory(prefix="offline-run-") as tmp:
        tmp_path = Path(tmp)
        trees = {"after": ROOT}
        if not args.skip_before:
            before = tmp_path / "before-tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), args.before_ref],
                           check=True, capture_output=True)
            trees = {"before": before, "after": ROOT}
        try:
            home = tmp_path / "prefect-home"
            subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                           env=env_for(tmp_path / "unused", "http://x/") | {"PREFECT_HOME": str(home)},
                           check=True, capture_output=True)
            results = {}
            for label, tree in trees.items():
                for case, url in cases.items():
                    seconds, code, tracebacks, last = measure(tree, tmp_path / f"{label}-{case}" / "w", url)
                    results[(label, case)] = (seconds, tracebacks)
                    print(f"{label:6} {case:7} {seconds:6.1f} s  exit {code}  tracebacks {tracebacks}  | {last[:110]}",
                          flush=True)
        finally:
            if not args.skip_before:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees["before"])],
                               capture_output=True)
    worst = max(v for (label, _), (v, _t) in results.items() if label == "after")
    clean = all(t == 0 for (label, _), (_v, t) in results.items() if label == "after")
    print(f"after: slowest {worst:.1f} s (target < {TARGET_SECONDS:g} s), tracebacks: {'none' if clean else 'SOME'}")
    return 0 if worst < TARGET_SECONDS and clean else 1


if __name__ == "__main__":
    sys.exit(main())
