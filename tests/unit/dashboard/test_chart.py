"""The per-day line chart: well-formed SVG, escaped text, sensible axes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from services.dashboard.domain.chart import Series, line_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (480, 500),
                                                (501, 1000), (3353, 5000)])
def test_the_y_axis_ends_on_a_round_number(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_one_polyline_per_series_and_one_point_per_day() -> None:
    svg = line_chart(["06 May", "07 May", "08 May"],
                     [Series("recorded", [10, 40, 25], "#111"), Series("printed", [5, 30, 30], "#222")], title="t")
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert [len(p.get("points").split()) for p in lines] == [3, 3]
    assert len(root.findall(f"{SVG}circle")) == 6
    ticks = [t.text for t in root.findall(f"{SVG}text")]
    assert "50" in ticks and "08 May" in ticks and "recorded" in ticks


def test_the_highest_value_is_drawn_at_the_top_of_its_axis() -> None:
    root = ET.fromstring(line_chart(["a", "b"], [Series("s", [0, 50], "#000")], height=300))
    ys = [float(c.get("cy")) for c in root.findall(f"{SVG}circle")]
    assert ys[0] > ys[1] and ys[1] == pytest.approx(28)  # top margin: 50 is the axis top


@pytest.mark.parametrize(("peak", "ticks"), [(1, ["0", "1", "2", "3", "4", "5"]), (3, ["0", "1", "2", "3", "4", "5"]),
                                             (17, ["0", "5", "10", "15", "20"]), (42, ["0", "10", "20", "30", "40", "50"])])
def test_grid_lines_are_whole_numbers(peak: int, ticks: list[str]) -> None:
    root = ET.fromstring(line_chart(["a", "b"], [Series("s", [0, peak], "#000")]))
    labels = [t.text for t in root.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert labels == ticks


def test_a_single_day_is_drawn_in_the_middle() -> None:
    root = ET.fromstring(line_chart(["06 May"], [Series("s", [3], "#000")], width=1100))
    assert float(root.find(f"{SVG}circle").get("cx")) == pytest.approx(56 + (1100 - 96) / 2)


def test_no_days_says_there_is_nothing_yet() -> None:
    svg = line_chart([], [Series("s", [], "#000")])
    assert "no recordings yet" in svg
    ET.fromstring(svg)


def test_labels_are_escaped() -> None:
    svg = line_chart(["<b>&"], [Series("a<script>", [1], "#000")], title='x"y')
    ET.fromstring(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
