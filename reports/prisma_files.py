"""PRISMA counts as files: CSV (one row per box, in the diagram's order) and JSON (every field)."""

from __future__ import annotations

import io
import json

from livereview.csvout import CsvWriter
from livereview.store.prisma import PrismaCounts


def to_csv(c: PrismaCounts) -> str:
    buf = io.StringIO()
    w = CsvWriter(buf)
    w.writerow(["as_of", "section", "box", "n"])
    for section, box, n in c.rows():
        w.writerow([c.as_of.strftime("%Y-%m-%d"), section, box, n])
    return buf.getvalue()


def to_json(c: PrismaCounts) -> str:
    return json.dumps(c.as_dict() | {"problems": c.problems()}, indent=2, ensure_ascii=False) + "\n"
