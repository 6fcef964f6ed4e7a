"""One set of numbers: the dashboard, the PRISMA page and the digest, rendered from one store, print the same
counts — the PRISMA diagram's boxes (store.prisma) — each labelled with what it counts. SQLite and PostgreSQL."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape
from prisma_history import D3, REASONS, build_history, vote
from webharness import signin

from livereview.digests.content import Period, collect, newest_first
from livereview.digests.render import render_html, render_text
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.prisma import LABELS, prisma_counts


@pytest.fixture
def history(engine, protocol, users):
    build_history(engine, protocol)
    with transaction(engine) as s:   # a record that is still open, and one whose vote was withdrawn
        vote(s, 4, "title-abstract", "include", "ann", when=D3)
        vote(s, 4, "title-abstract", "withdrawn", "ann", when=D3 + timedelta(hours=1))
    return engine


def _n(text: str) -> int:
    return int(text.replace(",", "").strip())


def _kpi(html: str, attr: str, name: str) -> int:
    found = re.search(rf'{attr}="{name}">([\d,]+)<', html)
    assert found, f"no {attr}={name} in the page"
    return _n(found.group(1))


def test_dashboard_prisma_and_digest_print_the_same_numbers_with_what_they_count(client, history, protocol):
    with reading(history) as s:
        c = prisma_counts(s, REASONS, reviewers_required=protocol.review.reviewers_per_record)
        digest = collect(s, protocol, Period(datetime(2026, 1, 1, tzinfo=UTC), utcnow() + timedelta(seconds=1)),
                         rank=newest_first)
    assert c.problems() == [] and c.identified and c.records_screened and c.awaiting_screening
    signin(client, "ann")

    dash = client.get("/dashboard").text
    assert (_kpi(dash, "data-kpi", "records"), _kpi(dash, "data-kpi", "works"), _kpi(dash, "data-kpi", "screened"),
            _kpi(dash, "data-kpi", "included"), _kpi(dash, "data-kpi", "open")) == (
        c.identified, c.after_deduplication, c.records_screened, c.total_studies, c.awaiting_screening)
    assert "records identified since the previous version, before deduplication" in dash

    prisma = client.get("/prisma").text
    assert (_kpi(prisma, "data-count", "identified"), _kpi(prisma, "data-count", "records_screened"),
            _kpi(prisma, "data-count", "total_studies"), _kpi(prisma, "data-count", "after_deduplication")) == (
        c.identified, c.records_screened, c.total_studies, c.after_deduplication)
    for label in ("identified", "records_screened", "total_studies"):
        assert str(escape(LABELS[label])) in prisma
    assert f"(n\u00a0=\u00a0{c.records_screened})" in prisma.split('data-box="screened"')[1].split("</g>")[0]

    text = render_text(digest)
    html = render_html(digest, chart_src=None)
    assert (digest.counts.identified, digest.counts.screened, digest.counts.included) == (
        c.identified, c.records_screened, c.total_studies)
    assert f"Records identified since the previous version, before deduplication: {c.identified}" in text
    assert f"Records screened (title/abstract decided): {c.records_screened}" in text
    assert f"Studies included (previous version + new): {c.total_studies}" in text
    assert re.search(rf"Records screened \(title/abstract decided\)</td><td[^>]*>{c.records_screened}<", html)


def test_the_growth_series_is_the_diagram_day_by_day(history, protocol):
    from livereview.reports.growth import growth
    from livereview.store.prisma import end_of_day

    with reading(history) as s:
        g = growth(s)
        for day, records, works, screened, included in zip(g.days[:-1], g.records, g.identified, g.screened,
                                                           g.included, strict=False):
            c = prisma_counts(s, REASONS, as_of=end_of_day(day))
            assert (records, works, screened, included) == (
                c.identified, c.after_deduplication, c.records_screened, c.total_studies), day
        now = prisma_counts(s, REASONS)
    assert (g.records[-1], g.identified[-1], g.screened[-1], g.included[-1]) == (
        now.identified, now.after_deduplication, now.records_screened, now.total_studies)
