"""One error tree for the whole project.

Every failure a user can cause or meet (a bad file, a bad protocol, a source that answers
garbage) is a subclass of :class:`LiveReviewError`, carries *where* (file, source, field, URL)
and *what*, and renders as a single line, so the CLI can print it and exit non-zero without a
traceback. Raise them ``from`` the underlying cause.
"""

from __future__ import annotations

from typing import Any

from livereview.secrets import scrub


class LiveReviewError(Exception):
    """Base class: ``str(err)`` is a one-line, user-facing message, with every known secret scrubbed."""

    exit_code: int = 1

    def __init__(self, *args: object) -> None:
        # scrubbed at construction, so the message, repr() and any traceback Prefect logs never carry a secret
        super().__init__(*(scrub(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:  # always one line
        return " ".join(super().__str__().split())


class ConfigError(LiveReviewError):
    """A setting (environment variable) is missing or malformed."""

    exit_code = 2


class ProtocolError(LiveReviewError):
    """The review protocol file is unreadable or invalid."""

    exit_code = 3

    def __init__(self, path: str, problem: str, field: str | None = None) -> None:
        self.path, self.field, self.problem = str(path), field, problem
        where = f"{self.path}: {field}: " if field else f"{self.path}: "
        super().__init__(where + problem)


class InputFileError(LiveReviewError):
    """A reference file (export, saved response) cannot be read as the format asked for."""

    exit_code = 3

    def __init__(self, path: str, problem: str, *, line: int | None = None) -> None:
        self.path, self.problem, self.line = str(path), problem, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by its parts (a file read in a child process raises it in the parent)."""
        return _input_file_error, (self.path, self.problem, self.line)


def _input_file_error(path: str, problem: str, line: int | None) -> InputFileError:
    return InputFileError(path, problem, line=line)


class SourceError(LiveReviewError):
    """A bibliographic source failed: HTTP error, bad payload, exhausted retries."""

    exit_code = 4

    def __init__(self, source: str, problem: str, *, url: str | None = None, status: int | None = None) -> None:
        self.source, self.problem, self.url, self.status = source, scrub(problem), url and scrub(url), status
        msg = f"{source}: {problem}"
        if status is not None:
            msg += f" (HTTP {status})"
        if url:
            msg += f" [{url if len(url) <= 160 else url[:159] + '…'}]"
        super().__init__(msg)


class SourceHTTPError(SourceError):
    """The source answered with an error status, or could not be reached after retries."""


class SourceParseError(SourceError):
    """The source answered, but not with the payload expected (HTML page, truncated JSON, <ERROR>)."""


class SourceQueryError(SourceError):
    """The source rejected the query itself (HTTP 400, esearch ERROR): fix the protocol, not the network."""


class CursorError(SourceError):
    """Paging went wrong: a repeated or invalid cursor."""


class MissingCredentialsError(SourceError):
    """The source needs a key that was not configured; the run skips it with a warning."""


class StoreError(LiveReviewError):
    """The database refused an operation."""

    exit_code = 5


class RunLockedError(StoreError):
    """Another monitor run holds the lock: two runs must never write at once."""

    exit_code = 6


class VolumeRefusedError(LiveReviewError):
    """A first (backfill) run would bring more records than the protocol's capacity allows: it did not start."""

    exit_code = 8


class ReleaseError(LiveReviewError):
    """A version of the review cannot be released (open items, the number exists) or read (no such version)."""

    exit_code = 9
