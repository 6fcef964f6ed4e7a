"""Growth charts, one drawing code for the digest (PNG in the e-mail) and the dashboard (server-rendered SVG).

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global figure state), so it works
unattended and in threads. The time axis runs from the baseline (the previous version's search) to
today, never past it; a step curve reads the same with one update as with two hundred.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from livereview.reports.growth import Growth, RunYield

RECORDS, IDENTIFIED, SCREENED, INCLUDED, NEW = "#8c6bb1", "#1f5f8b", "#c47a00", "#2e8540", "#1f5f8b"
MIN_SPAN = timedelta(days=14)
DIGEST_DPI = 200


def _axis(ax, first: date, last: date) -> None:  # noqa: ANN001
    locator = AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(  # a fortnight reads "17 Nov", years read "2025"
        locator, show_offset=False, formats=["%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M", "%S.%f"],
        zero_formats=["", "%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M"]))
    if last - first < MIN_SPAN:   # a young store: a fortnight ending today, not a day in hours
        first = last - MIN_SPAN
    # a hair of room after today, so a jump on the last update is not hidden behind the right-hand axis line
    ax.set_xlim(first, last + max(timedelta(days=1), (last - first) * 0.015))
    ax.tick_params(labelsize=7)
    ax.spines["top"].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)


def _marks(n: int) -> dict[str, object]:
    """Dots on each update while they are few (one update alone is a jump at the axis' end), lines after."""
    return {"marker": "o", "markersize": 3.5, "clip_on": False} if n <= 40 else {}


def _save(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "livereview"}):  # text stays text
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def drawn_days(growth: Growth) -> list[date]:
    """The x of each point as drawn: the baseline's point moves to a week before the first change after it when
    that is more than three weeks later. The flat stretch from the baseline says nothing, and left in it squeezes
    weeks of runs into the axis' last pixels; the levels are unchanged (cumulative counts since the baseline)."""
    days = list(growth.days)
    if len(days) > 2 and days[1] - days[0] > timedelta(days=7) + MIN_SPAN:
        days[0] = days[1] - timedelta(days=7)
    return days


def _end(growth: Growth, today: date | None) -> date:
    return max(today or date.today(), growth.days[-1]) if growth.days else (today or date.today())


def growth_png(growth: Growth, *, title: str = "Corpus growth since the previous version",
               today: date | None = None) -> bytes | None:
    """The digest's small chart: new works identified (left axis) and studies included (right), as PNG.

    Drawn for a phone first: shown 480 px wide on a desktop and about 340 px on a phone, so the type is set large
    (10-11 pt at 4.8 in) and the legend sits on its own lines; twice the pixels for sharp high-density screens."""
    if not growth.days:
        return None
    fig = Figure(figsize=(4.8, 3.0), dpi=DIGEST_DPI)   # 960 x 600 px, shown at 480 x 300
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    inc = ax.twinx()   # a few dozen included against thousands identified: their own axis keeps them visible
    marks = _marks(len(growth.days)) | {"markersize": 4.5} if len(growth.days) <= 40 else {}
    days = drawn_days(growth)
    ax.step(days, growth.identified, where="post", color=IDENTIFIED, linewidth=2.2,
            label=f"new works identified ({growth.identified[-1]:,}, left)", **marks)
    inc.step(days, growth.included, where="post", color=INCLUDED, linewidth=2.2,
             label=f"studies included ({growth.included[-1]:,}, right)", **marks)
    _axis(ax, days[0], _end(growth, today))
    ax.xaxis.set_major_locator(locator := AutoDateLocator(minticks=2, maxticks=4))
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    ax.set_ylim(bottom=0, top=max(1, max(growth.identified)) * 1.08)
    inc.set_ylim(bottom=0, top=max(1, max(growth.included)) * 1.08)
    ax.set_title(title, fontsize=11, loc="left", fontweight="bold")
    for axis, color in ((ax, IDENTIFIED), (inc, INCLUDED)):
        axis.tick_params(labelsize=10)
        axis.tick_params(axis="y", colors=color)
        axis.spines["top"].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + inc.get_legend_handles_labels()[0]
    fig.legend(handles=handles, fontsize=10, frameon=False, loc="lower left", bbox_to_anchor=(0.02, 0.0), ncol=1)
    fig.subplots_adjust(left=0.1, right=0.9, top=0.89, bottom=0.34)  # fixed: tight_layout costs a second draw
    return _save(fig, "png")


def cumulative_svg(growth: Growth, *, today: date | None = None) -> bytes:
    """Dashboard: records identified, after deduplication, screened (left) and studies included (right)."""
    fig = Figure(figsize=(9.0, 3.0), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    end = _end(growth, today)
    days = drawn_days(growth) or [end]
    for series, color, label in ((growth.records, RECORDS, "records identified"),
                                 (growth.identified, IDENTIFIED, "after deduplication"),
                                 (growth.screened, SCREENED, "screened")):
        values = series or [0]
        left.step(days, values, where="post", color=color, linewidth=1.6, label=f"{label} ({values[-1]:,})",
                  **_marks(len(days)))
    left.set_ylim(bottom=0, top=max(1, *(growth.records or [0])) * 1.1)
    left.set_title("New records since the previous version", fontsize=9, loc="left")
    left.legend(fontsize=7, frameon=False, loc="upper left")
    _axis(left, days[0], end)
    included = growth.included or [0]
    right.step(days, included, where="post", color=INCLUDED, linewidth=1.8,
               label=f"included in all ({included[-1]:,})", **_marks(len(days)))
    if growth.previous_included:
        right.axhline(growth.previous_included, color="#999999", linewidth=0.8, linestyle="--",
                      label=f"previous version ({growth.previous_included})")
    right.set_ylim(bottom=0, top=max(1, *included) * 1.15)
    right.set_title("Studies included", fontsize=9, loc="left")
    right.legend(fontsize=7, frameon=False, loc="lower right")
    _axis(right, days[0], end)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.12, wspace=0.18)
    return _save(fig, "svg")


def per_run_svg(runs: Sequence[RunYield], *, start: date, today: date | None = None) -> bytes:
    """Dashboard: per monitor run, records fetched and new works, as bars from shortly before the first run."""
    return _save(per_run_figure(runs, start=start, today=today), "svg")


def per_run_figure(runs: Sequence[RunYield], *, start: date, today: date | None = None) -> Figure:
    """The per-run chart as a figure: each run's bars stand over the UTC day the run started, drawn whole."""
    end = today or date.today()
    fig = Figure(figsize=(9.0, 2.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    when = [r.started_at.date() if isinstance(r.started_at, datetime) else r.started_at for r in runs]
    if when:   # the runs themselves: from a week before the first (the growth charts show the baseline)
        start = max(start, min(when) - timedelta(days=7))
    if runs:
        span = max((end - start).days, 14)
        width = max(0.8, min(5.0, span / max(len(runs), 1) * 0.6))   # days: thick for few runs, thin for many
        # each bar is centred on the middle of the (UTC) day its run started, so it stands over that day's tick
        x = [date2num(datetime.combine(d, time(12))) for d in when]
        ax.bar(x, [r.fetched for r in runs], width=width, color="#b9cfe0", label="records fetched")
        ax.bar(x, [r.new for r in runs], width=width, color=NEW, label="new works")
        ax.set_ylim(bottom=0, top=max(1, *(r.fetched for r in runs)) * 1.15)
        ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=2)
    else:
        ax.text(0.5, 0.5, "no monitor run yet", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                color="#57606a")
    ax.set_title("Per run", fontsize=9, loc="left")
    _axis(ax, start, end)
    if runs:   # a wide bar on the last day is drawn whole, not cut by the axis' end (which drew it days early)
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, min(x) - width / 2 - 0.5), max(hi, max(x) + width / 2 + 0.5))
    fig.subplots_adjust(left=0.06, right=0.98, top=0.86, bottom=0.14)
    return fig
