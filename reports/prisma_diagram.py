"""The PRISMA 2020 flow diagram for updated reviews, drawn from :class:`store.prisma.PrismaCounts`.

One layout (boxes, arrows, section bands, in pixels) is computed once and drawn twice: as SVG text
(the web page and the download; every label escaped — import labels are user input) and as PNG
with matplotlib (the same boxes as patches). Box texts follow the template's wording (Page et al.
2021), with its phase labels down the left side (Identification, Screening, Included) and sources under the
names a paper prints (:func:`records.vocabulary.display_name`); rows line up across columns so arrows run
straight. The download is meant to go into a manuscript as it is.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from livereview.records.vocabulary import display_name
from livereview.store.prisma import PrismaCounts

FONT = 11
LINE = 15
PAD = 8
GAP = 26
CHAR_W = 6.1            # average glyph width of an 11 px sans-serif, for wrapping
BAND_H = 34
BOX_FILL, BAND_FILL, LINE_COLOUR, TEXT = "#ffffff", "#d9e6f2", "#3b4a5a", "#1b1f24"
INCLUDED_FILL = "#e3f1e6"
SIDE_X, SIDE_W = 10, 28           # the template's phase labels run down the left edge


@dataclass
class Box:
    key: str
    x: float
    y: float
    w: float
    lines: list[tuple[str, bool]]      # (text, bold), already wrapped
    fill: str = BOX_FILL
    h: float = 0.0


@dataclass
class Diagram:
    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)
    arrows: list[list[tuple[float, float]]] = field(default_factory=list)   # polylines, arrowhead at the end
    bands: list[tuple[float, float, float, float, str]] = field(default_factory=list)   # x, y, w, h, title
    sides: list[tuple[float, float, float, float, str]] = field(default_factory=list)   # the phase labels, rotated


def _wrap(text: str, width: float, bold: bool = False, indent: str = "") -> list[tuple[str, bool]]:
    chars = max(12, int((width - 2 * PAD) / (CHAR_W * (1.08 if bold else 1.0))))
    return [(line, bold) for line in textwrap.wrap(text, chars, subsequent_indent=indent) or [""]]


def _band_lines(label: str, width: float) -> list[str]:
    return textwrap.wrap(label, max(12, int((width - 2 * PAD) / (CHAR_W * 1.1))))[:2]


def _n(n: int) -> str:
    return f"(n\u00a0=\u00a0{n:,})"   # no-break spaces: a count never wraps apart


def _reason_label(reason: str, texts: dict[str, str]) -> str:
    text = texts.get(reason)
    if not text:
        return reason
    short = text.rsplit(":", 1)[-1].strip().rstrip(".")
    return f"{reason}: {short}"


def layout(c: PrismaCounts, reasons: Sequence[tuple[str, str]] = (), names: Mapping[str, str] | None = None,
           ) -> Diagram:
    """Place every box of the updated-review template for these counts; ``names``: the protocol's own labels
    of its manual databases (the rest are named by :func:`records.vocabulary.display_name`)."""
    texts = dict(reasons)
    extra = dict(names or {})

    def name(label: str) -> str:
        return display_name(label, extra)

    other = bool(c.other_identified)
    left = SIDE_X + SIDE_W + 12
    col_prev, col_id, col_rm = (left, 200), (left + 220, 270), (left + 520, 300)
    col_other = (left + 850, 260)
    width = (col_other[0] + col_other[1] + 20) if other else (col_rm[0] + col_rm[1] + 20)

    def box(key: str, col: tuple[int, int], items: list[tuple[str, bool] | tuple[str, bool, str]],
            fill: str = BOX_FILL) -> Box:
        lines: list[tuple[str, bool]] = []
        for item in items:
            indent = item[2] if len(item) == 3 else ""  # type: ignore[misc]
            lines += _wrap(item[0], col[1], item[1], indent)
        b = Box(key, col[0], 0, col[1], lines, fill)
        b.h = len(lines) * LINE + 2 * PAD
        return b

    ident = [("Records identified from:", True)]
    ident += [(f"Databases {_n(sum(c.databases.values()))}", False)]
    ident += [(f"  {name(k)} {_n(v)}", False, "    ") for k, v in c.databases.items()]
    ident += [(f"Registers {_n(sum(c.registers.values()))}", False)]
    ident += [(f"  {name(k)} {_n(v)}", False, "    ") for k, v in c.registers.items()]
    removed = [("Records removed before screening:", True),
               (f"Duplicate records removed {_n(c.duplicates_removed)}", False),
               (f"Records marked as ineligible by automation tools {_n(c.removed_by_automation)}", False),
               (f"Records removed for other reasons {_n(c.removed_other)}", False)]
    removed += [(f"  {k} {_n(v)}", False, "    ") for k, v in c.removed_other_by_kind.items()]

    def excluded_box(key: str, col: tuple[int, int], arm) -> Box:  # noqa: ANN001
        items: list = [("Reports excluded:", True)]
        items += [(f"{_reason_label(k, texts)} {_n(v)}", False, "  ") for k, v in arm.excluded_by_reason.items()]
        if not arm.excluded_by_reason:
            items.append(("none so far", False))
        items.append((f"Awaiting full-text assessment {_n(arm.awaiting_assessment)}", False))
        return box(key, col, items)

    rows: list[list[Box]] = [
        [box("previous", col_prev, [("Studies included in previous version of review", True),
                                    (_n(c.previous_studies), False),
                                    ("Reports of studies included in previous version of review", True),
                                    (_n(c.previous_reports), False)]),
         box("identified", col_id, ident), box("removed", col_rm, removed)],
        [box("screened", col_id, [("Records screened", True), (_n(c.records_screened), False)]),
         box("excluded", col_rm, [("Records excluded", True), (_n(c.records_excluded), False),
                                  (f"Awaiting screening {_n(c.awaiting_screening)}", False)])],
        [box("sought", col_id, [("Reports sought for retrieval", True), (_n(c.db.reports_sought), False)]),
         box("not-retrieved", col_rm, [("Reports not retrieved", True), (_n(c.db.reports_not_retrieved), False)])],
        [box("assessed", col_id, [("Reports assessed for eligibility", True), (_n(c.db.reports_assessed), False)]),
         excluded_box("reports-excluded", col_rm, c.db)],
        [box("new", col_id, [("New studies included in review", True), (_n(c.new_studies), False),
                             ("Reports of new included studies", True), (_n(c.new_reports), False)], INCLUDED_FILL)],
        [box("total", col_id, [("Total studies included in review", True), (_n(c.total_studies), False),
                               ("Reports of total included studies", True), (_n(c.total_reports), False)],
             INCLUDED_FILL)],
    ]
    if other:
        rows[0].append(box("other-identified", col_other,
                           [("Records identified from:", True)] +
                           [(f"{name(k)} {_n(v)}", False, "  ") for k, v in c.other_identified.items()]))
        rows[1].append(box("other-sought", col_other, [("Reports sought for retrieval", True),
                                                       (_n(c.other.reports_sought), False),
                                                       (f"Reports not retrieved {_n(c.other.reports_not_retrieved)}",
                                                        False)]))
        rows[2].append(box("other-assessed", col_other, [("Reports assessed for eligibility", True),
                                                         (_n(c.other.reports_assessed), False)]))
        rows[3].append(excluded_box("other-excluded", col_other, c.other))

    d = Diagram(width=width, height=0)
    y = 10 + BAND_H + 12
    d.bands.append((col_prev[0], 10, col_prev[1], BAND_H, "Previous studies"))
    d.bands.append((col_id[0], 10, col_rm[0] + col_rm[1] - col_id[0], BAND_H,
                    "Identification of new studies via databases and registers"))
    if other:
        d.bands.append((col_other[0], 10, col_other[1], BAND_H, "Identification of new studies via other methods"))
    spans: list[tuple[float, float]] = []
    for row in rows:
        h = max(b.h for b in row)
        for b in row:
            b.y = y
            if b.key not in ("previous",):
                b.h = h if len(row) > 1 else b.h
            d.boxes.append(b)
        spans.append((y, y + h))
        y += h + GAP
    d.height = y - GAP + 14
    for label, first, last in (("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, 5)):
        top, bottom = spans[first][0], spans[last][1]
        d.sides.append((SIDE_X, top, SIDE_W, bottom - top, label))
    by = {b.key: b for b in d.boxes}

    def down(a: str, b: str) -> None:
        d.arrows.append([(by[a].x + by[a].w / 2, by[a].y + by[a].h), (by[b].x + by[b].w / 2, by[b].y)])

    def right(a: str, b: str) -> None:
        d.arrows.append([(by[a].x + by[a].w, by[a].y + by[a].h / 2), (by[b].x, by[b].y + by[b].h / 2)])

    for a, b in (("identified", "screened"), ("screened", "sought"), ("sought", "assessed"), ("assessed", "new"),
                 ("new", "total")):
        down(a, b)
    for a, b in (("identified", "removed"), ("screened", "excluded"), ("sought", "not-retrieved"),
                 ("assessed", "reports-excluded")):
        right(a, b)
    prev, total = by["previous"], by["total"]
    mid_x = prev.x + prev.w / 2
    d.arrows.append([(mid_x, prev.y + prev.h), (mid_x, total.y + total.h / 2),   # previous studies join the total
                     (total.x, total.y + total.h / 2)])
    if other:
        down("other-identified", "other-sought")
        down("other-sought", "other-assessed")
        down("other-assessed", "other-excluded")
        o, new = by["other-excluded"], by["new"]
        ox = o.x + o.w / 2
        d.arrows.append([(ox, o.y + o.h), (ox, new.y + new.h / 2), (new.x + new.w, new.y + new.h / 2)])
    return d


def to_svg(d: Diagram, *, title: str = "PRISMA 2020 flow diagram") -> str:
    """A standalone SVG document; text stays text (searchable, selectable, readable by screen readers)."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {d.width:.0f} {d.height:.0f}" '
           f'width="{d.width:.0f}" height="{d.height:.0f}" role="img" aria-labelledby="prisma-title" '
           f'font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="{FONT}">',
           f'<title id="prisma-title">{escape(title)}</title>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{LINE_COLOUR}"/></marker></defs>',
           f'<rect x="0" y="0" width="{d.width:.0f}" height="{d.height:.0f}" fill="#ffffff"/>']
    for x, y, w, h, label in d.bands:
        out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{BAND_FILL}"/>')
        lines = _band_lines(label, w)
        for i, line in enumerate(lines):
            ty = y + h / 2 + 4 + (i - (len(lines) - 1) / 2) * (LINE - 1)
            out.append(f'<text x="{x + w / 2:.1f}" y="{ty:.1f}" text-anchor="middle" font-weight="bold" '
                       f'fill="{TEXT}">{escape(line)}</text>')
    for x, y, w, h, label in d.sides:
        cx, cy = x + w / 2, y + h / 2
        out.append(f'<g data-side="{escape(label)}"><rect x="{x}" y="{y:.1f}" width="{w}" height="{h:.1f}" rx="6" '
                   f'fill="{BAND_FILL}"/><text x="{cx:.1f}" y="{cy:.1f}" transform="rotate(-90 {cx:.1f} {cy:.1f})" '
                   f'text-anchor="middle" dominant-baseline="central" font-weight="bold" fill="{TEXT}">'
                   f'{escape(label)}</text></g>')
    for points in d.arrows:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.3" '
                   'marker-end="url(#arrow)"/>')
    for b in d.boxes:
        out.append(f'<g data-box="{escape(b.key)}"><rect x="{b.x}" y="{b.y:.1f}" width="{b.w}" height="{b.h:.1f}" '
                   f'fill="{b.fill}" stroke="{LINE_COLOUR}" stroke-width="1.2"/>')
        for i, (text, bold) in enumerate(b.lines):
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{b.x + PAD}" y="{b.y + PAD + (i + 1) * LINE - 4:.1f}" fill="{TEXT}"{weight} '
                       f'xml:space="preserve">{escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def to_png(d: Diagram, *, dpi: int = 150) -> bytes:
    """The same layout drawn with matplotlib (pixels are points at 72 dpi, scaled to ``dpi``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

    fig = Figure(figsize=(d.width / 72, d.height / 72), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, d.width)
    ax.set_ylim(d.height, 0)
    ax.axis("off")
    for x, y, w, h, label in d.bands:
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=6", fc=BAND_FILL, ec="none"))
        ax.text(x + w / 2, y + h / 2, "\n".join(_band_lines(label, w)), ha="center", va="center", fontsize=FONT,
                fontweight="bold", color=TEXT, linespacing=1.1)
    for x, y, w, h, label in d.sides:
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=6", fc=BAND_FILL, ec="none"))
        ax.text(x + w / 2, y + h / 2, label, ha="center", va="center", rotation=90, fontsize=FONT,
                fontweight="bold", color=TEXT)
    for points in d.arrows:
        xs, ys = zip(*points, strict=True)
        ax.plot(xs[:-1] + (xs[-1],), ys[:-1] + (ys[-1],), color=LINE_COLOUR, linewidth=1.2)
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=10,
                                     color=LINE_COLOUR, linewidth=1.2, shrinkA=0, shrinkB=0))
    for b in d.boxes:
        ax.add_patch(Rectangle((b.x, b.y), b.w, b.h, fc=b.fill, ec=LINE_COLOUR, linewidth=1.2))
        for i, (text, bold) in enumerate(b.lines):
            ax.text(b.x + PAD, b.y + PAD + (i + 1) * LINE - 4, text, fontsize=FONT * 0.98, color=TEXT,
                    fontweight="bold" if bold else "normal", va="baseline", ha="left")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def prisma_svg(c: PrismaCounts, reasons: Sequence[tuple[str, str]] = (),
               names: Mapping[str, str] | None = None) -> str:
    return to_svg(layout(c, reasons, names), title=f"PRISMA 2020 flow diagram as of {c.day:%Y-%m-%d}")


def prisma_png(c: PrismaCounts, reasons: Sequence[tuple[str, str]] = (),
               names: Mapping[str, str] | None = None) -> bytes:
    return to_png(layout(c, reasons, names))
