"""The PRISMA-S search log: every query as sent, per run and source, and every file import with its query."""

import csv
import io
from datetime import date

from livereview.records.model import Record
from livereview.reports.searchlog import to_csv, to_html, to_markdown
from livereview.store.db import reading, transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.models import Import
from livereview.store.runs import finish_run, register_protocol, start_run, start_source_run
from livereview.store.searchlog import search_log


def test_each_source_query_and_each_import_is_one_entry_with_what_prisma_s_asks(engine, protocol):
    with transaction(engine) as s:
        pv = register_protocol(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                               protocol.text or "", protocol.path)
        run = start_run(s, "monitor", pv.id, {})
        sr = start_source_run(s, run.id, "pubmed", "core", "pubmed:core", date(2026, 1, 1), date(2026, 1, 8),
                              '(homework*[tiab]) AND ("2026/01/01"[crdt] : "2026/01/08"[crdt]) | pipe')
        sr.status, sr.counts = "succeeded", {"fetched": 12, "filtered_out": 2, "new": 4, "in-corpus": 3,
                                             "already-queued": 1, "version": 1}
        finish_run(s, run.id, "succeeded", {})
        imp = Import(path="/x/savedrecs.txt", sha256="a" * 64, source="wos", format="wos",
                     counts={"records": 30, "new": 20, "already-queued": 10}, query="TS=(homework* AND coach*)",
                     protocol_version_id=pv.id)
        s.add(imp)
        s.flush()
        ingest_records(s, [Record(source="wos", source_id="1", title="t")], Provenance(origin="import",
                                                                                       import_id=imp.id))
    with reading(engine) as s:
        search, imported = search_log(s)
    assert (search.database, search.query_name, search.window_start, search.window_end) == (
        "pubmed", "core", date(2026, 1, 1), date(2026, 1, 8))
    assert search.query.startswith("(homework*[tiab])")
    assert (search.found, search.after_dedup, search.new) == (12, 12 - 2 - 4, 4)
    assert "languages: eng" in search.limits
    assert "fields: titles and abstracts ([tiab]) and author keywords ([ot]" in search.limits
    assert "unverified: whether [tiab] alone covers author keywords" in search.limits
    # PRISMA-S: the strings are labelled a reconstruction (review.search_provenance)
    assert search.limits.startswith("search strings: RECONSTRUCTION, not the registered strings;")
    assert search.platform.startswith("PubMed")
    assert (imported.kind, imported.database, imported.query, imported.found, imported.after_dedup) == (
        "import", "wos", "TS=(homework* AND coach*)", 30, 20)
    md = to_markdown([search, imported])
    assert "\\| pipe" in md and "TS=(homework\\* AND coach\\*)" in md and md.count("| 20 |") == 1
    html = to_html([search, imported])
    assert "&quot;2026/01/01&quot;" in html and "<code>[core] (homework*[tiab])" in html
    rows = list(csv.DictReader(io.StringIO(to_csv([search, imported]))))
    assert rows[0]["query"] == search.query and rows[1]["import"] == str(imported.import_id)


def _entry(**kw):
    from datetime import UTC, datetime

    from livereview.store.searchlog import SearchLogEntry

    base = dict(kind="import", run_id=None, import_id=1, date=datetime(2026, 1, 1, tzinfo=UTC), database="wos",
                platform="Web of Science", query_name="", query="q", window_start=None, window_end=None, limits="",
                status="imported", found=1, after_dedup=1, new=1, protocol_version=None)
    return SearchLogEntry(**{k: v for k, v in (base | kw).items() if k in SearchLogEntry.__dataclass_fields__})


def test_the_markdown_log_shows_hostile_text_instead_of_rendering_it():
    hostile = ('<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) '
               '![i](http://x/t.png) **bold** `code` a|b &amp;')
    md = to_markdown([_entry(query=hostile, database="<b>db</b>", limits="line\none")])
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "&amp;amp;" in md
    assert "\\[click\\](javascript:alert(3))" in md and "\\!\\[i\\]" in md and "\\*\\*bold\\*\\*" in md
    assert "\\`code\\`" in md and "a\\|b" in md and "line<br>one" in md  # <br>: the cell's one line break
    row = next(line for line in md.splitlines() if "script" in line)
    assert row.count(" | ") == 8  # still nine cells: no escaped pipe split the row


def test_the_csv_log_neutralises_a_database_or_query_that_starts_like_a_formula():
    rows = list(csv.DictReader(io.StringIO(to_csv([_entry(database="=HYPERLINK(\"http://x\")",
                                                          query="+cmd|' /C calc'!A0")]))))
    assert rows[0]["database"] == "'=HYPERLINK(\"http://x\")" and rows[0]["query"] == "'+cmd|' /C calc'!A0"


def test_added_sources_carry_their_logged_deviation_and_the_old_protocol_none():
    """Protocol 2.0 logs Europe PMC, Crossref, OpenAlex and the feeds as deviations from the paper's databases;
    an entry run under 1.1.0 is shown with 1.1.0's limits (no provenance, no deviation)."""
    from protocol_versions import OLD_PROTOCOL_TEXT

    from livereview.protocols import PROTOCOL_DIR
    from livereview.protocols.model import load_protocol, parse_protocol
    from livereview.settings import BUNDLED_PROTOCOL
    from livereview.store.searchlog import limits_for

    new = load_protocol(BUNDLED_PROTOCOL)
    for source in ("europepmc", "crossref", "openalex", "feeds"):
        assert "deviation: " in limits_for(new, source), source
    assert "deviation" not in limits_for(new, "pubmed")
    assert "scope: SRC:MED OR SRC:PMC" in limits_for(new, "europepmc")
    old = parse_protocol(OLD_PROTOCOL_TEXT, PROTOCOL_DIR / "ia-coaching.toml")
    assert "deviation" not in limits_for(old, "europepmc") and "search strings" not in limits_for(old, "pubmed")
