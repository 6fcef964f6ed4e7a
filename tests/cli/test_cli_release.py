"""An update of the review played end to end — new records, screening by three, two extractions and a
cross-check, two appraisals and a resolution, a theme tag, `livereview release 2.0` — and every count of the
report checked against the store, on SQLite and PostgreSQL; then the report's other forms and the refusals."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cli_runner import run_cli
from prisma_history import rec, search, work
from sqlalchemy import func, select

from livereview.store import appraisal, extraction
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import Import, Notice, SourceRecord, SourceRun, Work
from livereview.store.prisma import prisma_counts
from livereview.store.releases import get_release, tag_theme
from livereview.store.runs import finish_run, start_run
from livereview.store.screening import record_decision

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TEAM = ("ann", "bob", "cat")


class Sections(HTMLParser):
    """The report's sections by their <h2>: the text, and each table's rows (cells as text, 'new' marked)."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.current: dict | None = None
        self.in_h2 = False
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.h2 = ""

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.in_h2, self.h2 = True, ""
        elif tag == "tr" and self.current is not None:
            self.row = []
            self.current["rows"].append((dict(attrs).get("class") == "new", self.row))
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
            self.current = self.sections.setdefault(self.h2.strip(), {"text": "", "rows": []})
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.in_h2:
            self.h2 += data
        elif self.current is not None:
            self.current["text"] += data
            if self.cell is not None:
                self.cell.append(data)


def _vote(s, protocol, w, stage, decision, who, **kw):
    record_decision(s, w, reviewer=who, stage=stage, decision=decision,
                    reviewers_required=protocol.review.reviewers_by_stage, **kw)


def play_update(engine, protocol) -> dict[str, int]:
    """The store after init and one update's work; returns the work ids by study number."""
    from livereview.flows.init_store import init_store

    init_store(engine, protocol)
    with transaction(engine) as s:
        seed = s.scalars(select(Work).where(Work.origin == "seed", Work.domain == "therapy-counselling",
                                            Work.doi.is_not(None)).order_by(Work.id).limit(1)).one()
        run = start_run(s, "monitor", None, {})
        # new records: four studies, one seed study found again, two dropped by the concept filter
        search(s, run, "pubmed", "therapy-counselling", [rec(n, "pubmed") for n in (1, 2, 3, 4)] +
               [rec(99, "pubmed", doi=seed.doi, title=seed.title)], filtered_out=2, when=utcnow())
        search(s, run, "openalex", "coaching", [rec(1, "openalex")], when=utcnow())
        finish_run(s, run.id, "succeeded", {})
        ids = {n: work(s, n).id for n in (1, 2, 3, 4)}
        work(s, 1).domain = "coaching"
        work(s, 2).domain = "therapy-counselling"
        # an included study of version 1.0 is retracted
        s.add(Notice(work_id=seed.id, kind="retraction", evidence="pubmed:RetractionIn pmid 40000001",
                     source="pubmed"))
        seed.is_retracted = True
        ids["seed"] = seed.id
    with transaction(engine) as s:   # screening by three, at both stages
        for who in TEAM:
            for n in (1, 2, 4):
                _vote(s, protocol, s.get(Work, ids[n]), "title-abstract", "include", who)
            _vote(s, protocol, s.get(Work, ids[3]), "title-abstract", "exclude", who, reason="E1-topic")
            for n in (1, 2):
                _vote(s, protocol, s.get(Work, ids[n]), "full-text", "include", who, report_retrieved=True)
            _vote(s, protocol, s.get(Work, ids[4]), "full-text", "exclude", who, reason="E2",
                  report_retrieved=True)
    values = {"authors": "Author1, A.", "year": 2025, "country": "UK", "domain": "coaching",
              "publication_type": "Empirical study", "methodology": "quantitative", "rct": "yes",
              "orientation": ["CBC"], "sessions": 6, "tasks": "goal-setting worksheet between sessions",
              "findings": "Completing the between-session worksheet predicted goal attainment."}
    with transaction(engine) as s:   # two extractions and a cross-check per new include
        for n, domain in ((1, "coaching"), (2, "therapy-counselling")):
            v = {**values, "domain": domain, "authors": f"Author{n}, A."}
            extraction.submit_extraction(s, protocol, ids[n], "ann", v)
            extraction.submit_extraction(s, protocol, ids[n], "bob", {**v, "sessions": 8})
            extraction.reconcile(s, protocol, ids[n], "cat", {**v, "sessions": 6},
                                 notes={"sessions": "six sessions (methods section)"})
    with transaction(engine) as s:   # two appraisals each; study 1's disagree and a third reviewer resolves
        a = {i: 2 for i in appraisal.applicable_items("quantitative")}
        appraisal.submit_rating(s, protocol, ids[1], "ann", status="scored", design="quantitative", scores=a)
        appraisal.submit_rating(s, protocol, ids[1], "bob", status="scored", design="quantitative",
                                scores={**a, 1: 3, 16: 1})
        appraisal.resolve(s, protocol, ids[1], "cat", method="third reviewer", status="scored",
                          design="quantitative", scores={**a, 1: 3})
        for who in ("ann", "bob"):
            appraisal.submit_rating(s, protocol, ids[2], who, status="not appraised",
                                    reason="technique paper: the tool does not fit")
        tag_theme(s, protocol, ids[1], "effects", changes_conclusion=True,
                  note="first RCT of homework in coaching", reviewer="ann")
        tag_theme(s, protocol, ids[2], "adherence", changes_conclusion=False, note=None, reviewer="bob")
    return ids


@pytest.fixture
def updated(engine, database_url, protocol):
    ids = play_update(engine, protocol)
    return engine, {"LIVEREVIEW_DATABASE_URL": database_url}, ids


def test_an_update_played_end_to_end_and_every_count_of_its_report_checked_against_the_store(updated, protocol,
                                                                                           tmp_path):
    engine, env, ids = updated
    res = run_cli("release", "2.0", "--json", "--actor", "ann", env=env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    with reading(engine) as s:
        snap = get_release(s, "2.0").snapshot
        included = set(s.scalars(select(Work.id).where(Work.status == "included", Work.merged_into_id.is_(None))))
        counts = prisma_counts(s, [r for r, _ in protocol.exclusion_reasons], as_of=utcnow(),
                               reviewers_required=protocol.review.reviewers_by_stage)
        records = s.scalar(select(func.count()).select_from(SourceRecord).where(SourceRecord.run_id.is_not(None)))
        filtered = sum(int((c or {}).get("filtered_out") or 0) for c in s.scalars(select(SourceRun.counts)))
        searches = s.scalar(select(func.count()).select_from(SourceRun)) + \
            s.scalar(select(func.count()).select_from(Import))
        resolved = appraisal.resolved_appraisals(s)
        reconciled = {r["work_id"]: r for r in extraction.reconciled_rows(s, protocol)}
        domains = dict(s.execute(select(Work.id, Work.domain).where(Work.id.in_(included))).all())
    assert (out["version"], out["previous"]) == ("2.0", "1.0")
    assert out["included_total"] == len(included) == 52 and out["included_new"] == 2
    assert out["prisma"] == snap["prisma"] == counts.as_dict() | {"as_of": snap["cutoff"]}
    p = out["prisma"]
    assert p["previous_studies"] == 50 and p["total_studies"] == len(included) and p["new_studies"] == 2
    assert p["identified"] == records + filtered == 5 + 1 + 2      # one record per (source, id), filter drops
    assert p["records_screened"] == 4 and p["records_excluded"] == 1
    assert p["db"]["reports_assessed"] == 3 and p["db"]["excluded_by_reason"] == {"E2": 1}

    html_file = tmp_path / "report.html"
    res = run_cli("release", "show", "2.0", "--output", str(html_file), env=env)
    assert res.returncode == 0, res.stderr
    html = html_file.read_text()
    parsed = Sections()
    parsed.feed(html)
    sec = parsed.sections
    new_text = sec["What is new in version 2.0"]["text"]
    assert re.search(rf"\b{len(included)}\s*studies included", new_text)
    assert re.search(r"\b2\s*new since 1\.0", new_text)
    assert "changes the theme's conclusion: first RCT of homework in coaching" in " ".join(new_text.split())
    assert "retracted since version 1.0" in " ".join(new_text.split())   # the trigger that fired
    for title, domain in (("Table 2. Studies in coaching", "coaching"),
                          ("Table 3. Studies in therapy and counselling", "therapy-counselling")):
        rows = [(new, cells) for new, cells in sec[title]["rows"][1:]]
        assert len(rows) == sum(1 for d in domains.values() if d == domain)
        assert sum(new for new, _ in rows) == 1 and rows[0][0]             # the new study, first and marked
        head = sec[title]["rows"][0][1]
        assert rows[0][1][head.index("Number of sessions")] == "6"   # the protocol's label heads the column
    q = sec["Quality appraisal (QATSDD)"]["rows"]
    assert len(q) - 1 == len(included)
    new_q = [cells for new, cells in q[1:] if new]
    scored = [c for c in new_q if c[-1] not in ("",) and len(c) == 18]
    assert [float(c[-1]) for c in scored] == [round(resolved[ids[1]]["percent"])]
    assert any("not appraised: technique paper" in c[1] for c in new_q)
    for n in (1, 2):
        assert reconciled[ids[n]]["sessions"] == 6
    assert f"n\u00a0=\u00a0{p['total_studies']}" in html and f"n\u00a0=\u00a0{p['identified']}" in html
    search_rows = sec["Search summary (PRISMA-S)"]["rows"]
    assert len(search_rows) - 1 == searches == len(snap["search_log"])
    notices = sec["Retractions and corrections among the included studies"]["rows"]
    assert len(notices) - 1 == 1 and notices[1][1][1] == "retraction"

    # the evidence table alone: one row per included study, the fields as columns, domain among them
    res = run_cli("release", "show", "2.0", "--evidence-table", "--format", "csv", env=env)
    assert res.returncode == 0, res.stderr
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(table) == len(included) and "domain" in table[0] and "findings" in table[0]
    assert {int(r["work_id"]) for r in table} == included
    assert sorted(int(r["work_id"]) for r in table if r["new"] == "yes") == sorted([ids[1], ids[2]])
    xlsx = tmp_path / "evidence.xlsx"
    assert run_cli("release", "show", "2.0", "--format", "xlsx", "-o", str(xlsx), env=env).returncode == 0
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["All studies", "Table 2", "Table 3"]
    assert wb["All studies"].max_row - 1 == len(included) and wb["Table 2"].max_row - 1 == 8

    # later decisions never change version 2.0
    with transaction(engine) as s:
        _vote(s, protocol, s.get(Work, ids[3]), "title-abstract", "reopened", "admin", is_final=True)
        for who in TEAM:
            _vote(s, protocol, s.get(Work, ids[3]), "title-abstract", "include", who)
            _vote(s, protocol, s.get(Work, ids[3]), "full-text", "include", who)
    again = run_cli("release", "show", "2.0", "--format", "json", env=env)
    assert json.loads(again.stdout) == snap

    diff = run_cli("release", "diff", "1.0", "2.0", env=env)
    assert diff.returncode == 0 and diff.stdout.startswith("version 1.0 -> 2.0: 50 -> 52 studies included (+2, -0)")


def test_release_refusals_are_one_line_and_a_non_zero_exit(updated):
    engine, env, ids = updated
    with transaction(engine) as s:   # study 3 back in conflict at title/abstract
        w = s.get(Work, ids[3])
        record_decision(s, w, reviewer="admin", stage="title-abstract", decision="reopened", is_final=True,
                        reviewers_required=3)
        for who, d in (("ann", "include"), ("bob", "exclude"), ("cat", "exclude")):
            record_decision(s, w, reviewer=who, stage="title-abstract", decision=d, reviewers_required=3)
    res = run_cli("release", "2.0", env=env)
    assert res.returncode == 9 and res.stdout == ""
    assert res.stderr.strip() == (f"error: version 2.0 not released: 1 open: 1 screening conflict (work {ids[3]}); "
                                  "settle them, or rerun with --allow-open to record them as open in the report")
    assert run_cli("release", "2.0", "--dry-run", "--allow-open", env=env).returncode == 0
    res = run_cli("release", "2.0", "--allow-open", env=env)
    assert res.returncode == 0 and "1 open items recorded" in res.stdout
    html = run_cli("release", "show", "2.0", env=env).stdout
    assert "Released with 1 open item" in html
    for args, code, message in ((("2.0", "--allow-open"), 9, "version 2.0 is already released"),
                                (("2.x",), 2, "'2.x' is not a version number"),
                                (("show", "7.0"), 9, "no version 7.0 of the review; released versions: 1.0, 2.0"),
                                (("show", "2.0", "--format", "pdf"), 2, "add --output FILE"),
                                (("diff", "1.0"), 2, "usage: livereview release diff OLD NEW"),
                                (("3.0", "--format", "csv"), 2, "--format goes with `livereview release show`")):
        res = run_cli("release", *args, env=env)
        assert res.returncode == code and message in res.stderr, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) <= 6   # typer's usage box for usage errors, one line else


@pytest.mark.slow
def test_the_report_prints_to_pdf_and_both_are_looked_at(updated, tmp_path):
    """The HTML at desktop and phone width and the PDF's first pages, as PNGs in tests/artifacts/ to look at."""
    import subprocess

    from livereview.reports.release import find_chromium

    engine, env, _ = updated
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine")
    assert run_cli("release", "2.0", env=env).returncode == 0
    pdf = tmp_path / "report.pdf"
    res = run_cli("release", "show", "2.0", "--format", "pdf", "-o", str(pdf), env=env)
    assert res.returncode == 0, res.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and len(data) > 20_000
    html = tmp_path / "report.html"
    assert run_cli("release", "show", "2.0", "-o", str(html), env=env).returncode == 0
    ARTIFACTS.mkdir(exist_ok=True)
    for name, width in (("release-report-desktop.png", 1280), ("release-report-390.png", 390)):
        subprocess.run([find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},3000",
                        f"--screenshot={ARTIFACTS / name}", html.as_uri()], capture_output=True, timeout=120,
                       check=True)
        assert (ARTIFACTS / name).stat().st_size > 10_000
    (ARTIFACTS / "release-report.pdf").write_bytes(data)
