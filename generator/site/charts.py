"""SVG charts made at build time: horizontal and vertical bars (grouped or stacked), lines, histograms.

Why hand-written SVG rather than matplotlib: the charts are a few simple kinds, the output must be the same
bytes for the same data, labels must stay text (Chinese rendered by the reader's own fonts, selectable,
found by the browser's find), and colours must follow the site's light and dark schemes through CSS
classes (``dekt.css``). A small writer does all of that without a 40 MB dependency or font metadata.

Every chart is a ``<figure>`` the Markdown page embeds as raw HTML; its numbers are always also in a table
next to it, so the chart is never the only way to read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape

FONT = 13  # px, the size the width estimates below assume
WIDTH = 720


@dataclass(frozen=True)
class Series:
    """One named row of values (None: no value, drawn as a gap)."""

    name: str
    values: tuple[float | None, ...]


def text_width(text: str, size: float = FONT) -> float:
    """An estimate of a label's width: CJK characters are square, Latin ones about half as wide."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return (wide + 0.58 * (len(text) - wide)) * size


def _num(x: float) -> str:
    """Coordinates with one decimal at most, so the bytes do not depend on float noise."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _value(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top``: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _figure(svg: list[str], title: str, height: float, note: str | None) -> str:
    caption = escape(title) + (f"<small>{escape(note)}</small>" if note else "")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dekt-chart" viewBox="0 0 {WIDTH} {_num(height)}" '
        f'role="img" aria-label="{escape(title)}" font-size="{FONT}">'
    )
    # data-search-exclude: the numbers are in the table beside the chart; the index needs them only once.
    return "\n".join(
        ['<figure class="dekt-figure" data-search-exclude>', head, f"<title>{escape(title)}</title>", *svg, "</svg>",
         f"<figcaption>{caption}</figcaption>", "</figure>"]
    )  # fmt: skip


def _legend(series: list[Series], y: float) -> list[str]:
    out, x = [], 0.0
    for i, s in enumerate(series):
        out.append(f'<rect class="s{i % 8}" x="{_num(x)}" y="{_num(y - 10)}" width="12" height="12" rx="2"/>')
        out.append(f'<text x="{_num(x + 17)}" y="{_num(y)}">{escape(s.name)}</text>')
        x += 17 + text_width(s.name) + 18
    return out


def _totals(series: list[Series], count: int, stacked: bool) -> list[float]:
    """The length of each label's bar: the stack's sum, or the longest of the grouped bars."""
    return [(sum if stacked else max)([s.values[i] or 0 for s in series]) for i in range(count)]


def hbar(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    unit: str = "",
    decimals: int = 1,
    stacked: bool = False,
    note: str | None = None,
) -> str:
    """Horizontal bars, one group per label: the chart for long Chinese category names."""
    left = min(max((text_width(l) for l in labels), default=0) + 12, WIDTH * 0.42)
    legend = len(series) > 1
    top = 28 if legend else 6
    per = 18 if stacked else 14 * len(series) + 4
    gap = 10
    totals = _totals(series, len(labels), stacked)
    ticks = nice_ticks(max(totals, default=0))
    right = 56
    span = WIDTH - left - right
    scale = span / ticks[-1]
    height = top + len(labels) * (per + gap) + 26
    svg = _legend(series, 14) if legend else []
    axis_y = height - 20
    for t in ticks:
        x = left + t * scale
        svg.append(f'<line class="grid" x1="{_num(x)}" y1="{top}" x2="{_num(x)}" y2="{_num(axis_y)}"/>')
        svg.append(
            f'<text class="tick" x="{_num(x)}" y="{_num(axis_y + 15)}" text-anchor="middle">{_value(t, 2)}</text>'
        )
    for i, label in enumerate(labels):
        y0 = top + i * (per + gap) + gap / 2
        svg.append(
            f'<text x="{_num(left - 8)}" y="{_num(y0 + per / 2 + 4.5)}" text-anchor="end">{escape(label)}</text>'
        )
        x = left
        for k, s in enumerate(series):
            v = s.values[i]
            if v is None:
                continue
            w = v * scale
            if stacked:
                svg.append(
                    f'<rect class="s{k % 8}" x="{_num(x)}" y="{_num(y0)}" width="{_num(w)}" height="{per}"><title>'
                    f"{escape(label)} · {escape(s.name)}：{_value(v, decimals)}{escape(unit)}</title></rect>"
                )
                x += w
            else:
                y = y0 + k * 14
                svg.append(
                    f'<rect class="s{k % 8}" x="{_num(left)}" y="{_num(y)}" width="{_num(w)}" height="12" rx="1.5"/>'
                )
                svg.append(
                    f'<text class="value" x="{_num(left + w + 4)}" y="{_num(y + 10.5)}">{_value(v, decimals)}</text>'
                )
        if stacked:
            svg.append(
                f'<text class="value" x="{_num(x + 4)}" y="{_num(y0 + per / 2 + 4.5)}">'
                f"{_value(totals[i], decimals)}</text>"
            )
    svg.append(f'<line class="axis" x1="{_num(left)}" y1="{top}" x2="{_num(left)}" y2="{_num(axis_y)}"/>')
    if unit:
        svg.append(
            f'<text class="tick" x="{WIDTH - 4}" y="{_num(axis_y + 15)}" text-anchor="end">{escape(unit)}</text>'
        )
    return _figure(svg, title, height, note)


def _y_axis(
    ticks: list[float], base: float, scale: float, left: float, right: float, unit: str, unit_y: float
) -> list[str]:
    """The horizontal grid lines with their values, and the unit above the axis."""
    out = []
    for t in ticks:
        y = base - t * scale
        out.append(f'<line class="grid" x1="{left}" y1="{_num(y)}" x2="{WIDTH - right}" y2="{_num(y)}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">{_value(t, 2)}</text>')
    if unit:
        out.append(f'<text class="tick" x="{left - 6}" y="{_num(unit_y)}" text-anchor="end">{escape(unit)}</text>')
    return out


def vbar(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    unit: str = "",
    decimals: int = 0,
    stacked: bool = False,
    marker: tuple[float, str] | None = None,
    sublabels: list[str] | None = None,
    note: str | None = None,
) -> str:
    """Vertical bars over a short axis (years, semesters, histogram bins); ``marker`` draws a dashed line at x."""
    legend = len(series) > 1
    top, bottom, left, right = (34 if legend else 12) + (14 if unit else 0), (40 if sublabels else 26), 44, 12
    plot_h = 220
    height = top + plot_h + bottom
    totals = _totals(series, len(labels), stacked)
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    base = top + plot_h
    slot = (WIDTH - left - right) / max(len(labels), 1)
    svg = _legend(series, 14) if legend else []
    svg += _y_axis(ticks, base, scale, left, right, unit, top - 14)  # under the legend, over the top tick
    inner = slot * 0.78
    for i, label in enumerate(labels):
        x0 = left + i * slot + (slot - inner) / 2
        cx = left + i * slot + slot / 2
        if stacked:
            y = base
            for k, s in enumerate(series):
                v = s.values[i]
                if not v:
                    continue
                h = v * scale
                y -= h
                svg.append(
                    f'<rect class="s{k % 8}" x="{_num(x0)}" y="{_num(y)}" width="{_num(inner)}" height="{_num(h)}">'
                    f"<title>{escape(label)} · {escape(s.name)}：{_value(v, decimals)}{escape(unit)}</title></rect>"
                )
            if totals[i]:
                svg.append(
                    f'<text class="value" x="{_num(cx)}" y="{_num(y - 4)}" text-anchor="middle">'
                    f"{_value(totals[i], decimals)}</text>"
                )
        else:
            w = inner / len(series)
            for k, s in enumerate(series):
                v = s.values[i]
                if v is None:
                    continue
                h = v * scale
                x = x0 + k * w
                svg.append(
                    f'<rect class="s{k % 8}" x="{_num(x)}" y="{_num(base - h)}"'
                    f' width="{_num(w - 1)}" height="{_num(h)}"/>'
                )
                if len(series) * len(labels) <= 24:
                    svg.append(
                        f'<text class="value" x="{_num(x + w / 2)}" y="{_num(base - h - 4)}" text-anchor="middle">'
                        f"{_value(v, decimals)}</text>"
                    )
        svg.append(f'<text x="{_num(cx)}" y="{_num(base + 16)}" text-anchor="middle">{escape(label)}</text>')
        if sublabels:
            svg.append(
                f'<text class="tick" x="{_num(cx)}" y="{_num(base + 31)}" text-anchor="middle">'
                f"{escape(sublabels[i])}</text>"
            )
    svg.append(f'<line class="axis" x1="{left}" y1="{_num(base)}" x2="{WIDTH - right}" y2="{_num(base)}"/>')
    if marker is not None:
        at, text = marker
        x = left + at * slot
        svg.append(f'<line class="marker" x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" y2="{_num(base)}"/>')
        anchor = "end" if x > WIDTH * 0.7 else "start"
        svg.append(
            f'<text class="marker-label" x="{_num(x + (-5 if anchor == "end" else 5))}" y="{top + 8}"'
            f' text-anchor="{anchor}">{escape(text)}</text>'
        )
    return _figure(svg, title, height, note)


def line(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    unit: str = "",
    decimals: int = 0,
    sublabels: list[str] | None = None,
    note: str | None = None,
) -> str:
    """Lines over an ordered axis (semesters), a point and its value at each label."""
    legend = len(series) > 1
    top, bottom, left, right = (34 if legend else 12) + (14 if unit else 0), (40 if sublabels else 26), 44, 20
    plot_h = 220
    height = top + plot_h + bottom
    ticks = nice_ticks(max((v or 0 for s in series for v in s.values), default=0))
    scale = plot_h / ticks[-1]
    base = top + plot_h
    slot = (WIDTH - left - right) / max(len(labels), 1)
    svg = _legend(series, 14) if legend else []
    svg += _y_axis(ticks, base, scale, left, right, unit, top - 14)  # under the legend, over the top tick
    for i, label in enumerate(labels):
        cx = left + i * slot + slot / 2
        svg.append(f'<text x="{_num(cx)}" y="{_num(base + 16)}" text-anchor="middle">{escape(label)}</text>')
        if sublabels:
            svg.append(
                f'<text class="tick" x="{_num(cx)}" y="{_num(base + 31)}" text-anchor="middle">'
                f"{escape(sublabels[i])}</text>"
            )
    for k, s in enumerate(series):
        points = [(left + i * slot + slot / 2, base - v * scale, v) for i, v in enumerate(s.values) if v is not None]
        if not points:
            continue
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _ in points)
        svg.append(f'<polyline class="line s{k % 8}" points="{path}"/>')
        for x, y, v in points:
            svg.append(
                f'<circle class="s{k % 8}" cx="{_num(x)}" cy="{_num(y)}" r="3">'
                f"<title>{escape(s.name)}：{_value(v, decimals)}{escape(unit)}</title></circle>"
            )
            if len(series) == 1:
                svg.append(
                    f'<text class="value" x="{_num(x)}" y="{_num(y - 7)}" text-anchor="middle">'
                    f"{_value(v, decimals)}</text>"
                )
    svg.append(f'<line class="axis" x1="{left}" y1="{_num(base)}" x2="{WIDTH - right}" y2="{_num(base)}"/>')
    return _figure(svg, title, height, note)


def as_float(x: Decimal | int | float | None) -> float | None:
    """Chart values are floats; credits arrive as Decimals."""
    return None if x is None else float(x)
