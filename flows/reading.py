"""Reading a large reference file on a second core: parse and prepare in a child process, match in this one.

``livereview import`` and ``livereview dedupe`` spend most of their time on two steps that need nothing from
each other's state: parsing the file into records (and the records into :class:`dedup.prep.Prepared`
match keys), and matching them (plus, for an import, writing the store). For a file of a megabyte or more
(:data:`BACKGROUND_MIN_BYTES`) the first step runs in a child process started for the file
(``python -m flows.reading``, which imports only the readers and the match keys' code), which hands the
records over in batches while this process matches and writes the ones before; a smaller file, where
starting a process costs more than it saves, is read here.

Either way the caller sees the same thing: the format (or the :class:`InputFileError` for a file that cannot
be read) before the records, then (record, prepared) pairs in file order, then the error of a record damaged
late in the file. The child's log records (a reader's warnings) are handed to this process's loggers. The
child exits when the records run out, when this side stops reading (it is terminated), or when this process
dies (its pipes break). The file's bytes go to the child through its stdin: the file is still read once.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from livereview.connectors.files import open_records
from livereview.dedup.prep import Prepared, prepare
from livereview.errors import LiveReviewError
from livereview.records.model import Record

#: files this size or larger are read by a child process (starting one costs about a third of a second)
BACKGROUND_MIN_BYTES = 1 << 20
#: records per message from the child: large enough that pickling costs little per record, small enough that
#: the first arrive soon and a batch in flight holds little memory
BATCH = 500
#: batches this process holds ready (taken off the pipe) before the child has to wait
AHEAD = 12

Pairs = Iterator[tuple[Record, Prepared]]

_HEADER = struct.Struct("<Q")  # each message: its length, then a pickled (kind, value)


def read_prepared(path: Path, data: bytes, *, fmt: str, source: str,
                  background_min_bytes: int | None = None) -> tuple[str, Pairs]:
    """The file's format and its records with their match keys, as :func:`connectors.files.open_records` reads
    them (``data`` is the file's bytes). Read in a child process when ``data`` is at least
    ``background_min_bytes`` long (default :data:`BACKGROUND_MIN_BYTES`); close the iterator if it is not read
    to the end."""
    threshold = BACKGROUND_MIN_BYTES if background_min_bytes is None else background_min_bytes
    if len(data) < threshold:
        fmt, records = open_records(path, fmt=fmt, source=source, data=data)
        return fmt, ((record, prepare(record)) for record in records)
    return _Background(path).start(data, fmt=fmt, source=source)


class _Background:
    """This side of one child reader: start it, take its messages, stop it.

    A thread takes the child's messages off the pipe as they come (up to :data:`AHEAD` batches ahead of the
    consumer): without it the child could send only one batch and then wait while the consumer matched and
    wrote a whole chunk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None
        self.messages: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self.stopping = threading.Event()
        self.pump = threading.Thread(target=self._pump, daemon=True, name="livereview-reader-pump")

    def start(self, data: bytes, *, fmt: str, source: str) -> tuple[str, Pairs]:
        env = dict(os.environ)  # the same interpreter: the child finds the installed livereview package as we do
        self.process = subprocess.Popen(  # a plain command (no shell), the file name an argument
            [sys.executable, "-m", "livereview.flows.reading", str(self.path), fmt, source],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        try:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(data)
                self.process.stdin.close()
            except OSError as err:
                raise self.died() from err
            self.pump.start()
            kind, value = self.receive()
            if kind != "format":  # pragma: no cover - the child sends the format or an error first
                raise LiveReviewError(f"{self.path}: the reading process sent {kind!r} before the format")
        except BaseException:
            self.stop()
            raise
        return value, _Pairs(self)

    def _pump(self) -> None:
        """The thread: the pipe's messages into the queue (None once the pipe ends), until told to stop."""
        assert self.process is not None and self.process.stdout is not None
        stream = self.process.stdout
        while not self.stopping.is_set():
            message = _read_message(stream)
            while not self.stopping.is_set():
                try:
                    self.messages.put(message, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if message is None:
                return

    def died(self) -> LiveReviewError:
        assert self.process is not None
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        return LiveReviewError(f"{self.path}: the process reading the file stopped unexpectedly (exit code {code})")

    def receive(self) -> tuple[str, Any]:
        """The child's next message: log records are handled on the way; an error is raised."""
        while True:
            message = self.messages.get()
            if message is None:
                raise self.died()
            # our own child over a private pipe, not outside input
            kind, value = pickle.loads(message)  # noqa: S301
            if kind == "log":
                logger = logging.getLogger(value.name)
                if logger.isEnabledFor(value.levelno):
                    logger.handle(value)
            elif kind == "error":
                raise value
            else:
                return kind, value

    def pairs(self) -> Pairs:
        try:
            while True:
                kind, batch = self.receive()
                if kind == "end":
                    break
                yield from batch
        finally:
            self.stop()

    def stop(self) -> None:
        """End the child: it has finished (waited for), or this side stopped reading (terminated)."""
        self.stopping.set()
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.pump.is_alive():
            self.pump.join(timeout=5)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


class _Pairs(Iterator[tuple[Record, Prepared]]):
    """The records as the child sends them; :meth:`close` stops the child even before the first is taken (an
    import that gives up waiting for the writer lock)."""

    def __init__(self, background: _Background) -> None:
        self.background = background
        self.batches = background.pairs()

    def __next__(self) -> tuple[Record, Prepared]:
        return next(self.batches)

    def close(self) -> None:
        self.batches.close()
        self.background.stop()


def _read_message(stream: IO[bytes]) -> bytes | None:
    """One message off the pipe; None at its end (the child finished, or died)."""
    try:
        header = stream.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack(header)
        message = stream.read(size)
    except (OSError, ValueError):  # ValueError: the pipe was closed by stop()
        return None
    return message if len(message) == size else None


# -- the child --------------------------------------------------------------------------------------------------
class _LogToParent(logging.Handler):
    """The child's log records, sent to the parent to be handled by its loggers (file log, one-line stderr)."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__()
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # the arguments may not pickle
        record.exc_info = record.exc_text = None
        _send(self.out, "log", record)


def _send(out: IO[bytes], kind: str, value: Any) -> None:
    message = pickle.dumps((kind, value), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(message)))
    out.write(message)
    out.flush()


def _child(path: str, fmt: str, source: str) -> None:
    """The child process: the bytes from stdin; parse, prepare, send batches on stdout; exit when done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops this process
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing else may write to the message pipe
    root = logging.getLogger()
    root.handlers[:] = [_LogToParent(out)]
    root.setLevel(logging.INFO)
    try:
        data = sys.stdin.buffer.read()
        fmt, records = open_records(Path(path), fmt=fmt, source=source, data=data)
        del data
        _send(out, "format", fmt)
        while batch := list(islice(records, BATCH)):
            _send(out, "records", [(record, prepare(record)) for record in batch])
        _send(out, "end", None)
    except OSError:
        return  # the parent stopped reading or is gone: nothing to tell anyone
    except BaseException as err:  # noqa: BLE001 - every failure goes to the parent, which raises it
        try:
            try:
                _send(out, "error", err)
            except (pickle.PicklingError, TypeError, AttributeError):  # the error does not pickle: its message does
                _send(out, "error", LiveReviewError(f"{path}: reading failed: {type(err).__name__}: {err}"))
        except OSError:
            pass  # the parent is gone: nobody to tell


if __name__ == "__main__":
    _child(*sys.argv[1:4])
