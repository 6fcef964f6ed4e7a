"""Growth series and charts: start at the baseline, end today, no spike for the seed, readable with 1 or 200 runs."""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from livereview.records.model import Record
from livereview.reports.charts import cumulative_svg, growth_png, per_run_svg
from livereview.reports.growth import BASELINE, Growth, RunYield, growth, run_yields
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.models import SourceRecord, Work
from livereview.store.runs import finish_run, start_run, start_source_run
from livereview.store.screening import record_decision

SVG = "{http://www.w3.org/2000/svg}"


def _init(engine, protocol):
    from livereview.flows.init_store import init_store

    init_store(engine, protocol)


def test_the_seed_is_the_starting_level_at_the_baseline_and_new_works_count_from_there(engine, protocol):
    _init(engine, protocol)
    day = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with transaction(engine) as s:
        run = start_run(s, "monitor", None, {})
        sr = start_source_run(s, run.id, "pubmed", "core", "pubmed:core", None, None, "q")
        sr.counts = {"fetched": 3, "new": 2, "in-corpus": 1}
        rep = ingest_records(s, [Record(source="pubmed", source_id=str(i), title=f"Homework study {i}",
                                        doi=f"10.1/g{i}") for i in (1, 2)],
                             Provenance(origin="search", run_id=run.id, source_run_id=sr.id))
        finish_run(s, run.id, "succeeded", {})
        s.execute(update(Work).where(Work.id.in_(rep.new_work_ids)).values(created_at=day))
        s.execute(update(SourceRecord).where(SourceRecord.run_id == run.id).values(fetched_at=day))
        w = s.get(Work, rep.new_work_ids[0])
        for who in ("ann", "bob"):
            record_decision(s, w, reviewer=who, stage="full-text", decision="include", decided_at=day)
    with reading(engine) as s:
        g = growth(s)
        (y,) = run_yields(s)
    today = utcnow().date()
    assert g.days == [BASELINE, day.date(), today]
    assert (g.identified, g.records, g.screened, g.included) == ([0, 2, 2], [0, 2, 2], [0, 1, 1], [50, 51, 51])
    assert g.previous_included == 50
    assert (y.fetched, y.new, y.duplicates, y.by_source) == (3, 2, 1, {"pubmed": 2})


def _svg_xlim_text(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(f"{SVG}text") if t.text]


def test_charts_parse_as_svg_and_carry_their_numbers_as_text():
    days = [BASELINE] + [date(2024, 1, 1) + timedelta(days=7 * k) for k in range(200)]
    g = Growth(days, list(range(201)), [50 + k // 20 for k in range(201)], [3 * k for k in range(201)],
               list(range(201)), BASELINE, 50)
    today = days[-1]
    svg = cumulative_svg(g, today=today)
    text = " ".join(_svg_xlim_text(svg))
    assert "records identified (600)" in text and "included in all (60)" in text and "previous version (50)" in text
    runs = [RunYield(k, datetime.combine(d, datetime.min.time(), UTC), "succeeded", 30, 3, 27, {})
            for k, d in enumerate(days[1:], 1)]
    ET.fromstring(per_run_svg(runs, start=BASELINE, today=today))
    one = per_run_svg(runs[:1], start=BASELINE, today=today)
    assert "records fetched" in " ".join(_svg_xlim_text(one))


def test_the_digest_png_ends_today_even_for_a_young_store():
    g = Growth([BASELINE, date.today()], [0, 5], [50, 50])
    png = growth_png(g)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert growth_png(Growth()) is None


def test_each_run_bar_stands_over_the_day_its_run_was_made_even_the_last_one():
    """Runs made on 7 Dec (the last day of the axis) were drawn as wide bars cut at the axis' end, so they seemed
    to sit on 5 Dec: now every bar is centred on its run's day and drawn whole, over a week or over a year."""
    from matplotlib.dates import date2num, num2date

    from livereview.reports.charts import per_run_figure

    today = date(2026, 12, 7)
    for days in ([today], [today - timedelta(days=7 * k) for k in range(6, -1, -1)],
                 [today - timedelta(days=7 * k) for k in range(52, -1, -1)]):
        runs = [RunYield(k, datetime.combine(d, datetime.min.time(), UTC) + timedelta(hours=23), "succeeded", 30, 3,
                         27, {}) for k, d in enumerate(days, 1)]
        ax = per_run_figure(runs, start=BASELINE, today=today).axes[0]
        bars = ax.patches[:len(runs)]
        lo, hi = ax.get_xlim()
        for run, bar in zip(runs, bars, strict=True):
            centre = bar.get_x() + bar.get_width() / 2
            assert num2date(centre).date() == run.started_at.date()
            assert lo <= bar.get_x() and bar.get_x() + bar.get_width() <= hi   # drawn whole, not cut
        assert date2num(today) < hi


def test_weeks_of_runs_long_after_the_baseline_are_drawn_as_a_history_not_a_spike_at_the_end():
    from livereview.reports.charts import drawn_days

    weekly = [date(2026, 10, 27) + timedelta(days=7 * k) for k in range(7)]
    g = Growth([BASELINE, *weekly], list(range(8)), [50] * 8)
    assert drawn_days(g) == [date(2026, 10, 20), *weekly]        # the flat stretch since 2023 is left out
    assert drawn_days(g)[1:] == g.days[1:] and g.days[0] == BASELINE   # the series itself is untouched
    early = Growth([BASELINE, date(2024, 1, 8), date(2024, 1, 15)], [0, 1, 2], [50, 50, 50])
    assert drawn_days(early) == early.days                       # soon after the baseline: drawn from it
