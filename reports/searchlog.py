"""The PRISMA-S search log as files: CSV (every column), and a Markdown or HTML appendix a review can publish."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html import escape

from livereview.csvout import CsvWriter
from livereview.store.searchlog import COLUMNS, DEDUP_METHOD, QueryTotal, SearchLogEntry

HEAD = ("date", "database", "platform", "query", "window", "limits and filters", "found", "after dedup", "new")


def to_csv(entries: Sequence[SearchLogEntry]) -> str:
    buf = io.StringIO()
    w = CsvWriter(buf, COLUMNS)
    w.writeheader()
    for e in entries:
        w.writerow(e.as_row())
    return buf.getvalue()


def _window(e: SearchLogEntry) -> str:
    return f"{e.window_start} to {e.window_end}" if e.window_start else "—"


def _query(e: SearchLogEntry) -> str:
    name = f"[{e.query_name}] " if e.query_name else ""
    return name + (e.query or ("not recorded (add one with `import --query`)" if e.kind == "import" else "—"))


#: what a Markdown viewer would render rather than show: emphasis, code spans, links and images, table cells
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|!~#])")


def _md_cell(text: str) -> str:
    """Text shown as it is by any Markdown viewer: HTML (a ``<script>`` in a query) as entities, Markdown's own
    characters backslash-escaped, line breaks as ``<br>`` (the only markup the cell carries)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\r\n", "\n").replace("\n", "<br>")


#: said wherever the per-domain totals of the log are shown
DOMAIN_LOG_NOTE = ("Each named query's searches added up: a record both queries returned is in both lines; "
                   "the PRISMA page's total counts it once.")


def to_markdown(entries: Sequence[SearchLogEntry], *, title: str = "Search log (PRISMA-S)",
                domains: Sequence[QueryTotal] = ()) -> str:
    lines = [f"# {_md_cell(title)}", "", DEDUP_METHOD, "",
             "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for e in entries:
        cells = [e.date.strftime("%Y-%m-%d"), e.database, e.platform, _query(e), _window(e), e.limits,
                 str(e.found), str(e.after_dedup), str(e.new)]
        if e.status not in ("succeeded", "imported"):
            cells[0] += f" ({e.status})"
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    if not entries:
        lines.append("| no search has run yet |" + " |" * (len(HEAD) - 1))
    if domains:
        lines += ["", "## Per domain", "", DOMAIN_LOG_NOTE, "", "| query | searches | found | after dedup | new |",
                  "|---|---|---|---|---|"]
        lines += [f"| {_md_cell(t.query_name)} | {t.searches} | {t.found} | {t.after_dedup} | {t.new} |"
                  for t in domains]
    return "\n".join(lines) + "\n"


def _query_cell(e: SearchLogEntry, collapse: bool) -> str:
    q = _query(e)
    if not collapse or len(q) <= 140:
        return f"<code>{escape(q)}</code>"
    return (f"<details><summary><code>{escape(q[:120])}…</code></summary><code>{escape(q)}</code></details>")


def to_html_table(entries: Sequence[SearchLogEntry], *, collapse: bool = False) -> str:
    """The table alone (the web page embeds it, long queries folded); every cell escaped."""
    rows = ["<table class=\"searchlog\"><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in HEAD)
            + "</tr></thead><tbody>"]
    for e in entries:
        status = "" if e.status in ("succeeded", "imported") else f" <span class=\"status\">({escape(e.status)})</span>"
        cells = [escape(e.date.strftime("%Y-%m-%d")) + status, escape(e.database), escape(e.platform),
                 _query_cell(e, collapse), escape(_window(e)), escape(e.limits), str(e.found),
                 str(e.after_dedup), str(e.new)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def to_html(entries: Sequence[SearchLogEntry], *, title: str = "Search log (PRISMA-S)") -> str:
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            "<style>body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px;vertical-align:top;text-align:left}"
            "code{white-space:pre-wrap;font-size:11px}</style></head><body>"
            f"<h1>{escape(title)}</h1><p>{escape(DEDUP_METHOD)}</p>\n{to_html_table(entries)}\n</body></html>\n")
