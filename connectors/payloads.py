"""Payload checks every JSON source needs: an HTML error page, an empty body or truncated JSON is one typed error."""

from __future__ import annotations

import json
import re
from typing import Any

from livereview.errors import SourceParseError
from livereview.records.normalise import clean_text


def decode_json(payload: bytes, *, source: str, url: str | None = None, content_type: str = "") -> Any:
    """The decoded JSON, or :class:`SourceParseError` naming the source and what came instead."""
    head = payload.lstrip()[:512].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")):
        title = re.search(rb"<title[^>]*>(.*?)</title>", payload[:4096], re.IGNORECASE | re.DOTALL)
        hint = f" ({clean_text(title.group(1).decode('utf-8', 'replace'))})" if title else ""
        raise SourceParseError(source, f"answered with an HTML page instead of JSON{hint}", url=url)
    if not payload.strip():
        raise SourceParseError(source, "empty response body, expected JSON", url=url)
    try:
        return json.loads(payload)
    except UnicodeDecodeError as exc:
        raise SourceParseError(source, f"response is not UTF-8 JSON: {exc.reason}", url=url) from exc
    except json.JSONDecodeError as exc:
        start = clean_text(payload[:60].decode("utf-8", "replace")) if exc.pos == 0 else None
        detail = f"body starts {start!r}" if start else f"{exc.msg} at char {exc.pos} of {len(payload)}"
        raise SourceParseError(source, f"response is not valid JSON, truncated or malformed ({detail})",
                               url=url) from exc
