"""Where the command line's log lines go: one line per problem on stderr, everything (tracebacks too) in a log file.

Prefect installs its own console handler on the root logger when it is imported and logs every failed flow
and task run with a full traceback; a user of ``livereview run`` should see one line per failed source and the
summary table instead. So the CLI replaces the root handlers: stderr gets warnings and errors as single lines
(the exception's type and message, no traceback) and no Prefect run chatter; ``<data dir>/livereview.log``
gets every record at ``LIVEREVIEW_LOG_LEVEL`` in full. ``--verbose`` puts those full records, tracebacks
included, on stderr as well.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

LOG_FILE_NAME = "livereview.log"
# Prefect's own per-run loggers: "Beginning flow run", "Finished in state Failed", each failure's traceback
_PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
CRASH_LOGGER = "livereview.cli.crash"  # an unexpected error's traceback: log file only (the CLI prints its own line)
_FULL_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

verbose = False  # set by the root command's --verbose
#: set by a command that prints a summary of the run it starts (``livereview run``): records a flow marks as
#: repeated in that summary (``extra={IN_RUN_SUMMARY: True}``) go to the log file only, not to the console too
summary_follows = False
IN_RUN_SUMMARY = "in_run_summary"


class OneLineFormatter(logging.Formatter):
    """``level: first line of the message[: ExceptionType: message]`` — never a traceback."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().strip().splitlines()
        line = f"{record.levelname.lower()}: {message[0] if message else ''}"
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            detail = " ".join(str(exc).split())
            line += f": {type(exc).__name__}" + (f": {detail[:200]}" if detail else "")
        return line


class _QuietFilter(logging.Filter):
    """Keeps Prefect's per-run records (they repeat our own failure line with a traceback) and the crash record
    (the CLI prints its own line) off the console."""

    def filter(self, record: logging.LogRecord) -> bool:
        if summary_follows and getattr(record, IN_RUN_SUMMARY, False):
            return False
        return not record.name.startswith(_PREFECT_RUN_LOGGERS) and record.name != CRASH_LOGGER


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test runner swaps it per command)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # noqa: ANN001
        pass


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """Opened on the first record, and only once the data dir exists (``init`` makes it): a read command on a
    machine without a store must not create one."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None and not Path(self.baseFilename).parent.is_dir():
            return
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - a read-only data dir must not stop us
        pass


def log_file(data_dir: Path) -> Path:
    return data_dir / LOG_FILE_NAME


def remove_handlers() -> None:
    """Take down what :func:`setup_logging` installed (and Prefect's console handler), closing the log file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_livereview", False) or type(handler).__module__.startswith("prefect"):
            root.removeHandler(handler)
            handler.close()


def setup_logging(level_name: str, data_dir: Path | None) -> Path | None:
    """Route log records: one line each to stderr (full with ``--verbose``), full records to the log file.

    Returns the log file (None without a data dir). Called again, it replaces what it installed before.
    """
    level = getattr(logging, level_name.upper(), logging.INFO)
    remove_handlers()
    root = logging.getLogger()
    root.setLevel(level)

    console = _StderrHandler()
    console.setLevel(level if verbose else max(level, logging.WARNING))  # INFO chatter: log file (or --verbose)
    if verbose:
        console.setFormatter(logging.Formatter(_FULL_FORMAT))
    else:
        console.setFormatter(OneLineFormatter())
        console.addFilter(_QuietFilter())
    console._livereview = True  # type: ignore[attr-defined]
    root.addHandler(console)

    path = log_file(data_dir) if data_dir is not None else None
    if path is not None:
        file = _LogFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8", delay=True)
        file.setLevel(level)
        file.setFormatter(logging.Formatter(_FULL_FORMAT))
        file._livereview = True  # type: ignore[attr-defined]
        root.addHandler(file)
    # Prefect's run loggers also keep their own API handler; they must reach the root (and so the file)
    for name in _PREFECT_RUN_LOGGERS:
        logging.getLogger(name).propagate = True
    return path
