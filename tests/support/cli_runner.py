"""The ``livereview`` command run in this process, as its console entry point runs it (``cli.main.main``: one-line
errors, exit codes), with click's test isolation of stdin/stdout/stderr and the environment.

Seconds faster than ``python -m cli`` in a subprocess (no interpreter start, imports done once); use a real process
only where the process is the point (kill -9, locks held by another process, deployments).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from typer.testing import CliRunner


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None) -> CliResult:
    """Run ``livereview ARGS`` with ``env`` added to the environment; returns exit code, stdout and stderr."""
    from livereview.cli.logs import remove_handlers
    from livereview.cli.main import main

    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        else:
            code = 0
        finally:
            remove_handlers()  # the command's log file is closed; the next command installs its own
            sys.stdout.flush()  # a command may write to sys.stdout directly (export)
            sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())
