"""A released version of the review as a reader gets it: the report (HTML, PDF through headless Chromium) and
the evidence table alone (CSV, XLSX, JSON, HTML), rendered from the version's frozen snapshot only
(``store.releases``), so a report of version 2.0 reads the same whatever the team decides after.

The evidence table is shaped like the paper's Tables 2 and 3: coaching and therapy-counselling apart, one row per
included study, the extraction fields as columns, the studies new in this version marked. The PRISMA diagram is
``reports.prisma_diagram``'s, the search summary ``reports.searchlog``'s: one drawing of each in the product.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from livereview.csvout import CsvWriter, neutralise_formula
from livereview.errors import ConfigError, ReleaseError
from livereview.reports.prisma_diagram import prisma_svg
from livereview.reports.searchlog import to_html_table
from livereview.store.prisma import PrismaCounts
from livereview.store.releases import OPEN_KINDS, entry_from_json
from livereview.store.searchlog import DEDUP_METHOD

#: the paper's two evidence tables, by ``domain``; any other domain gets a table of its own after them
DOMAIN_TABLES = {"coaching": "Table 2. Studies in coaching",
                 "therapy-counselling": "Table 3. Studies in therapy and counselling"}
#: extraction fields the report's tables leave to the Study column (the evidence table alone keeps them)
IN_STUDY_COLUMN = ("authors", "year")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _label(field: str) -> str:
    return field.replace("_", " ").replace("-", " ").capitalize()


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value):.0f}"


def citation(row: dict[str, Any]) -> str:
    """``Smith, Jones & Lee (2024)`` from a frozen included-study row."""
    surnames = [a.split(",")[0].strip() for a in row.get("authors") or [] if a]
    who = (surnames[0] + " et al." if len(surnames) > 3 else
           " & ".join([", ".join(surnames[:-1]), surnames[-1]]) if len(surnames) > 1 else
           (surnames[0] if surnames else (row.get("title") or f"work {row['work_id']}")[:60]))
    return f"{who} ({row.get('year') or 'n.d.'})"


def evidence_rows(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per included study: its citation, title, whether it is new, then every extraction field (``domain``
    among them; the work's own domain when the extraction has none)."""
    ext = {r["work_id"]: r for r in snapshot["extraction"]["rows"]}
    fields = snapshot["extraction"]["fields"]
    out = []
    for inc in snapshot["included"]:
        values = dict.fromkeys(fields)
        values.update({k: v for k, v in ext.get(inc["work_id"], {}).items() if k in fields})
        values["domain"] = values.get("domain") or inc.get("domain")
        out.append({"work_id": inc["work_id"], "study": citation(inc), "title": inc.get("title"),
                    "doi": inc.get("doi"), "new": inc["new"], "values": values})
    return out


def evidence_columns(snapshot: dict[str, Any]) -> list[str]:
    return ["work_id", "study", "title", "doi", "new", *snapshot["extraction"]["fields"]]


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: row[k] for k in ("work_id", "study", "title", "doi")}
    flat["new"] = "yes" if row["new"] else ""
    flat.update({k: ("" if v is None else _text(v)) for k, v in row["values"].items()})
    return flat


def evidence_csv(snapshot: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = CsvWriter(buf, evidence_columns(snapshot))
    w.writeheader()
    for row in evidence_rows(snapshot):
        w.writerow(_flat(row))
    return buf.getvalue()


def evidence_json(snapshot: dict[str, Any]) -> str:
    rows = [{**{k: r[k] for k in ("work_id", "study", "title", "doi", "new")}, **r["values"]}
            for r in evidence_rows(snapshot)]
    return json.dumps({"version": snapshot["version"], "fields": snapshot["extraction"]["fields"], "rows": rows},
                      indent=2, ensure_ascii=False) + "\n"


def evidence_xlsx(snapshot: dict[str, Any]) -> bytes:
    """The evidence table as a workbook: one sheet per domain table and one with every study; text that would
    run as a formula is neutralised as in every CSV we write."""
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # an install without the dependency: say so, write nothing
        raise ConfigError("--format xlsx needs openpyxl (pip install openpyxl); use --format csv") from exc
    wb = Workbook()
    columns = evidence_columns(snapshot)
    rows = [_flat(r) for r in evidence_rows(snapshot)]
    sheets = [("All studies", rows)] + [(title.split(".")[0], [r for r in rows if r.get("domain") == d])
                                        for d, title in DOMAIN_TABLES.items()]
    for i, (name, sheet_rows) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = name
        ws.append(columns)
        for r in sheet_rows:
            ws.append([neutralise_formula(r.get(c, "")) for c in columns])
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def evidence_tables(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The paper's Tables 2 and 3 (and any other domain after them): rows, columns, how many are new."""
    rows = evidence_rows(snapshot)
    fields = [f for f in snapshot["extraction"]["fields"] if f != "domain" and f not in IN_STUDY_COLUMN]
    domains = list(DOMAIN_TABLES) + sorted({r["values"]["domain"] or "unknown" for r in rows} - set(DOMAIN_TABLES))
    out = []
    for d in domains:
        these = [r for r in rows if (r["values"]["domain"] or "unknown") == d]
        if not these and d not in DOMAIN_TABLES:
            continue
        these.sort(key=lambda r: (not r["new"], r["study"]))
        out.append({"title": DOMAIN_TABLES.get(d, f"Studies in domain {d}"), "rows": these, "fields": fields,
                    "new": sum(r["new"] for r in these)})
    return out


def _env() -> Environment:
    env = Environment(loader=PackageLoader("livereview.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True))
    env.filters.update(cell=_text, label=_label, pct=_pct)
    return env


def evidence_html(snapshot: dict[str, Any]) -> str:
    """The evidence table alone, as an HTML page (every cell escaped)."""
    tmpl = _env().from_string(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evidence table — version "
        "{{ s.version }}</title><style>body{font-family:sans-serif;font-size:12px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px;vertical-align:top;text-align:left}</style></head><body>"
        "<h1>Evidence table — version {{ s.version }}</h1><table><thead><tr>{% for c in cols %}<th>{{ c|label }}"
        "</th>{% endfor %}</tr></thead><tbody>{% for r in rows %}<tr>{% for c in cols %}<td>{{ r[c]|cell }}</td>"
        "{% endfor %}</tr>{% endfor %}</tbody></table></body></html>\n")
    return tmpl.render(s=snapshot, cols=evidence_columns(snapshot), rows=[_flat(r) for r in evidence_rows(snapshot)])


def report_css() -> str:
    """The report's stylesheet (inlined in the standalone page; the web app links it)."""
    return (resources.files("livereview.reports") / "templates" / "release.css").read_text(encoding="utf-8")


def report_html(snapshot: dict[str, Any], sha256: str = "") -> str:
    """The whole release report as one self-contained HTML page (styles and the PRISMA SVG inline)."""
    return _render_report("release.html.j2", snapshot, sha256)


def report_body(snapshot: dict[str, Any], sha256: str = "") -> Markup:
    """The report without its page around it, for the web app's page (its stylesheet linked, not inline)."""
    return Markup(_render_report("release_body.html.j2", snapshot, sha256))  # noqa: S704 - autoescaped template


def _render_report(template: str, snapshot: dict[str, Any], sha256: str) -> str:
    inc = {r["work_id"]: r for r in snapshot["included"]}
    new_ids = [r["work_id"] for r in snapshot["included"] if r["new"]]

    def cite(work_id: int) -> str:
        row = inc.get(work_id)
        return citation(row) + (f" — {row['title']}" if row and row.get("title") else "") if row else \
            f"work {work_id}"

    tags = [t for t in snapshot["themes"] if t["work_id"] in set(new_ids)]
    themes = [{"id": tid, "label": label, "tags": [t for t in tags if t["theme"] == tid]}
              for tid, label in snapshot["theme_labels"]]
    tagged = {t["work_id"] for t in tags}
    apps = snapshot["appraisals"]
    appraisals = [{"work_id": r["work_id"], "new": r["new"], **(apps.get(str(r["work_id"])) or {"status": None,
                                                                                                "items": {}})}
                  for r in sorted(snapshot["included"], key=lambda r: (not r["new"], citation(r)))]
    for a in appraisals:
        a["items"] = {str(k): v for k, v in (a.get("items") or {}).items()}
    svg = ""
    if snapshot["prisma"]:
        counts = PrismaCounts.from_dict(snapshot["prisma"])
        reasons = [tuple(r) for r in snapshot["exclusion_reasons"]]
        svg = Markup(prisma_svg(counts, reasons, snapshot["manual_names"]))  # noqa: S704 - drawn by us, labels escaped
    entries = [entry_from_json(e) for e in snapshot["search_log"]]
    return _env().get_template(template).render(
        css=Markup(report_css()),  # noqa: S704 - our own stylesheet, from the package
        s=snapshot, cite=cite, themes=themes, untagged=[w for w in new_ids if w not in tagged],
        new_rows=new_ids, evidence=evidence_tables(snapshot), appraisals=appraisals, prisma_svg=svg,
        search_table=Markup(to_html_table(entries)), dedup_method=DEDUP_METHOD,  # noqa: S704 - cells escaped there
        notices=snapshot["notices"], labels=snapshot["extraction"].get("labels", {}),
        open_total=sum(len(v) for v in snapshot["open"].values()),
        open_kinds=OPEN_KINDS, sha256=sha256)


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, *, timeout: float = 120.0) -> bytes:
    """Print the report with headless Chromium (``--print-to-pdf``): the browser the web tests already use renders
    the same HTML and CSS a reader sees, with no second layout engine to keep in step."""
    exe = find_chromium()
    if exe is None:
        raise ReleaseError("--format pdf needs Chromium (chromium or google-chrome on PATH); write --format html "
                           "and print it from a browser instead")
    with tempfile.TemporaryDirectory(prefix="livereview-pdf-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)  # noqa: S603 - our argv
        except subprocess.TimeoutExpired as exc:
            raise ReleaseError(f"Chromium did not print the report within {timeout:.0f} s") from exc
        if not out.exists() or out.stat().st_size == 0:
            tail = " ".join(proc.stderr.decode(errors="replace").split())[-200:]
            raise ReleaseError(f"Chromium could not print the report (exit {proc.returncode}): {tail}")
        return out.read_bytes()


def render_diff(d: dict[str, Any], cite_rows: Sequence[dict[str, Any]] = ()) -> str:
    """``release diff``'s text: studies added and removed, values changed, PRISMA boxes that moved."""
    lines = [f"version {d['old']} -> {d['new']}: {d['included_total'][0]} -> {d['included_total'][1]} studies "
             f"included (+{len(d['added'])}, -{len(d['removed'])})"]
    lines += [f"  + {citation(r)} [{r.get('domain') or 'no domain'}] {r.get('title') or ''}".rstrip()
              for r in d["added"]]
    lines += [f"  - {citation(r)} {r.get('title') or ''}".rstrip() for r in d["removed"]]
    if d["extraction_changed"]:
        lines.append(f"extraction: {len(d['extraction_changed'])} value(s) changed")
        lines += [f"  work {c['work_id']} {c['field']}: {_text(c['old'])} -> {_text(c['new'])}"
                  for c in d["extraction_changed"]]
    if d["appraisals_changed"]:
        lines.append(f"appraisal: {len(d['appraisals_changed'])} changed")
        lines += [f"  work {c['work_id']}: {_text(c['old'])} -> {_text(c['new'])}" for c in d["appraisals_changed"]]
    if d.get("prisma_from_published"):
        lines.append(f"PRISMA: version {d['old']} is the published review (the paper's own flow diagram); "
                     f"version {d['new']}'s diagram counts from its {d['included_total'][0]} studies")
    elif d["prisma"]:
        lines.append("PRISMA boxes that differ:")
        lines += [f"  {p['box']}: {_text(p['old'])} -> {p['new']}" for p in d["prisma"]]
    if d["notices"]:
        lines.append(f"notices: {len(d['notices'])} new")
        lines += [f"  work {n['work_id']}: {n['kind']} ({n['evidence']})" for n in d["notices"]]
    if d["protocol_versions"]:
        lines.append("protocol versions new in force: " + ", ".join(d["protocol_versions"]))
    return "\n".join(lines) + "\n"
