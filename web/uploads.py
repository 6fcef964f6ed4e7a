"""``multipart/form-data`` bodies (the PDF upload form), read with the standard library: text fields and files.

The body is split on its boundary (fast on a 50 MB file, unlike a line-by-line MIME parser); each part's headers
are read by :mod:`email`. Anything malformed is one :class:`~livereview.web.errors.BadRequest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from livereview.web.errors import BadRequest

MAX_PARTS = 20


@dataclass(frozen=True)
class Upload:
    """One file of a form: the field it came in, the name the browser gave, its bytes."""

    field: str
    filename: str
    data: bytes


def boundary_of(content_type: str) -> bytes:
    header = BytesHeaderParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode())
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        raise BadRequest("malformed upload: no multipart boundary")
    return boundary.encode("latin-1", "replace")


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], list[Upload]]:
    """The text fields (last value wins) and the files of a ``multipart/form-data`` body."""
    delim = b"--" + boundary_of(content_type)
    chunks = body.split(delim)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise BadRequest("malformed upload: the form is cut short (no closing boundary)")
    fields: dict[str, str] = {}
    files: list[Upload] = []
    for chunk in chunks[1:-1][:MAX_PARTS]:
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise BadRequest("malformed upload: a part has no headers")
        content = content.removesuffix(b"\r\n")
        headers = BytesHeaderParser(policy=policy.HTTP).parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise BadRequest("malformed upload: a part has no field name")
        filename = headers.get_filename()
        if filename is not None:
            files.append(Upload(name, str(filename), content))
        else:
            try:
                fields[name] = content.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(f"malformed upload: field {name[:40]!r} is not UTF-8") from exc
    return fields, files
