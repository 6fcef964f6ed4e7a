"""Typed HTTP errors: a view raises one, and the single handler in :mod:`web.app` renders it (datasette-style)."""

from __future__ import annotations


class HTTPError(Exception):
    """Base: ``status`` and a one-line message safe to show the user."""

    status: int = 500
    title: str = "Something went wrong"

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.title
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(HTTPError):
    status, title = 400, "Bad request"


class LoginRequired(HTTPError):
    """No (live) session: HTML requests are sent to the login page, with where they were going."""

    status, title = 401, "Please sign in"

    def __init__(self, next_url: str = "/", message: str | None = None) -> None:
        self.next_url = next_url
        super().__init__(message)


class Forbidden(HTTPError):
    status, title = 403, "Forbidden"


class CSRFError(Forbidden):
    title = "The form expired or did not come from this site; reload the page and try again"


class NotFound(HTTPError):
    status, title = 404, "Not found"


class Conflict(HTTPError):
    status, title = 409, "Conflict"


class TooManyRequests(HTTPError):
    status, title = 429, "Too many attempts"

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class PayloadTooLarge(HTTPError):
    status, title = 413, "Too large"
