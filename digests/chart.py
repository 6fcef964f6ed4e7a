"""The corpus-growth chart: a small PNG of cumulative works identified and included, embedded in the e-mail.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global figure state, no display),
so it works unattended and in threads.
"""

from __future__ import annotations

import io
from datetime import timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from digests.content import Growth

WIDTH_IN, HEIGHT_IN, DPI = 6.0, 2.2, 100   # 600 x 220 px: readable in a mail client's reading pane
IDENTIFIED, INCLUDED = "#1f5f8b", "#2e8540"
MIN_DAYS = 14


def growth_png(growth: Growth, *, title: str = "Corpus growth") -> bytes | None:
    """PNG bytes of the two cumulative curves, or None when the store holds no works yet."""
    if not growth.days:
        return None
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # included is a few dozen against thousands identified: it gets its own (right-hand) axis to stay visible
    inc = ax.twinx()
    ax.step(growth.days, growth.identified, where="post", color=IDENTIFIED, linewidth=1.6,
            label=f"identified ({growth.identified[-1]:,})")
    inc.step(growth.days, growth.included, where="post", color=INCLUDED, linewidth=1.6,
             label=f"included ({growth.included[-1]:,}, right axis)")
    locator = AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    first, last = growth.days[0], growth.days[-1]
    if (last - first).days < MIN_DAYS:   # a young store: show a fortnight, in days, not a day in hours
        pad = timedelta(days=(MIN_DAYS - (last - first).days) / 2)
        ax.set_xlim(first - pad, last + pad)
    ax.set_ylim(bottom=0, top=max(1, max(growth.identified)) * 1.08)
    inc.set_ylim(bottom=0, top=max(1, max(growth.included)) * 1.08)
    ax.set_title(title, fontsize=9, loc="left")
    for axis, color in ((ax, IDENTIFIED), (inc, INCLUDED)):
        axis.tick_params(labelsize=7)
        axis.tick_params(axis="y", colors=color)
        axis.spines["top"].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    handles = ax.get_legend_handles_labels()[0] + inc.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
              borderaxespad=0.2)  # above the plot, beside the title: never over a curve
    fig.subplots_adjust(left=0.08, right=0.93, top=0.87, bottom=0.13)  # fixed: tight_layout costs a second draw
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
