"""The statistics charts: well-formed SVG, values as text, escaped labels, the same bytes for the same data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from dekt.site import charts
from dekt.site.charts import Series

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(figure: str) -> ET.Element:
    match = re.search(r"<svg.*</svg>", figure, re.S)
    assert match, figure[:200]
    return ET.fromstring(match.group(0))


@pytest.mark.parametrize(
    "ticks_for,expected",
    [
        (0, [0.0, 1.0]),
        (7.27, [0, 2, 4, 6, 8]),
        (80, [0, 20, 40, 60, 80]),
        (13, [0, 5, 10, 15]),
        (0.9, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    ],
)
def test_axis_ticks_are_round_and_reach_the_top(ticks_for, expected):
    assert charts.nice_ticks(ticks_for) == expected


@pytest.mark.parametrize("kind", ["hbar", "vbar", "line"])
def test_every_kind_is_well_formed_svg_with_its_values_and_escaped_labels(kind):
    labels = ["海关管理系", "法律系", "<b>&系</b>"]
    series = [Series("综合素质类", (7.28, 7.57, None)), Series("科研创新类", (3.69, 3.6, 1.5))]
    figure = getattr(charts, kind)("各系部人均学分 · mean", labels, series, unit="学分", decimals=2)
    root = svg_of(figure)  # parses: every label is escaped
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    values = set(texts) | {re.sub(r"^.*：|学分$", "", t.text or "") for t in root.iter(f"{SVG}title")}
    assert "<b>&系</b>" in texts and "海关管理系" in texts and "学分" in texts
    assert "综合素质类" in texts  # the legend of two series
    assert {"7.28", "3.69", "1.5"} <= values  # as labels, or in each point's tooltip
    assert "<figcaption>" in figure and "各系部人均学分" in figure
    assert "http" not in figure.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    assert getattr(charts, kind)("各系部人均学分 · mean", labels, series, unit="学分", decimals=2) == figure


def test_the_unit_label_does_not_sit_on_the_top_tick():
    root = svg_of(
        charts.vbar("达到毕业要求", ["2012 级", "2013 级"], [Series("比例", (80.0, 47.5))], unit="%", decimals=1)
    )
    ys = {t.text: float(t.get("y")) for t in root.iter(f"{SVG}text") if t.get("class") == "tick"}
    assert ys["80"] - ys["%"] >= 12


def test_the_unit_label_sits_under_the_legend():
    two = [Series("综合素质类", (300.0, 112.0)), Series("科研创新类", (19.0, 40.0))]
    root = svg_of(charts.vbar("各学期计入学分", ["2012-2013", "2013-2014"], two, unit="学分", stacked=True))
    texts = {t.text: float(t.get("y")) for t in root.iter(f"{SVG}text")}
    assert texts["学分"] - texts["综合素质类"] >= 12  # the legend's first entry is at the same x
