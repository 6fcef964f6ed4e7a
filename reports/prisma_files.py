"""PRISMA counts as files: CSV (one row per box, in the diagram's order) and JSON (every field)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict

from livereview.csvout import CsvWriter
from livereview.store.prisma import DOMAIN_NOTE, DomainTable, PrismaCounts


def to_csv(c: PrismaCounts, domains: DomainTable | None = None) -> str:
    """The diagram's boxes; with ``domains``, each domain's column after them (section ``domain:<name>``, and
    ``domain:total`` where a record found by both queries counts once)."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    w.writerow(["as_of", "section", "box", "n"])
    for section, box, n in c.rows():
        w.writerow([c.as_of.strftime("%Y-%m-%d"), section, box, n])
    for name, box, n in domains.rows() if domains is not None else []:
        w.writerow([c.as_of.strftime("%Y-%m-%d"), f"domain:{name}", box, n])
    return buf.getvalue()


def to_json(c: PrismaCounts, domains: DomainTable | None = None) -> str:
    extra: dict = {"problems": c.problems()}
    if domains is not None:
        extra["domains"] = {name: asdict(d) for name, d in domains.domains.items()} | {"total": asdict(domains.total)}
        extra["domains_found_by_several"] = domains.in_several
        extra["domains_note"] = DOMAIN_NOTE
    return json.dumps(c.as_dict() | extra, indent=2, ensure_ascii=False) + "\n"
